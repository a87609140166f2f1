/// Tunables of one replica. Time is counted in ticks the application delivers (`RaftNode.tick()`).
public struct RaftConfiguration: Sendable, Hashable {
    /// This replica's id (non-zero).
    public var id: RaftNodeID
    /// A follower that hears from no leader for a randomised [electionTicks, 2×electionTicks) ticks
    /// campaigns; a leader that has not heard from a quorum within electionTicks steps down.
    public var electionTicks: Int
    /// A leader sends heartbeats every heartbeatTicks.
    public var heartbeatTicks: Int
    /// Ask the others first whether they would vote (no term bump), so a rejoining replica cannot
    /// depose a healthy leader.
    public var preVote: Bool
    /// Leader steps down without a quorum's recent contact; followers ignore votes while their
    /// leader lease holds.
    public var checkQuorum: Bool
    /// At most this many entries in one append message.
    public var maxEntriesPerAppend: Int
    /// At most this many payload bytes in one append message (at least one entry is always sent).
    public var maxBytesPerAppend: Int
    /// At most this many append messages in flight to one follower (pipelining).
    public var maxInflightAppends: Int
    /// Proposals not yet committed beyond which `propose` refuses (back-pressure), in bytes.
    public var maxUncommittedBytes: Int
    /// Seed of the randomised election timeout; a simulation sets it, a node takes it from its id.
    public var randomSeed: UInt64

    public init(id: RaftNodeID, electionTicks: Int = 10, heartbeatTicks: Int = 1, preVote: Bool = true,
                checkQuorum: Bool = true, maxEntriesPerAppend: Int = 512, maxBytesPerAppend: Int = 1 << 20,
                maxInflightAppends: Int = 64, maxUncommittedBytes: Int = 64 << 20, randomSeed: UInt64? = nil) {
        self.id = id
        self.electionTicks = electionTicks
        self.heartbeatTicks = heartbeatTicks
        self.preVote = preVote
        self.checkQuorum = checkQuorum
        self.maxEntriesPerAppend = maxEntriesPerAppend
        self.maxBytesPerAppend = maxBytesPerAppend
        self.maxInflightAppends = maxInflightAppends
        self.maxUncommittedBytes = maxUncommittedBytes
        self.randomSeed = randomSeed ?? id
    }
}
