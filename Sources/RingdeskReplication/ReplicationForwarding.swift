import RingdeskPrimitives
import RingdeskRaft
import RingdeskShard

/// A replicated state machine whose results can cross nodes: a node that does not lead a group
/// forwards a proposal to the node that does and gets the result back as bytes.
public protocol ForwardableStateMachine: ReplicatedStateMachine {
    static func encodeResult(_ result: Result) -> [UInt8]
    static func decodeResult(_ bytes: [UInt8]) throws -> Result
}

/// Carries an encoded `ForwardedRequest` to a node and returns its encoded answer (the node owns
/// the route, e.g. `POST /internal/tickets`). Throws when the node does not answer.
public typealias ReplicationForwarder = @Sendable (_ node: RaftNodeID, _ request: [UInt8]) async throws -> [UInt8]

/// What one node asks the leader of a group on another: a proposal (the command's own versioned
/// bytes, so a leader that cannot decode it refuses it) or a read point (read-index) after which
/// any replica's own state answers linearizably.
///
/// Bytes: `format:u8 kind:u8 group:u32`, then for a proposal the command's bytes.
public enum ForwardedRequest: Sendable, Hashable {
    case propose(group: UInt32, command: [UInt8])
    case readIndex(group: UInt32)

    public static let format: UInt8 = 1

    private enum Kind: UInt8 {
        case propose = 1, readIndex
    }

    public var group: UInt32 {
        switch self {
        case .propose(let group, _), .readIndex(let group): group
        }
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.byte(Self.format)
        switch self {
        case let .propose(group, command):
            writer.byte(Kind.propose.rawValue)
            writer.u32(group)
            writer.bytes += command
        case .readIndex(let group):
            writer.byte(Kind.readIndex.rawValue)
            writer.u32(group)
        }
        return writer.bytes
    }

    /// Decodes a request; throws on anything else, never traps.
    public init(encoded bytes: [UInt8]) throws(ReplicationError) {
        guard bytes.count >= 6 else { throw .forwardMalformed("forwarded request of \(bytes.count) bytes") }
        guard bytes[0] == Self.format else { throw .forwardMalformed("forwarded request format \(bytes[0]) (this build speaks \(Self.format))") }
        var reader = ByteReader(bytes, from: 2)
        let group: UInt32
        do { group = try reader.u32() } catch { throw .forwardMalformed(error.message) }
        switch Kind(rawValue: bytes[1]) {
        case .propose?:
            self = .propose(group: group, command: Array(bytes[6...]))
        case .readIndex?:
            guard bytes.count == 6 else { throw .forwardMalformed("read-index request with \(bytes.count - 6) trailing bytes") }
            self = .readIndex(group: group)
        case nil:
            throw .forwardMalformed("unknown forwarded request kind \(bytes[1])")
        }
    }
}

/// The leader's answer to a `ForwardedRequest`: the machine's result bytes, a read index, or the
/// replication error with the leader the answering node knows of (the asker retries there).
public enum ForwardedReply: Sendable, Hashable {
    case result([UInt8])
    case readIndex(UInt64)
    case failure(code: String, message: String, leaderHint: UInt64)

    private enum Tag: UInt8 {
        case result = 1, readIndex, failure
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.byte(ForwardedRequest.format)
        switch self {
        case .result(let bytes):
            writer.byte(Tag.result.rawValue)
            writer.bytes += bytes
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
    public init(encoded bytes: [UInt8]) throws(ReplicationError) {
        guard bytes.count >= 2, bytes[0] == ForwardedRequest.format else {
            throw .forwardMalformed("forwarded reply of \(bytes.count) bytes or of another format")
        }
        var reader = ByteReader(bytes, from: 2)
        do throws(ByteReaderError) {
            switch Tag(rawValue: bytes[1]) {
            case .result?: self = .result(Array(bytes[2...])); return
            case .readIndex?: self = .readIndex(try reader.varint())
            case .failure?:
                let limit = ShardLimits.maxPayloadBytes
                self = .failure(code: try reader.string(limit: limit), message: try reader.string(limit: limit), leaderHint: try reader.varint())
            case nil: throw ByteReaderError("unknown forwarded reply tag \(bytes[1])")
            }
            try reader.requireEnd()
        } catch {
            throw .forwardMalformed("forwarded reply: \(error.message)")
        }
    }
}

extension ReplicationHost where Machine: ForwardableStateMachine {
    /// Runs a request another node forwarded because this node leads the group (or did when it
    /// looked): here only, never forwarded again, so a request crosses at most one hop. Failures
    /// are answered, with the leader this node knows of.
    public func serveForwarded(_ bytes: [UInt8]) async -> [UInt8] {
        let reply: ForwardedReply
        do {
            switch try ForwardedRequest(encoded: bytes) {
            case let .propose(group, command):
                let decoded: Machine.Command
                do { decoded = try Machine.decode(command) } catch {
                    throw ReplicationError(code: "entry_undecodable", message: "this node cannot decode the command: \(error)")
                }
                reply = .result(Machine.encodeResult(try await propose(group: group, command: decoded).result))
            case .readIndex(let group):
                reply = .readIndex(try await readIndex(group: group))
            }
        } catch let error as ReplicationError {
            reply = .failure(code: error.code, message: error.message, leaderHint: error.leaderHint)
        } catch {
            reply = .failure(code: "forward_malformed", message: "\(error)", leaderHint: 0)
        }
        return reply.encoded
    }

    /// Proposes `command` to `group` on whichever node leads it: here when this node leads, else
    /// forwarded once to the leader this node knows of (throws `raft_not_leader` when none is
    /// known, or without a forwarder; callers retry through elections).
    public func proposeAnywhere(group: UInt32, command: Machine.Command) async throws -> Machine.Result {
        do {
            return try await propose(group: group, command: command).result
        } catch let error as ReplicationError where error.code == "raft_not_leader" {
            let reply = try await forward(.propose(group: group, command: Machine.encode(command)), after: error)
            guard case .result(let bytes) = reply else { throw Self.unexpected(reply, group) }
            do { return try Machine.decodeResult(bytes) } catch let decoding {
                throw ReplicationError.forwardMalformed("node \(error.leaderHint) sent a result this build cannot read: \(decoding)")
            }
        }
    }

    /// A linearizable read of `group` on this replica: read-index here when this node leads, else
    /// the leader's confirmed read point, then this replica's own state once it has applied that
    /// far (`durable`: and its rows and read model are on disk).
    public func readAnywhere<Value: Sendable>(group: UInt32, durable: Bool = false,
                                              _ body: @escaping @Sendable (Machine) -> Value) async throws -> Value {
        do {
            return try await read(group: group, durable: durable, body)
        } catch let error as ReplicationError where error.code == "raft_not_leader" {
            let reply = try await forward(.readIndex(group: group), after: error)
            guard case .readIndex(let index) = reply else { throw Self.unexpected(reply, group) }
            return try await read(group: group, local: true, durable: durable, atLeast: index, body)
        }
    }

    private func forward(_ request: ForwardedRequest, after error: ReplicationError) async throws -> ForwardedReply {
        let leader = error.leaderHint
        guard let forwarder, leader != 0, leader != configuration.nodeID else { throw error }
        let bytes: [UInt8]
        do {
            bytes = try await forwarder(leader, request.encoded)
        } catch {
            throw ReplicationError(code: "leader_unreachable", message: "node \(leader) (leader of group \(request.group)) did not answer: \(error)")
        }
        let reply: ForwardedReply
        do { reply = try ForwardedReply(encoded: bytes) } catch {
            throw ReplicationError.forwardMalformed("node \(leader) sent a reply this build cannot read: \(error)")
        }
        if case let .failure(code, message, leaderHint) = reply {
            throw ReplicationError(code: code, message: "node \(leader): \(message)", leaderHint: leaderHint)
        }
        return reply
    }

    private static func unexpected(_ reply: ForwardedReply, _ group: UInt32) -> ReplicationError {
        ReplicationError.forwardMalformed("group \(group): the leader answered with \(reply)")
    }
}

extension ReplicationError {
    static func forwardMalformed(_ detail: String) -> ReplicationError {
        ReplicationError(code: "forward_malformed", message: "undecodable forwarded request or reply: \(detail)")
    }
}
