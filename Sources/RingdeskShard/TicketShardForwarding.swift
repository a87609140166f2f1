import RingdeskDomain
import RingdeskPrimitives

/// What a node asks the node that leads one of its ticket shards: a proposal to that shard, or a
/// read point (read-index) after which any replica's own state answers linearizably. Node to node
/// only (`POST /internal/tickets`); clients never see these bytes.
///
/// Bytes: `format:u8 kind:u8 group:u32` then, for a proposal, the log entry's own bytes
/// (`TicketLogEntry.encoded`, versioned on its own: a leader that cannot decode an entry refuses it).
public enum TicketShardRequest: Sendable, Hashable {
    case propose(TicketLogEntry)
    case readIndex

    public static let format: UInt8 = 1

    private enum Kind: UInt8 {
        case propose = 1, readIndex
    }

    public func encoded(group: UInt32) -> [UInt8] {
        var writer = ByteWriter()
        writer.byte(Self.format)
        switch self {
        case .propose(let entry):
            writer.byte(Kind.propose.rawValue)
            writer.u32(group)
            writer.bytes += entry.encoded
        case .readIndex:
            writer.byte(Kind.readIndex.rawValue)
            writer.u32(group)
        }
        return writer.bytes
    }

    /// Decodes a request and the group it names; throws on anything else, never traps.
    public static func decode(_ bytes: [UInt8]) throws(ShardCodecError) -> (group: UInt32, request: TicketShardRequest) {
        guard bytes.count >= 6 else { throw .malformed("shard request of \(bytes.count) bytes") }
        guard bytes[0] == format else { throw .malformed("shard request format \(bytes[0]) (this build speaks \(format))") }
        var reader = ByteReader(bytes, from: 2)
        let group: UInt32
        do { group = try reader.u32() } catch { throw .malformed(error.message) }
        switch Kind(rawValue: bytes[1]) {
        case .propose?:
            return (group, .propose(try TicketLogEntry(encoded: Array(bytes[6...]))))
        case .readIndex?:
            guard bytes.count == 6 else { throw .malformed("read-index request with \(bytes.count - 6) trailing bytes") }
            return (group, .readIndex)
        case nil:
            throw .malformed("unknown shard request kind \(bytes[1])")
        }
    }
}

/// The leader's answer to a `TicketShardRequest`. A proposal's result carries the ticket, not the
/// effects (the proposer derives those from its own `Ticket.apply`); a failure carries the
/// replication error's code, message and the leader the answering node knows of.
public enum TicketShardReply: Sendable, Hashable {
    case result(TicketLogResult)
    case readIndex(UInt64)
    case failure(code: String, message: String, leaderHint: UInt64)

    private enum Tag: UInt8 {
        case created = 1, duplicate, applied, policySet, rejected, readIndex, failure
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.byte(TicketShardRequest.format)
        switch self {
        case .result(.created(let ticket)):
            writer.byte(Tag.created.rawValue)
            TicketCodec.write(ticket, into: &writer)
        case .result(.duplicate(let ticket)):
            writer.byte(Tag.duplicate.rawValue)
            TicketCodec.write(ticket, into: &writer)
        case .result(.applied(let ticket, _)):
            writer.byte(Tag.applied.rawValue)
            TicketCodec.write(ticket, into: &writer)
        case .result(.policySet(let version)):
            writer.byte(Tag.policySet.rawValue)
            writer.varint(version)
        case .result(.rejected(let rejection)):
            writer.byte(Tag.rejected.rawValue)
            writer.string(rejection.code)
            writer.string(rejection.message)
            writer.optionalString(rejection.field)
        case .readIndex(let index):
            writer.byte(Tag.readIndex.rawValue)
            writer.varint(index)
        case let .failure(code, message, leaderHint):
            writer.byte(Tag.failure.rawValue)
            writer.string(code)
            writer.string(message)
            writer.varint(leaderHint)
        }
        return writer.bytes
    }

    /// Decodes a reply; throws on anything else, never traps.
    public init(encoded bytes: [UInt8]) throws(ShardCodecError) {
        guard bytes.count >= 2, bytes[0] == TicketShardRequest.format else {
            throw .malformed("shard reply of \(bytes.count) bytes or of another format")
        }
        guard let tag = Tag(rawValue: bytes[1]) else { throw .malformed("unknown shard reply tag \(bytes[1])") }
        var reader = ByteReader(bytes, from: 2)
        let limit = ShardLimits.maxPayloadBytes
        do throws(ByteReaderError) {
            switch tag {
            case .created: self = .result(.created(try TicketCodec.read(from: &reader)))
            case .duplicate: self = .result(.duplicate(try TicketCodec.read(from: &reader)))
            case .applied: self = .result(.applied(try TicketCodec.read(from: &reader), effects: []))
            case .policySet: self = .result(.policySet(version: try reader.varint()))
            case .rejected:
                let code = try reader.string(limit: limit)
                let message = try reader.string(limit: limit)
                let field: String?
                switch try reader.byte() {
                case 0: field = nil
                case 1: field = try reader.string(limit: limit)
                case let flag: throw ByteReaderError("optional flag \(flag)")
                }
                self = .result(.rejected(TicketLogRejection(code: code, message: message, field: field)))
            case .readIndex: self = .readIndex(try reader.varint())
            case .failure:
                self = .failure(code: try reader.string(limit: limit), message: try reader.string(limit: limit), leaderHint: try reader.varint())
            }
            try reader.requireEnd()
        } catch {
            throw .malformed("shard reply: \(error.message)")
        }
    }
}
