import RingdeskRaft

/// How a node hosts its Raft groups. Only executables read files and flags; this is the value.
public struct ReplicationConfiguration: Sendable, Hashable, Codable {
    /// This node's replica id in every group (non-zero, unique in the cluster).
    public var nodeID: RaftNodeID
    /// Every node of the replica set, this one included: id → "host:port" of its HTTP/2 listener.
    public var peers: [RaftNodeID: String]
    /// The groups' initial voters (every group starts with the same); nil means all of `peers`.
    /// A node in `peers` but not here starts with nothing and joins a group when an operator adds
    /// it as a learner and promotes it (`POST /v1/admin/replication/groups/{g}/members`).
    public var voters: [RaftNodeID]?
    /// Number of groups (shards); every group starts replicated on all initial voters.
    public var groups: Int
    /// Length of one Raft tick.
    public var tickMilliseconds: Int
    /// Ticks without a leader before a follower campaigns (randomised up to twice this).
    public var electionTicks: Int
    /// A group takes a snapshot and compacts its log after this many applied entries.
    public var snapshotEvery: Int
    /// Most proposals waiting for the loop at once; more are refused (back-pressure).
    public var maxPendingProposals: Int
    /// How long a proposal may wait to be committed and applied before the caller gets a timeout.
    public var proposalTimeoutMilliseconds: Int
    /// The cluster protocol this node speaks (`ClusterProtocol.current`; other values only to
    /// try out a refusal, see `RINGDESK_CLUSTER_PROTOCOL` in docs/operations.md).
    public var clusterProtocol: UInt32 = ClusterProtocol.current

    public init(nodeID: RaftNodeID, peers: [RaftNodeID: String], voters: [RaftNodeID]? = nil, groups: Int = 64, tickMilliseconds: Int = 100,
                electionTicks: Int = 10, snapshotEvery: Int = 10_000, maxPendingProposals: Int = 100_000,
                proposalTimeoutMilliseconds: Int = 5_000) {
        self.nodeID = nodeID
        self.peers = peers
        self.voters = voters
        self.groups = groups
        self.tickMilliseconds = tickMilliseconds
        self.electionTicks = electionTicks
        self.snapshotEvery = snapshotEvery
        self.maxPendingProposals = maxPendingProposals
        self.proposalTimeoutMilliseconds = proposalTimeoutMilliseconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case peers, groups, voters
        case nodeID = "node_id"
        case tickMilliseconds = "tick_ms"
        case electionTicks = "election_ticks"
        case snapshotEvery = "snapshot_every"
        case maxPendingProposals = "max_pending_proposals"
        case proposalTimeoutMilliseconds = "proposal_timeout_ms"
    }

    /// The `replication` object of a node's config file; peers are keyed by id as a string
    /// (`{"1": "127.0.0.1:7301"}`), everything but `node_id` and `peers` has a default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let nodeID = try c.decode(UInt64.self, forKey: .nodeID)
        let rawPeers = try c.decode([String: String].self, forKey: .peers)
        var peers: [RaftNodeID: String] = [:]
        for (key, address) in rawPeers {
            guard let id = UInt64(key) else {
                throw DecodingError.dataCorruptedError(forKey: .peers, in: c, debugDescription: "peer id '\(key)' is not a positive integer")
            }
            peers[id] = address
        }
        let d = ReplicationConfiguration(nodeID: nodeID, peers: peers)
        self.init(nodeID: nodeID, peers: peers,
                  voters: try c.decodeIfPresent([UInt64].self, forKey: .voters),
                  groups: try c.decodeIfPresent(Int.self, forKey: .groups) ?? d.groups,
                  tickMilliseconds: try c.decodeIfPresent(Int.self, forKey: .tickMilliseconds) ?? d.tickMilliseconds,
                  electionTicks: try c.decodeIfPresent(Int.self, forKey: .electionTicks) ?? d.electionTicks,
                  snapshotEvery: try c.decodeIfPresent(Int.self, forKey: .snapshotEvery) ?? d.snapshotEvery,
                  maxPendingProposals: try c.decodeIfPresent(Int.self, forKey: .maxPendingProposals) ?? d.maxPendingProposals,
                  proposalTimeoutMilliseconds: try c.decodeIfPresent(Int.self, forKey: .proposalTimeoutMilliseconds)
                      ?? d.proposalTimeoutMilliseconds)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(nodeID, forKey: .nodeID)
        try c.encode(Dictionary(uniqueKeysWithValues: peers.map { (String($0.key), $0.value) }), forKey: .peers)
        try c.encodeIfPresent(voters, forKey: .voters)
        try c.encode(groups, forKey: .groups)
        try c.encode(tickMilliseconds, forKey: .tickMilliseconds)
        try c.encode(electionTicks, forKey: .electionTicks)
        try c.encode(snapshotEvery, forKey: .snapshotEvery)
        try c.encode(maxPendingProposals, forKey: .maxPendingProposals)
        try c.encode(proposalTimeoutMilliseconds, forKey: .proposalTimeoutMilliseconds)
    }

    /// Problems an operator must fix, each naming the key.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        if nodeID == 0 { errors.append("replication.node_id must be a positive integer") }
        if peers[nodeID] == nil { errors.append("replication.peers must include this node's id \(nodeID)") }
        for (id, address) in peers where Self.parseAddress(address) == nil {
            errors.append("replication.peers.\(id): \"\(address)\" is not host:port")
        }
        if peers.keys.contains(0) { errors.append("replication.peers: id 0 is reserved") }
        if let voters {
            if voters.isEmpty { errors.append("replication.voters must name at least one node") }
            if let unknown = voters.first(where: { peers[$0] == nil }) {
                errors.append("replication.voters: node \(unknown) is not in replication.peers")
            }
        }
        if !(1...4096).contains(groups) { errors.append("replication.groups must be between 1 and 4096") }
        if !(5...10_000).contains(tickMilliseconds) { errors.append("replication.tick_ms must be between 5 and 10000") }
        if !(3...1_000).contains(electionTicks) { errors.append("replication.election_ticks must be between 3 and 1000") }
        if snapshotEvery < 16 { errors.append("replication.snapshot_every must be at least 16") }
        return errors
    }

    /// The initial voters in effect.
    public var initialVoters: [RaftNodeID] { (voters ?? Array(peers.keys)).sorted() }

    static func parseAddress(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        let host = String(address[..<colon])
        return host.isEmpty ? nil : (host, port)
    }
}
