/// An instant on the owner's monotonic clock, in nanoseconds; the core never reads a clock itself.
public struct SWIMTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public static let zero = SWIMTime(nanoseconds: 0)

    public static func seconds(_ seconds: Double) -> SWIMTime {
        SWIMTime(nanoseconds: Int64(seconds * 1e9))
    }

    public static func milliseconds(_ milliseconds: Int64) -> SWIMTime {
        SWIMTime(nanoseconds: milliseconds * 1_000_000)
    }

    public static func < (lhs: SWIMTime, rhs: SWIMTime) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    public static func + (lhs: SWIMTime, rhs: Duration) -> SWIMTime {
        SWIMTime(nanoseconds: lhs.nanoseconds &+ rhs.nanosecondsClamped)
    }

    /// Adds a span given in nanoseconds (the instance keeps its intervals in nanoseconds).
    public func advanced(byNanoseconds delta: Int64) -> SWIMTime {
        SWIMTime(nanoseconds: nanoseconds &+ delta)
    }

    /// The span from `earlier` to `self`.
    public func since(_ earlier: SWIMTime) -> Duration {
        .nanoseconds(nanoseconds &- earlier.nanoseconds)
    }

    public var seconds: Double {
        Double(nanoseconds) / 1e9
    }

    public var description: String {
        "\(seconds)s"
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to Int64 (a span of 292 years is enough for any timer here).
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled &+ attoseconds / 1_000_000_000
    }
}
