extension ShardWriter {
    /// A ticket row in its canonical field order.
    mutating func encode(_ ticket: ShardTicket) {
        string(ticket.id)
        optionalString(ticket.idempotencyKey)
        blob(ticket.payload)
        signed(ticket.createdAt)
        byte(ticket.status.rawValue)
        varint(ticket.epoch)
        optionalString(ticket.holder)
        signed(ticket.leaseUntil)
        varint(UInt64(ticket.escalations))
        varint(UInt64(ticket.reopens))
    }
}

extension ShardReader {
    mutating func ticket() throws(ShardCodecError) -> ShardTicket {
        let limit = ShardLimits.maxIdentifierBytes
        let id = try string(limit: limit)
        let key = try optionalString(limit: limit)
        let payload = try blob(limit: ShardLimits.maxPayloadBytes)
        let createdAt = try signed()
        let rawStatus = try byte()
        guard let status = ShardTicketStatus(rawValue: rawStatus) else { throw .malformed("unknown ticket status \(rawStatus)") }
        let epoch = try varint()
        let holder = try optionalString(limit: limit)
        let leaseUntil = try signed()
        let escalations = try varint()
        let reopens = try varint()
        guard escalations <= UInt64(UInt32.max), reopens <= UInt64(UInt32.max) else { throw .malformed("counter out of range") }
        guard (status == .assigned) == (holder != nil) else { throw .malformed("ticket \(id): holder does not match status") }
        guard holder != nil || leaseUntil == 0 else { throw .malformed("ticket \(id): lease without holder") }
        return ShardTicket(id: id, idempotencyKey: key, payload: payload, createdAt: createdAt, status: status, epoch: epoch,
                           holder: holder, leaseUntil: leaseUntil, escalations: UInt32(escalations), reopens: UInt32(reopens))
    }
}

extension ShardTicket {
    private static let recordVersion: UInt8 = 1

    /// The ticket alone, as a store keeps it in a row: a version byte, then the same canonical
    /// encoding snapshots use. Versioned so the row can change without a migration.
    public var record: [UInt8] {
        var writer = ShardWriter()
        writer.byte(Self.recordVersion)
        writer.encode(self)
        return writer.bytes
    }

    /// The ticket in `record`, or nil when the bytes are not a valid record of this version
    /// (never traps).
    public init?(record: [UInt8]) {
        var reader = ShardReader(record)
        guard (try? reader.byte()) == Self.recordVersion, let ticket = try? reader.ticket(), reader.isAtEnd else { return nil }
        self = ticket
    }
}

extension ShardStateMachine {
    /// "RDS" and format version 1.
    private static let magic: [UInt8] = [0x52, 0x44, 0x53, 0x01]

    /// The whole state, canonical: tickets sorted by id, then keys sorted by key. Two replicas with
    /// the same state produce the same bytes.
    public func snapshot() -> [UInt8] {
        var writer = ShardWriter()
        writer.bytes.append(contentsOf: Self.magic)
        writer.varint(UInt64(tickets.count))
        for id in tickets.keys.sorted() {
            writer.encode(tickets[id]!)
        }
        writer.varint(UInt64(idempotencyKeys.count))
        for key in idempotencyKeys.keys.sorted() {
            writer.string(key)
            writer.string(idempotencyKeys[key]!)
        }
        return writer.bytes
    }

    /// Decodes `snapshot()`'s output; throws on anything inconsistent (order, duplicates, keys that
    /// do not match their tickets, trailing bytes). Never traps.
    public init(snapshot bytes: [UInt8]) throws(ShardCodecError) {
        guard bytes.count >= Self.magic.count, Array(bytes[0..<Self.magic.count]) == Self.magic else {
            throw .malformed("not a shard snapshot (bad magic or version)")
        }
        var reader = ShardReader(bytes)
        for _ in Self.magic { _ = try reader.byte() }
        let ticketCount = try reader.count(limit: ShardLimits.maxSnapshotRows)
        var tickets: [String: ShardTicket] = [:]
        var previous: String?
        for _ in 0..<ticketCount {
            let ticket = try reader.ticket()
            if let previous, !(previous < ticket.id) { throw .malformed("tickets out of order at \(ticket.id)") }
            previous = ticket.id
            tickets[ticket.id] = ticket
        }
        let keyCount = try reader.count(limit: ShardLimits.maxSnapshotRows)
        var keys: [String: String] = [:]
        var previousKey: String?
        for _ in 0..<keyCount {
            let key = try reader.string(limit: ShardLimits.maxIdentifierBytes)
            let id = try reader.string(limit: ShardLimits.maxIdentifierBytes)
            if let previousKey, !(previousKey < key) { throw .malformed("keys out of order at \(key)") }
            previousKey = key
            guard tickets[id]?.idempotencyKey == key else { throw .malformed("key \(key) does not match ticket \(id)") }
            keys[key] = id
        }
        try reader.requireEnd()
        for ticket in tickets.values {
            if let key = ticket.idempotencyKey, keys[key] != ticket.id {
                throw .malformed("ticket \(ticket.id) has key \(key) with no matching key row")
            }
        }
        self.init(validatedTickets: tickets, keys: keys)
    }

    /// The state a store kept as rows (each ticket's `record`, its row's id beside it), as of
    /// the index those rows were applied to; the key map is rebuilt from the records. Throws on a
    /// record that does not decode, an id that does not match its record, a ticket twice, or a
    /// key claimed by two tickets. Never traps.
    public init(rows: some Sequence<(id: String, record: [UInt8])>) throws(ShardCodecError) {
        var tickets: [String: ShardTicket] = [:]
        var keys: [String: String] = [:]
        for row in rows {
            guard let ticket = ShardTicket(record: row.record) else { throw .malformed("row \(row.id): record does not decode") }
            guard ticket.id == row.id else { throw .malformed("row \(row.id) holds ticket \(ticket.id)") }
            guard tickets.updateValue(ticket, forKey: ticket.id) == nil else { throw .malformed("ticket \(ticket.id) stored twice") }
            if let key = ticket.idempotencyKey {
                guard keys.updateValue(ticket.id, forKey: key) == nil else { throw .malformed("key \(key) held by two tickets") }
            }
        }
        self.init(validatedTickets: tickets, keys: keys)
    }
}
