/// The core of time-ordered ids: a millisecond clock reading plus a per-millisecond sequence that
/// never repeats or goes back, even when the clock does, written as Crockford base32 digits so
/// ids sort by creation time as text. Pure: the caller passes the milliseconds.
public struct TimeOrderedSequence: Sendable, Hashable {
    public private(set) var lastMillis: UInt64 = 0
    public private(set) var sequence: UInt64 = 0
    /// Sequence values per millisecond (the digits the id format gives them); past that, the next
    /// millisecond is borrowed.
    public let perMillisecond: UInt64

    public init(sequenceDigits: Int) {
        perMillisecond = 1 << (5 * UInt64(sequenceDigits))
    }

    /// Continues after a (millis, sequence) handed out earlier (read back at start, or seen from
    /// another leader).
    public mutating func observe(millis: UInt64, sequence seq: UInt64) {
        if millis > lastMillis || (millis == lastMillis && seq > sequence) {
            lastMillis = millis
            sequence = seq
        }
    }

    /// The next (millis, sequence) at clock reading `millis`: later than everything handed out.
    public mutating func next(millis now: UInt64) -> (millis: UInt64, sequence: UInt64) {
        var millis = now
        if millis <= lastMillis {
            millis = lastMillis
            sequence += 1
            if sequence >= perMillisecond {
                millis += 1
                sequence = 0
            }
        } else {
            sequence = 0
        }
        lastMillis = millis
        return (millis, sequence)
    }
}

/// Crockford base32 digits (no I, L, O, U), most significant first: text order is numeric order.
public enum Crockford32 {
    public static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// Writes `value`'s low 5×`digits.count` bits into `bytes[digits]`.
    public static func write(_ value: UInt64, into bytes: inout [UInt8], digits: ClosedRange<Int>) {
        var value = value
        for index in digits.reversed() {
            bytes[index] = alphabet[Int(value & 31)]
            value >>= 5
        }
    }

    /// The value of `bytes[digits]`, or nil when one is not a digit.
    public static func read(_ bytes: [UInt8], digits: ClosedRange<Int>) -> UInt64? {
        var value: UInt64 = 0
        for index in digits {
            guard let digit = alphabet.firstIndex(of: bytes[index]) else { return nil }
            value = value << 5 | UInt64(digit)
        }
        return value
    }
}
