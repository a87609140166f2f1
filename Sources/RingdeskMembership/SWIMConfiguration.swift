/// Tuning of the SWIM + Lifeguard core. `defaults` follow HashiCorp memberlist's LAN profile and the
/// Lifeguard paper (α = 4, β = 6, K = 3), with gossip every 200 ms to 3 peers.
public struct SWIMConfiguration: Hashable, Sendable {
    /// Protocol period: one member is probed per period (randomised round-robin). Stretched by the
    /// local health multiplier: `probeInterval × (LHM + 1)`.
    public var probeInterval: Duration
    /// How long to wait for a direct ack before asking helpers; the indirect phase waits as long
    /// again. Stretched by `LHM + 1`. Must be at most half of `probeInterval`.
    public var probeTimeout: Duration
    /// Helpers asked to probe a member that missed its direct ack (SWIM's k).
    public var indirectProbeCount: Int
    /// Lifeguard α: the minimum suspicion timeout is `α × max(1, log10(n)) × probeInterval`.
    public var suspicionMinMultiplier: Double
    /// Lifeguard β: the maximum suspicion timeout is `β ×` the minimum; it shrinks towards the
    /// minimum as independent confirmations arrive.
    public var suspicionMaxMultiplier: Double
    /// Lifeguard K: independent confirmations after which the suspicion timeout reaches its minimum.
    public var suspicionConfirmations: Int
    /// λ: every update is sent at most `λ × ceil(log10(n + 1))` times.
    public var retransmitMultiplier: Int
    /// Gossip period: piggybacked updates go to `gossipFanout` random members this often (only
    /// when there is something to tell).
    public var gossipInterval: Duration
    public var gossipFanout: Int
    /// Full-state sync with one random member this often (anti-entropy); multiplied by
    /// `SWIMInstance.pushPullScale` in clusters above 32 members.
    public var pushPullInterval: Duration
    /// Re-join period: push-pull with a member believed dead (Serf-style, with probability
    /// dead/alive) and with any seed that is not alive in the local view, so a partition longer
    /// than the suspicion timeout merges back by itself.
    public var rejoinInterval: Duration
    /// Dead and left members are kept (as reconnect targets and against stale gossip) this long.
    public var deadMemberRetention: Duration
    /// Lifeguard S: the local health multiplier saturates here.
    public var maxLocalHealthMultiplier: Int
    /// Largest application payload per member.
    public var maxPayloadBytes: Int
    /// Largest encoded protocol message (piggybacked updates are chosen to fit).
    public var maxMessageBytes: Int
    /// Largest encoded full-state sync; members beyond it are left out of that exchange.
    public var maxPushPullBytes: Int
    /// Seed addresses for join and re-join.
    public var seeds: [String]

    public init(
        probeInterval: Duration = .seconds(1),
        probeTimeout: Duration = .milliseconds(500),
        indirectProbeCount: Int = 3,
        suspicionMinMultiplier: Double = 4,
        suspicionMaxMultiplier: Double = 6,
        suspicionConfirmations: Int = 3,
        retransmitMultiplier: Int = 4,
        gossipInterval: Duration = .milliseconds(200),
        gossipFanout: Int = 3,
        pushPullInterval: Duration = .seconds(30),
        rejoinInterval: Duration = .seconds(10),
        deadMemberRetention: Duration = .seconds(600),
        maxLocalHealthMultiplier: Int = 8,
        maxPayloadBytes: Int = 512,
        maxMessageBytes: Int = 8192,
        maxPushPullBytes: Int = 1 << 20,
        seeds: [String] = []
    ) {
        self.probeInterval = probeInterval
        self.probeTimeout = probeTimeout
        self.indirectProbeCount = indirectProbeCount
        self.suspicionMinMultiplier = suspicionMinMultiplier
        self.suspicionMaxMultiplier = suspicionMaxMultiplier
        self.suspicionConfirmations = suspicionConfirmations
        self.retransmitMultiplier = retransmitMultiplier
        self.gossipInterval = gossipInterval
        self.gossipFanout = gossipFanout
        self.pushPullInterval = pushPullInterval
        self.rejoinInterval = rejoinInterval
        self.deadMemberRetention = deadMemberRetention
        self.maxLocalHealthMultiplier = maxLocalHealthMultiplier
        self.maxPayloadBytes = maxPayloadBytes
        self.maxMessageBytes = maxMessageBytes
        self.maxPushPullBytes = maxPushPullBytes
        self.seeds = seeds
    }

    public static let defaults = SWIMConfiguration()

    /// Lifeguard's suspicion timeout in a cluster of `clusterSize` members after `confirmations`
    /// independent confirmations: from `β · min` down to `min = α · max(1, log10 n) · probeInterval`.
    public func suspicionTimeout(clusterSize: Int, confirmations: Int) -> Duration {
        let bounds = SWIMSuspicion.bounds(clusterSize: clusterSize, configuration: self)
        let timeout = SWIMSuspicion.timeout(confirmations: min(confirmations, bounds.expected), expected: bounds.expected,
                                            minimum: bounds.minimum, maximum: bounds.maximum)
        return .nanoseconds(timeout)
    }

    /// Throws when the settings cannot work together.
    public func validate() throws(SWIMError) {
        func require(_ condition: Bool, _ message: String) throws(SWIMError) {
            if !condition { throw .invalidConfiguration(message) }
        }
        try require(probeTimeout > .zero, "probeTimeout must be positive")
        try require(probeInterval >= probeTimeout * 2, "probeInterval must be at least twice probeTimeout")
        try require(indirectProbeCount >= 0, "indirectProbeCount must not be negative")
        try require(suspicionMinMultiplier > 0, "suspicionMinMultiplier must be positive")
        try require(suspicionMaxMultiplier >= 1, "suspicionMaxMultiplier must be at least 1")
        try require(suspicionConfirmations >= 0, "suspicionConfirmations must not be negative")
        try require(retransmitMultiplier >= 1, "retransmitMultiplier must be at least 1")
        try require(gossipInterval > .zero, "gossipInterval must be positive")
        try require(gossipFanout >= 0, "gossipFanout must not be negative")
        try require(pushPullInterval > .zero, "pushPullInterval must be positive")
        try require(rejoinInterval > .zero, "rejoinInterval must be positive")
        try require(maxLocalHealthMultiplier >= 0, "maxLocalHealthMultiplier must not be negative")
        try require(maxPayloadBytes >= 0 && maxPayloadBytes <= SWIMCodec.Limits.protocolMaximum.maxPayloadBytes,
                    "maxPayloadBytes must be between 0 and \(SWIMCodec.Limits.protocolMaximum.maxPayloadBytes)")
        try require(maxMessageBytes >= 512, "maxMessageBytes must be at least 512")
        try require(maxPushPullBytes >= maxMessageBytes && maxPushPullBytes <= SWIMCodec.Limits.protocolMaximum.maxMessageBytes,
                    "maxPushPullBytes must be between maxMessageBytes and \(SWIMCodec.Limits.protocolMaximum.maxMessageBytes)")
    }
}
