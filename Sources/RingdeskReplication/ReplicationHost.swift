import CoreMetrics
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RingdeskHTTP2
import RingdeskRaft
import RingdeskShard

/// Hosts every Raft group of one node: one loop thread drives all the groups' pure `RaftNode`s,
/// writes all their Ready work in one SQLite transaction (group commit across groups: one fsync
/// for many groups' appends, hard states and applied state), and sends each peer one coalesced
/// batch per turn.
///
/// Callers (HTTP handlers, tests) only enqueue: messages from peers, proposals, reads. They never
/// touch a group's state, which belongs to the loop thread.
///
/// Generic over the replicated state machine: the host never looks inside commands or rows, and
/// names no HTTP route (the node owns `/internal/raft` and hands its bodies to `receive`).
public final class ReplicationHost<Machine: ReplicatedStateMachine>: Sendable {
    public let configuration: ReplicationConfiguration
    let inbox = ReplicationInbox<Machine>()
    private let loop: ReplicationLoop<Machine>
    private let senders: [RaftNodeID: RaftPeerSender]
    private let started = NIOLockedValueBox(false)
    /// Peers that refused this node's cluster protocol: id → the version they speak (0: none named).
    private let refusals: NIOLockedValueBox<[RaftNodeID: UInt32]>
    /// The event loop the host made for itself when it was given none.
    private let ownGroup: MultiThreadedEventLoopGroup?
    /// Carries requests for groups another node leads to that node (`proposeAnywhere`,
    /// `readAnywhere`); nil on a node alone.
    let forwarder: ReplicationForwarder?

    /// Opens the store, creates missing groups and reloads every group's state; does not start.
    /// `client` carries traffic to the peers (nil when the only member is this node).
    ///
    /// The groups run on `eventLoop`: give the one the node's HTTP/2 server and peer client use,
    /// so a peer's message or a client's proposal reaches the groups without a thread switch.
    /// Without one the host runs its own single-threaded event loop.
    ///
    /// `projection`, when given, writes a read model of the applied rows in the same transaction
    /// as the rows and the applied index (see `ReadModelProjection`).
    ///
    /// `raftPath` is the peers' route for this host's Raft traffic (a node with several hosts
    /// gives each its own); `forwarder` carries requests to the leader of a group this node does
    /// not lead.
    public init(configuration: ReplicationConfiguration, databasePath: String, client: HTTP2Client?, logger: Logger,
                metrics: (any MetricsFactory)? = nil, eventLoop: (any EventLoop)? = nil,
                projection: ReadModelProjection<Machine>? = nil, raftPath: String = "/internal/raft",
                forwarder: ReplicationForwarder? = nil) throws {
        let errors = configuration.validationErrors()
        guard errors.isEmpty else { throw ReplicationError(code: "replication_config", message: errors.joined(separator: "; ")) }
        self.configuration = configuration
        self.forwarder = forwarder
        var senders: [RaftNodeID: RaftPeerSender] = [:]
        let refusals = NIOLockedValueBox<[RaftNodeID: UInt32]>([:])
        self.refusals = refusals
        if let client {
            for id in configuration.peers.keys where id != configuration.nodeID {
                senders[id] = RaftPeerSender(peer: configuration.peer(of: id)!, client: client, path: raftPath,
                                             clusterProtocol: configuration.clusterProtocol) { [logger] theirs in
                    guard let theirs else {
                        refusals.withLockedValue { if !$0.isEmpty { $0[id] = nil } }
                        return
                    }
                    let first = refusals.withLockedValue { $0.updateValue(theirs, forKey: id) == nil }
                    if first {
                        logger.error("a peer refuses this node's cluster protocol", metadata: [
                            "peer": "\(id)", "peer_protocol": "\(theirs)", "protocol": "\(configuration.clusterProtocol)"])
                    }
                }
            }
        }
        self.senders = senders
        let store = try RaftLogStore(path: databasePath, metrics: metrics)
        let ownGroup = eventLoop == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        self.ownGroup = ownGroup
        loop = try ReplicationLoop(configuration: configuration, eventLoop: eventLoop ?? ownGroup!.next(), store: store, inbox: inbox, logger: logger,
                                   metrics: ReplicationMetrics(factory: metrics ?? NOOPMetricsHandler.instance), projection: projection,
                                   send: { [senders] peer, bytes in senders[peer]?.send(bytes) })
    }

    /// Starts the loop (and its writer thread).
    public func start() {
        let first = started.withLockedValue { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        loop.start()
    }

    /// Stops the loop (after its current turn) and the senders; pending callers get an error.
    public func stop() {
        if started.withLockedValue({ $0 }) {
            loop.stop()
        } else {
            inbox.stop()
        }
        for sender in senders.values { sender.stop() }
        if let ownGroup, !loop.eventLoop.inEventLoop {
            try? ownGroup.syncShutdownGracefully()
        }
    }

    // MARK: Requests

    /// A batch of peer messages (the node serves them as `POST /internal/raft`): length-prefixed `RaftCodec` batches. Throws on bytes that
    /// do not decode; nothing is enqueued then.
    public func receive(_ body: [UInt8]) throws {
        var envelopes: [RaftEnvelope] = []
        var offset = 0
        while offset < body.count {
            guard body.count - offset >= 4 else { throw ReplicationError.malformed("truncated batch length") }
            let length = Int(body[offset]) << 24 | Int(body[offset + 1]) << 16 | Int(body[offset + 2]) << 8 | Int(body[offset + 3])
            offset += 4
            guard length <= body.count - offset else { throw ReplicationError.malformed("batch longer than the body") }
            do {
                envelopes += try RaftCodec.decode(Array(body[offset..<offset + length]))
            } catch {
                throw ReplicationError.malformed("\(error)")
            }
            offset += length
        }
        inbox.deliver(envelopes)
    }

    /// Proposes `command` to `group`'s leader on this node; returns once it is committed (on a
    /// majority's disks) and applied, with its result. Throws `not_leader` (with the leader's id)
    /// when another node leads, and `outcome_unknown` when leadership changed or the deadline
    /// passed before the outcome was known (retry with the same idempotency key).
    public func propose(group: UInt32, command: Machine.Command) async throws -> ReplicatedOutcome<Machine.Result> {
        try await withCheckedThrowingContinuation { continuation in
            propose(group: group, command: command, completion: ReplicationInbox<Machine>.ProposalCompletion(continuation))
        }
    }

    /// `propose(group:command:)` without a task: `completion` gets the outcome exactly once, on
    /// the replication loop's thread (or the caller's, for a refusal), so it must be quick and
    /// hand any real work to another thread. For callers on an event loop that answer many
    /// requests: no task is created and no cooperative thread is woken per proposal.
    public func propose(group: UInt32, command: Machine.Command,
                        completion: @escaping @Sendable (Result<ReplicatedOutcome<Machine.Result>, any Error>) -> Void) {
        propose(group: group, command: command, completion: ReplicationInbox<Machine>.ProposalCompletion(completion))
    }

    @_specialize(where Machine == ShardStateMachine)
    @_specialize(where Machine == TicketShardMachine)
    private func propose(group: UInt32, command: Machine.Command, completion: ReplicationInbox<Machine>.ProposalCompletion) {
        guard group < configuration.groups else { return completion.resume(throwing: ReplicationError.unknownGroup(group)) }
        inbox.propose(ReplicationInbox<Machine>.Proposal(group: group, data: Machine.encode(command), continuation: completion),
                      limit: configuration.maxPendingProposals)
    }

    /// A linearizable read through read-index: the leader confirms it still leads, waits until
    /// it has applied that point, then runs `body` on the group's machine (on the loop thread: keep
    /// it quick). With `local`, any replica answers from what it has applied so far (possibly
    /// stale; for checks and diagnostics).
    ///
    /// `durable`: waits until the store's rows, and the read model projected with them, hold
    /// everything this replica had applied when the read was answerable: a client that was
    /// answered for a change then finds it in the read model's tables.
    ///
    /// `atLeast` (with `local`): waits until this replica has applied that index, typically a
    /// read index the group's leader confirmed (`readIndex(group:)`): a follower then answers a
    /// read that is not stale without the leader sending it any state.
    public func read<Value: Sendable>(group: UInt32, local: Bool = false, durable: Bool = false, atLeast: UInt64 = 0,
                                      _ body: @escaping @Sendable (Machine) -> Value) async throws -> Value {
        try await readApplied(group: group, local: local, durable: durable, atLeast: atLeast) { machine, _ in body(machine) }
    }

    /// A linearizable read point: the index this node, leading `group`, has confirmed and
    /// applied (read-index). Throws `raft_not_leader` with the leader's id elsewhere: a follower
    /// asks the leader for it, then reads locally with `atLeast:`.
    public func readIndex(group: UInt32) async throws -> UInt64 {
        try await readApplied(group: group, local: false, durable: false, atLeast: 0) { _, index in index }
    }

    private func readApplied<Value: Sendable>(group: UInt32, local: Bool, durable: Bool, atLeast: UInt64,
                                              _ body: @escaping @Sendable (Machine, UInt64) -> Value) async throws -> Value {
        guard group < configuration.groups else { throw ReplicationError.unknownGroup(group) }
        return try await withCheckedThrowingContinuation { continuation in
            inbox.read(ReplicationInbox<Machine>.Read(group: group, local: local, durable: durable, atLeast: atLeast,
                                                      perform: { continuation.resume(returning: body($0, $1)) },
                                                      fail: { continuation.resume(throwing: $0) }),
                       limit: configuration.maxPendingProposals)
        }
    }

    /// Changes one group's membership through its log (this node must lead the group): add a
    /// node as a learner, promote a caught-up learner to voter, or remove a node. One change at a
    /// time per group; returns the group's membership once the change is applied.
    public func changeMembership(group: UInt32, _ change: RaftConfChange) async throws -> UInt64 {
        guard group < configuration.groups else { throw ReplicationError.unknownGroup(group) }
        return try await withCheckedThrowingContinuation { continuation in
            inbox.changeMembership(ReplicationInbox<Machine>.Membership(group: group, change: change, continuation: continuation),
                                   limit: configuration.maxPendingProposals)
        }
    }

    /// Hands every group this node leads to its most caught-up other voter (Raft leadership
    /// transfer), so the node can be stopped without an election timeout's worth of unavailability.
    /// Returns the number of transfers started; they complete within an election timeout or are
    /// abandoned (the node then still leads those groups).
    public func drain() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            inbox.drain(ReplicationInbox.Drain(continuation: continuation))
        }
    }

    /// Follows what every group applies on this replica, leader or follower, in log order per
    /// group: `handler` gets each turn's events on the replication loop's thread (keep it quick;
    /// hand work elsewhere, in order). Replaces an earlier handler.
    public func follow(_ handler: @escaping @Sendable ([ReplicationFeedEvent<Machine>]) -> Void) {
        loop.feed.withLockedValue { $0 = handler }
    }

    /// Every group's role, term, leader and indexes as of the loop's last turn.
    public var status: [ReplicationGroupStatus] { loop.status }

    /// Where `node` serves its API, for forwarding a request to a leader.
    public func peer(of node: RaftNodeID) -> HTTP2Client.Peer? {
        configuration.peer(of: node)
    }

    /// Peers that refused this node's cluster protocol (id → their version, 0 for none named).
    public var protocolRefusals: [RaftNodeID: UInt32] { refusals.withLockedValue { $0 } }

    /// Whether enough peers refused this node's protocol that no group can have a quorum with it.
    public var refusedByQuorum: Bool {
        let voters = configuration.initialVoters
        let refused = protocolRefusals.keys.filter(voters.contains).count
        return voters.count - refused < voters.count / 2 + 1
    }
}

extension ReplicationConfiguration {
    /// Where `node` listens, from its configured `host:port`; nil for a node not among the peers.
    public func peer(of node: RaftNodeID) -> HTTP2Client.Peer? {
        peers[node].flatMap(Self.parseAddress).map { HTTP2Client.Peer(host: $0.host, port: $0.port) }
    }
}

/// What a replica applied: results of committed entries in log order, or a group's whole state
/// replaced by a snapshot from its leader (a follower of the feed re-reads that group).
public enum ReplicationFeedEvent<Machine: ReplicatedStateMachine>: Sendable {
    case applied(group: UInt32, results: [Machine.Result])
    case replaced(group: UInt32)
}

/// What a committed proposal produced: its log index and the machine's result.
public struct ReplicatedOutcome<Result: Sendable>: Sendable {
    public var index: UInt64
    public var result: Result
}

/// One group's state as shown to operators.
public struct ReplicationGroupStatus: Sendable, Hashable, Codable {
    public var group: UInt32
    public var role: String
    public var term: UInt64
    public var leader: UInt64
    public var commitIndex: UInt64
    public var appliedIndex: UInt64
    public var lastIndex: UInt64
    public var firstIndex: UInt64
    public var voters: [UInt64]
    public var learners: [UInt64]
    public var recovering: Bool
    /// Why the group stopped applying (a committed entry this build cannot decode); nil while it runs.
    public var halted: String?

    enum CodingKeys: String, CodingKey {
        case group, role, term, leader, voters, learners, recovering, halted
        case commitIndex = "commit_index"
        case appliedIndex = "applied_index"
        case lastIndex = "last_index"
        case firstIndex = "first_index"
    }
}

/// Errors crossing the module; `code` is stable, the HTTP layer maps it.
public struct ReplicationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var leaderHint: RaftNodeID

    public init(code: String, message: String, leaderHint: RaftNodeID = 0) {
        self.code = code
        self.message = message
        self.leaderHint = leaderHint
    }

    public var description: String { "\(code): \(message)" }

    static func malformed(_ detail: String) -> ReplicationError {
        ReplicationError(code: "raft_malformed", message: "undecodable raft batch: \(detail)")
    }

    static func unknownGroup(_ group: UInt32) -> ReplicationError {
        ReplicationError(code: "unknown_group", message: "group \(group) does not exist")
    }

    static func halted(_ group: UInt32, _ reason: String) -> ReplicationError {
        ReplicationError(code: "group_halted", message: "group \(group) stopped applying: \(reason); this node needs a build that can decode it")
    }

    static let stopped = ReplicationError(code: "replication_stopped", message: "the node is shutting down")
    static let overloaded = ReplicationError(code: "replication_overloaded", message: "too many proposals are waiting")
    static let outcomeUnknown = ReplicationError(
        code: "outcome_unknown",
        message: "leadership changed or the deadline passed before the outcome was known; retry with the same idempotency key")
}
