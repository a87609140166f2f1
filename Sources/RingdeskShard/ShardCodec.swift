import RingdeskPrimitives

/// The compact binary encoding shared by commands and snapshots: the project's `ByteWriter`
/// (LEB128 varints in minimal form only, so every value has exactly one encoding; zigzag for
/// signed values; length-prefixed strings and byte arrays).
typealias ShardWriter = ByteWriter

/// Reads what `ShardWriter` wrote: the project's `ByteReader`, its errors as `ShardCodecError`,
/// strings non-empty unless asked otherwise. Every read throws instead of trapping.
struct ShardReader {
    private var base: ByteReader

    init(_ bytes: [UInt8]) {
        base = ByteReader(bytes)
    }

    var isAtEnd: Bool { base.isAtEnd }

    private static func wrap<T>(_ read: () throws(ByteReaderError) -> T) throws(ShardCodecError) -> T {
        do { return try read() } catch { throw .malformed(error.message) }
    }

    mutating func byte() throws(ShardCodecError) -> UInt8 { try Self.wrap { () throws(ByteReaderError) in try base.byte() } }
    mutating func varint() throws(ShardCodecError) -> UInt64 { try Self.wrap { () throws(ByteReaderError) in try base.varint() } }
    mutating func signed() throws(ShardCodecError) -> Int64 { try Self.wrap { () throws(ByteReaderError) in try base.signed() } }

    mutating func count(limit: Int) throws(ShardCodecError) -> Int {
        let raw = try varint()
        guard raw <= UInt64(limit) else { throw .malformed("length \(raw) exceeds \(limit) at byte \(base.offset)") }
        return Int(raw)
    }

    mutating func blob(limit: Int) throws(ShardCodecError) -> [UInt8] {
        try Self.wrap { () throws(ByteReaderError) in try base.blob(limit: limit) }
    }

    mutating func string(limit: Int, allowEmpty: Bool = false) throws(ShardCodecError) -> String {
        try Self.wrap { () throws(ByteReaderError) in try base.string(limit: limit, allowEmpty: allowEmpty) }
    }

    mutating func optionalString(limit: Int) throws(ShardCodecError) -> String? {
        switch try byte() {
        case 0: return nil
        case 1: return try string(limit: limit)
        case let flag: throw .malformed("optional flag \(flag) at byte \(base.offset - 1)")
        }
    }

    func requireEnd() throws(ShardCodecError) {
        try Self.wrap { () throws(ByteReaderError) in try base.requireEnd() }
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
