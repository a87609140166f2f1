import RingdeskDomain
import RingdeskPrimitives

/// A ticket shard's result as bytes, for a node that forwarded a proposal to the shard's leader:
/// `format:u8 tag:u8 body`. The result carries the ticket, not the effects (the proposer derives
/// those from its own `Ticket.apply`): an applied result decodes with no effects.
extension TicketLogResult {
    public static let format: UInt8 = 1

    private enum Tag: UInt8 {
        case created = 1, duplicate, applied, policySet, rejected
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.byte(Self.format)
        switch self {
        case .created(let ticket):
            writer.byte(Tag.created.rawValue)
            TicketCodec.write(ticket, into: &writer)
        case .duplicate(let ticket):
            writer.byte(Tag.duplicate.rawValue)
            TicketCodec.write(ticket, into: &writer)
        case .applied(let ticket, _):
            writer.byte(Tag.applied.rawValue)
            TicketCodec.write(ticket, into: &writer)
        case .policySet(let version):
            writer.byte(Tag.policySet.rawValue)
            writer.varint(version)
        case .rejected(let rejection):
            writer.byte(Tag.rejected.rawValue)
            rejection.write(into: &writer)
        }
        return writer.bytes
    }

    /// Decodes a result; throws on anything else, never traps.
    public init(encoded bytes: [UInt8]) throws(ShardCodecError) {
        guard bytes.count >= 2, bytes[0] == Self.format else { throw .malformed("ticket result of \(bytes.count) bytes or of another format") }
        var reader = ByteReader(bytes, from: 2)
        do throws(ByteReaderError) {
            switch Tag(rawValue: bytes[1]) {
            case .created?: self = .created(try TicketCodec.read(from: &reader))
            case .duplicate?: self = .duplicate(try TicketCodec.read(from: &reader))
            case .applied?: self = .applied(try TicketCodec.read(from: &reader), effects: [])
            case .policySet?: self = .policySet(version: try reader.varint())
            case .rejected?: self = .rejected(try TicketLogRejection(from: &reader))
            case nil: throw ByteReaderError("unknown ticket result tag \(bytes[1])")
            }
            try reader.requireEnd()
        } catch {
            throw .malformed("ticket result: \(error.message)")
        }
    }
}

extension TicketLogRejection {
    func write(into writer: inout ByteWriter) {
        writer.string(code)
        writer.string(message)
        writer.optionalString(field)
    }

    init(from reader: inout ByteReader) throws(ByteReaderError) {
        let limit = ShardLimits.maxPayloadBytes
        let code = try reader.string(limit: limit)
        let message = try reader.string(limit: limit)
        let field: String?
        switch try reader.byte() {
        case 0: field = nil
        case 1: field = try reader.string(limit: limit)
        case let flag: throw ByteReaderError("optional flag \(flag)")
        }
        self.init(code: code, message: message, field: field)
    }
}

/// A routing domain result as bytes (`format:u8 tag:u8 body`), for forwarded proposals.
extension RoutingDomainResult {
    public static let format: UInt8 = 1

    private enum Tag: UInt8 {
        case agent = 1, session, rejected, leaseRenewed
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.byte(Self.format)
        switch self {
        case .agent(let agent):
            writer.byte(Tag.agent.rawValue)
            RoutingDomainCodec.write(agent, into: &writer)
        case .session(let session):
            writer.byte(Tag.session.rawValue)
            RoutingDomainCodec.write(session, into: &writer)
        case .rejected(let rejection):
            writer.byte(Tag.rejected.rawValue)
            rejection.write(into: &writer)
        case let .leaseRenewed(ticketID, agentID, at):
            writer.byte(Tag.leaseRenewed.rawValue)
            writer.string(ticketID)
            writer.string(agentID)
            writer.date(at)
        }
        return writer.bytes
    }

    /// Decodes a result; throws on anything else, never traps.
    public init(encoded bytes: [UInt8]) throws(ShardCodecError) {
        guard bytes.count >= 2, bytes[0] == Self.format else { throw .malformed("routing result of \(bytes.count) bytes or of another format") }
        var reader = ByteReader(bytes, from: 2)
        do throws(ByteReaderError) {
            switch Tag(rawValue: bytes[1]) {
            case .agent?: self = .agent(try RoutingDomainCodec.readAgent(from: &reader))
            case .session?: self = .session(try RoutingDomainCodec.readSession(from: &reader))
            case .rejected?: self = .rejected(try TicketLogRejection(from: &reader))
            case .leaseRenewed?:
                self = .leaseRenewed(ticketID: try reader.text(), agentID: try reader.text(), at: try reader.date())
            case nil: throw ByteReaderError("unknown routing result tag \(bytes[1])")
            }
            try reader.requireEnd()
        } catch {
            throw .malformed("routing result: \(error.message)")
        }
    }
}
