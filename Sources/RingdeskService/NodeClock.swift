import Foundation
import NIOConcurrencyHelpers

/// Where the service reads the time. Only executables use `SystemClock`; tests move a `ManualClock`.
public protocol NodeClock: Sendable {
    func now() -> Date
}

/// Wall-clock time.
public struct SystemClock: NodeClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that moves only when told to (tests, simulations).
public final class ManualClock: NodeClock {
    private let current: NIOLockedValueBox<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = NIOLockedValueBox(start)
    }

    public func now() -> Date { current.withLockedValue { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLockedValue { $0 += seconds }
    }
}
