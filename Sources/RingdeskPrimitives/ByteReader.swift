/// Why bytes did not read: `message` names what and where. Codecs wrap it in their own error.
public struct ByteReaderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    @inlinable
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// A bounds-checked cursor over `bytes[offset..<end]` that reads what `ByteWriter` writes. Every
/// read checks the remaining length first and throws instead of trapping; varints must be minimal
/// (an overlong form would give one value two encodings) and fit 64 bits.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public let end: Int
    public var offset: Int

    @inlinable
    public init(_ bytes: [UInt8], from offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    @inlinable public var isAtEnd: Bool { offset == end }
    @inlinable public var remaining: Int { end - offset }

    @inlinable
    public mutating func byte() throws(ByteReaderError) -> UInt8 {
        guard offset < end else { throw ByteReaderError("truncated at byte \(offset)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    @inlinable
    public mutating func u32() throws(ByteReaderError) -> UInt32 {
        guard remaining >= 4 else { throw ByteReaderError("truncated at byte \(offset)") }
        var value: UInt32 = 0
        for index in offset..<(offset + 4) { value = value << 8 | UInt32(bytes[index]) }
        offset += 4
        return value
    }

    @inlinable
    public mutating func u64() throws(ByteReaderError) -> UInt64 {
        guard remaining >= 8 else { throw ByteReaderError("truncated at byte \(offset)") }
        var value: UInt64 = 0
        for index in offset..<(offset + 8) { value = value << 8 | UInt64(bytes[index]) }
        offset += 8
        return value
    }

    @inlinable
    public mutating func varint() throws(ByteReaderError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            if shift == 63 && next > 1 { throw ByteReaderError("varint overflows 64 bits at byte \(offset - 1)") }
            value |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 {
                if next == 0 && shift > 0 { throw ByteReaderError("overlong varint at byte \(offset - 1)") }
                return value
            }
            shift += 7
        }
    }

    @inlinable
    public mutating func signed() throws(ByteReaderError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// The next `count` bytes (count ≤ remaining, else throws).
    @inlinable
    public mutating func bytes(_ count: Int) throws(ByteReaderError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw ByteReaderError("\(count) bytes run past the end at byte \(offset)") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// A varint length at most `limit`, then that many bytes.
    @inlinable
    public mutating func blob(limit: Int) throws(ByteReaderError) -> [UInt8] {
        let length = try varint()
        guard length <= UInt64(clamping: limit) else { throw ByteReaderError("length \(length) exceeds \(limit) at byte \(offset)") }
        return try bytes(Int(length))
    }

    /// A length-prefixed UTF-8 string (validated), at most `limit` bytes.
    @inlinable
    public mutating func string(limit: Int, allowEmpty: Bool = true) throws(ByteReaderError) -> String {
        let length = try varint()
        guard length <= UInt64(clamping: limit) else { throw ByteReaderError("length \(length) exceeds \(limit) at byte \(offset)") }
        guard length <= UInt64(remaining) else { throw ByteReaderError("\(length) bytes run past the end at byte \(offset)") }
        let count = Int(length)
        guard allowEmpty || count > 0 else { throw ByteReaderError("empty string at byte \(offset)") }
        // Validated straight from the input: no intermediate array.
        guard let value = String(validating: bytes[offset..<(offset + count)], as: UTF8.self) else {
            throw ByteReaderError("invalid UTF-8 before byte \(offset + count)")
        }
        offset += count
        return value
    }

    @inlinable
    public func requireEnd() throws(ByteReaderError) {
        guard isAtEnd else { throw ByteReaderError("\(remaining) trailing bytes") }
    }
}
