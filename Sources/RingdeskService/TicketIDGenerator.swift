import Foundation

/// Time-ordered ticket ids: `T` + 10 Crockford base32 digits of milliseconds since 1970 + 4 digits
/// of a per-millisecond sequence. Ids sort by creation time, so SQLite appends to the primary-key
/// B-tree instead of splitting pages at random. Pure: the caller passes `now`.
public struct TicketIDGenerator: Sendable {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    private var lastMillis: UInt64 = 0
    private var sequence: UInt64 = 0

    public init() {}

    /// Continues after an id handed out earlier (read back at start), so a restart within the
    /// same millisecond, or with the clock set back, never repeats an id.
    public mutating func observe(_ id: String) {
        let bytes = Array(id.utf8)
        guard bytes.count == 15, bytes[0] == UInt8(ascii: "T") else { return }
        var millis: UInt64 = 0
        var seq: UInt64 = 0
        for (index, byte) in bytes.enumerated().dropFirst() {
            guard let digit = Self.alphabet.firstIndex(of: byte) else { return }
            if index <= 10 { millis = millis << 5 | UInt64(digit) } else { seq = seq << 5 | UInt64(digit) }
        }
        if millis > lastMillis || (millis == lastMillis && seq > sequence) {
            lastMillis = millis
            sequence = seq
        }
    }

    public mutating func next(now: Date) -> String {
        var millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        if millis <= lastMillis {
            millis = lastMillis
            sequence += 1
            if sequence >= 1 << 20 {  // 4 base32 digits exhausted: borrow the next millisecond
                millis += 1
                sequence = 0
            }
        } else {
            sequence = 0
        }
        lastMillis = millis
        var bytes = [UInt8](repeating: 0, count: 15)
        bytes[0] = UInt8(ascii: "T")
        var value = millis
        for index in stride(from: 10, through: 1, by: -1) {
            bytes[index] = Self.alphabet[Int(value & 31)]
            value >>= 5
        }
        var seq = sequence
        for index in stride(from: 14, through: 11, by: -1) {
            bytes[index] = Self.alphabet[Int(seq & 31)]
            seq >>= 5
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
