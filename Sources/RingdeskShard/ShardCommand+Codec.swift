extension ShardCommand {
    private enum Tag: UInt8 {
        case create = 1, claim, renew, expire, requeue, event
    }

    /// Tag byte, then the fields in declaration order (see `ShardWriter`). Deterministic: equal
    /// commands encode to equal bytes, and decoding then encoding returns the same bytes.
    public var encoded: [UInt8] {
        var writer = ShardWriter()
        switch self {
        case let .create(ticketID, key, payload, at):
            writer.byte(Tag.create.rawValue)
            writer.string(ticketID)
            writer.optionalString(key)
            writer.blob(payload)
            writer.signed(at)
        case let .claim(ticketID, agent, expectedEpoch, leaseUntil):
            writer.byte(Tag.claim.rawValue)
            writer.string(ticketID)
            writer.string(agent)
            writer.varint(expectedEpoch)
            writer.signed(leaseUntil)
        case let .renew(ticketID, agent, epoch, leaseUntil):
            writer.byte(Tag.renew.rawValue)
            writer.string(ticketID)
            writer.string(agent)
            writer.varint(epoch)
            writer.signed(leaseUntil)
        case let .expire(ticketID, epoch, now):
            writer.byte(Tag.expire.rawValue)
            writer.string(ticketID)
            writer.varint(epoch)
            writer.signed(now)
        case let .requeue(ticketID, epoch):
            writer.byte(Tag.requeue.rawValue)
            writer.string(ticketID)
            writer.varint(epoch)
        case let .event(ticketID, epoch, kind):
            writer.byte(Tag.event.rawValue)
            writer.string(ticketID)
            writer.varint(epoch)
            writer.byte(kind.rawValue)
        }
        return writer.bytes
    }

    /// Decodes `encoded`; throws on anything else (unknown tag, truncation, trailing bytes,
    /// over-long or empty identifiers, invalid UTF-8, non-minimal varints). Never traps.
    public init(encoded bytes: [UInt8]) throws(ShardCodecError) {
        var reader = ShardReader(bytes)
        let limit = ShardLimits.maxIdentifierBytes
        guard let tag = Tag(rawValue: try reader.byte()) else { throw .malformed("unknown command tag \(bytes[0])") }
        switch tag {
        case .create:
            let id = try reader.string(limit: limit)
            let key = try reader.optionalString(limit: limit)
            let payload = try reader.blob(limit: ShardLimits.maxPayloadBytes)
            self = .create(ticketID: id, idempotencyKey: key, payload: payload, at: try reader.signed())
        case .claim:
            let id = try reader.string(limit: limit)
            let agent = try reader.string(limit: limit)
            let epoch = try reader.varint()
            self = .claim(ticketID: id, agent: agent, expectedEpoch: epoch, leaseUntil: try reader.signed())
        case .renew:
            let id = try reader.string(limit: limit)
            let agent = try reader.string(limit: limit)
            let epoch = try reader.varint()
            self = .renew(ticketID: id, agent: agent, epoch: epoch, leaseUntil: try reader.signed())
        case .expire:
            let id = try reader.string(limit: limit)
            let epoch = try reader.varint()
            self = .expire(ticketID: id, epoch: epoch, now: try reader.signed())
        case .requeue:
            let id = try reader.string(limit: limit)
            self = .requeue(ticketID: id, epoch: try reader.varint())
        case .event:
            let id = try reader.string(limit: limit)
            let epoch = try reader.varint()
            let raw = try reader.byte()
            guard let kind = ShardEventKind(rawValue: raw) else { throw .malformed("unknown event kind \(raw)") }
            self = .event(ticketID: id, epoch: epoch, kind: kind)
        }
        try reader.requireEnd()
    }
}
