/// The compact binary encoding shared by commands and snapshots: LEB128 varints (minimal form
/// only, so every value has exactly one encoding), zigzag for signed values, and length-prefixed
/// strings and byte arrays.
struct ShardWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func signed(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func blob(_ value: [UInt8]) {
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) {
        blob(Array(value.utf8))
    }

    mutating func optionalString(_ value: String?) {
        if let value {
            byte(1)
            string(value)
        } else {
            byte(0)
        }
    }
}

/// Reads what `ShardWriter` wrote; every read checks the remaining length and throws instead of trapping.
struct ShardReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte() throws(ShardCodecError) -> UInt8 {
        guard offset < bytes.count else { throw .malformed("truncated at byte \(offset)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws(ShardCodecError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            if shift == 63, next > 1 { throw .malformed("varint overflows 64 bits at byte \(offset - 1)") }
            result |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 {
                if next == 0, shift > 0 { throw .malformed("non-minimal varint at byte \(offset - 1)") }
                return result
            }
            shift += 7
            if shift > 63 { throw .malformed("varint too long at byte \(offset)") }
        }
    }

    mutating func signed() throws(ShardCodecError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func count(limit: Int) throws(ShardCodecError) -> Int {
        let raw = try varint()
        guard raw <= UInt64(limit) else { throw .malformed("length \(raw) exceeds \(limit) at byte \(offset)") }
        return Int(raw)
    }

    mutating func blob(limit: Int) throws(ShardCodecError) -> [UInt8] {
        let length = try count(limit: limit)
        guard length <= bytes.count - offset else { throw .malformed("blob of \(length) bytes runs past the end") }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }

    mutating func string(limit: Int, allowEmpty: Bool = false) throws(ShardCodecError) -> String {
        let raw = try blob(limit: limit)
        guard allowEmpty || !raw.isEmpty else { throw .malformed("empty string at byte \(offset)") }
        guard let value = String(validating: raw, as: UTF8.self) else { throw .malformed("invalid UTF-8 before byte \(offset)") }
        return value
    }

    mutating func optionalString(limit: Int) throws(ShardCodecError) -> String? {
        switch try byte() {
        case 0: return nil
        case 1: return try string(limit: limit)
        case let flag: throw .malformed("optional flag \(flag) at byte \(offset - 1)")
        }
    }

    func requireEnd() throws(ShardCodecError) {
        guard isAtEnd else { throw .malformed("\(bytes.count - offset) trailing bytes") }
    }
}

/// Limits every decoder enforces, so a hostile or corrupt entry cannot allocate without bound.
public enum ShardLimits {
    /// Ticket ids, agent ids and idempotency keys, in UTF-8 bytes.
    public static let maxIdentifierBytes = 256
    /// A ticket's payload.
    public static let maxPayloadBytes = 1 << 20
    /// Tickets (and keys) in one snapshot.
    public static let maxSnapshotRows = 1 << 26
}
