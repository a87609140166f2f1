import RingdeskShard

extension RaftLogStore.GroupApply {
    /// The shard state machine's row changes as store rows: a ticket becomes its
    /// `ShardTicketRecord` encoding. A key needs no row: the record of the ticket it names carries it.
    public init(group: UInt32, appliedIndex: UInt64, replaceAll: Bool = false, changes: [ShardRowChange]) {
        self.init(group: group, appliedIndex: appliedIndex, replaceAll: replaceAll, rows: changes.compactMap { change in
            switch change {
            case .ticket(let ticket): .putTicket(id: ticket.id, record: ShardTicketRecord.encode(ticket))
            case .idempotencyKey: nil
            }
        })
    }
}

/// The `shard_tickets.record` encoding of a `ShardTicket`: a version byte, then every field in
/// declaration order (unsigned LEB128 varints, zigzag for signed, length-prefixed bytes and UTF-8,
/// a 0/1 byte before an optional). Versioned so the record can grow without a migration.
public enum ShardTicketRecord {
    static let version: UInt8 = 1

    public static func encode(_ ticket: ShardTicket) -> [UInt8] {
        var bytes: [UInt8] = [version]
        bytes.reserveCapacity(32 + ticket.id.utf8.count + ticket.payload.count)
        writeString(ticket.id, into: &bytes)
        writeOptional(ticket.idempotencyKey, into: &bytes)
        writeVarint(UInt64(ticket.payload.count), into: &bytes)
        bytes.append(contentsOf: ticket.payload)
        writeVarint(zigzag(ticket.createdAt), into: &bytes)
        bytes.append(ticket.status.rawValue)
        writeVarint(ticket.epoch, into: &bytes)
        writeOptional(ticket.holder, into: &bytes)
        writeVarint(zigzag(ticket.leaseUntil), into: &bytes)
        writeVarint(UInt64(ticket.escalations), into: &bytes)
        writeVarint(UInt64(ticket.reopens), into: &bytes)
        return bytes
    }

    /// The ticket, or nil when `bytes` are not a record of this version (never traps).
    public static func decode(_ bytes: [UInt8]) -> ShardTicket? {
        var reader = Reader(bytes: bytes)
        guard reader.byte() == version,
              let id = reader.string(),
              let key = reader.optionalString(),
              let payloadLength = reader.length(),
              let payload = reader.take(payloadLength),
              let createdAt = reader.varint().map(unzigzag),
              let rawStatus = reader.byte(), let status = ShardTicketStatus(rawValue: rawStatus),
              let epoch = reader.varint(),
              let holder = reader.optionalString(),
              let leaseUntil = reader.varint().map(unzigzag),
              let escalations = reader.varint(), escalations <= UInt64(UInt32.max),
              let reopens = reader.varint(), reopens <= UInt64(UInt32.max),
              reader.offset == bytes.count else { return nil }
        return ShardTicket(id: id, idempotencyKey: key, payload: payload, createdAt: createdAt, status: status, epoch: epoch,
                           holder: holder, leaseUntil: leaseUntil, escalations: UInt32(escalations), reopens: UInt32(reopens))
    }

    static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    static func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }

    static func writeVarint(_ value: UInt64, into bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    static func writeString(_ string: String, into bytes: inout [UInt8]) {
        writeVarint(UInt64(string.utf8.count), into: &bytes)
        bytes.append(contentsOf: string.utf8)
    }

    static func writeOptional(_ string: String?, into bytes: inout [UInt8]) {
        guard let string else { bytes.append(0); return }
        bytes.append(1)
        writeString(string, into: &bytes)
    }

    /// Bounds-checked cursor: every read returns nil rather than run past the end.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while let byte = byte() {
                if shift == 63 && byte > 1 { return nil }
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }

        mutating func length() -> Int? {
            guard let length = varint(), length <= UInt64(bytes.count - offset) else { return nil }
            return Int(length)
        }

        mutating func take(_ count: Int) -> [UInt8]? {
            guard count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return Array(bytes[offset..<(offset + count)])
        }

        mutating func string() -> String? {
            guard let length = length(), let raw = take(length) else { return nil }
            return String(validating: raw, as: UTF8.self)
        }

        /// `.some(nil)` for an absent value, nil for bad bytes.
        mutating func optionalString() -> String?? {
            switch byte() {
            case 0: .some(nil)
            case 1: string().map { .some($0) }
            default: nil
            }
        }
    }
}
