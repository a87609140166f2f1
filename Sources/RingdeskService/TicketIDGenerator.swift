import Foundation
import RingdeskPrimitives

/// Time-ordered ticket ids: `T` + 10 Crockford base32 digits of milliseconds since 1970 + 4 digits
/// of a per-millisecond sequence. Ids sort by creation time, so SQLite appends to the primary-key
/// B-tree instead of splitting pages at random. Pure: the caller passes `now`.
public struct TicketIDGenerator: Sendable {
    private var clock = TimeOrderedSequence(sequenceDigits: 4)

    public init() {}

    /// Continues after an id handed out earlier (read back at start), so a restart within the
    /// same millisecond, or with the clock set back, never repeats an id.
    public mutating func observe(_ id: String) {
        let bytes = Array(id.utf8)
        guard bytes.count == 15, bytes[0] == UInt8(ascii: "T"),
              let millis = Crockford32.read(bytes, digits: 1...10), let sequence = Crockford32.read(bytes, digits: 11...14) else { return }
        clock.observe(millis: millis, sequence: sequence)
    }

    public mutating func next(now: Date) -> String {
        let (millis, sequence) = clock.next(millis: UInt64(max(0, now.timeIntervalSince1970 * 1000)))
        var bytes = [UInt8](repeating: 0, count: 15)
        bytes[0] = UInt8(ascii: "T")
        Crockford32.write(millis, into: &bytes, digits: 1...10)
        Crockford32.write(sequence, into: &bytes, digits: 11...14)
        return String(decoding: bytes, as: UTF8.self)
    }
}
