/// Appends the project's binary encodings to a byte array: big-endian fixed-width integers,
/// unsigned LEB128 varints (minimal form), zigzag signed varints, and length-prefixed bytes and
/// strings. Every codec (Raft batches, SWIM messages, shard commands and snapshots) writes with it.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    @inlinable
    public init(bytes: [UInt8] = []) {
        self.bytes = bytes
    }

    @inlinable
    public mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    @inlinable
    public mutating func u32(_ value: UInt32) {
        Self.u32(value, into: &bytes)
    }

    @inlinable
    public mutating func u64(_ value: UInt64) {
        Self.u64(value, into: &bytes)
    }

    @inlinable
    public mutating func varint(_ value: UInt64) {
        Self.varint(value, into: &bytes)
    }

    /// Zigzag, so small negative values stay short.
    @inlinable
    public mutating func signed(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A varint length, then the bytes.
    @inlinable
    public mutating func blob(_ value: some Collection<UInt8>) {
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A varint length, then the UTF-8 bytes.
    @inlinable
    public mutating func string(_ value: String) {
        blob(value.utf8)
    }

    /// A presence byte (0 or 1), then the string when present.
    @inlinable
    public mutating func optionalString(_ value: String?) {
        if let value {
            byte(1)
            string(value)
        } else {
            byte(0)
        }
    }

    // MARK: Into an existing array (hot paths that build one buffer)

    @inlinable
    public static func u32(_ value: UInt32, into bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable
    public static func u64(_ value: UInt64, into bytes: inout [UInt8]) {
        u32(UInt32(truncatingIfNeeded: value >> 32), into: &bytes)
        u32(UInt32(truncatingIfNeeded: value), into: &bytes)
    }

    @inlinable
    public static func varint(_ value: UInt64, into bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Bytes `varint(value)` takes.
    @inlinable
    public static func varintSize(_ value: UInt64) -> Int {
        var value = value
        var size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size
    }
}
