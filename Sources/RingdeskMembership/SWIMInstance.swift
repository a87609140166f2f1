/// The SWIM + Lifeguard membership protocol as a pure state machine: each `mutating` method takes
/// one event (a timer tick with `now`, an incoming message, a local change) and returns the
/// directives the owner must perform (send a message, report a membership change). It never
/// sends, sleeps, logs or reads a clock; its randomness comes from the seed it is given.
///
/// The owner calls `tick(now:)` whenever `nextDeadline` passes (calling it early is harmless).
public struct SWIMInstance: Sendable {
    public let configuration: SWIMConfiguration
    /// The local node.
    public let id: SWIMNodeID
    /// The local node's incarnation: raised to refute a suspicion and on every metadata change.
    public internal(set) var incarnation: UInt64
    public internal(set) var metadata: SWIMNodeMetadata
    public internal(set) var payload: [UInt8]
    /// Lifeguard's local health multiplier (0 = healthy, at most `maxLocalHealthMultiplier`):
    /// raised by failed probes, missing nacks and refutations, lowered by successful probes;
    /// probe interval and timeout are multiplied by `LHM + 1`.
    public internal(set) var localHealthMultiplier: Int = 0
    public internal(set) var statistics = Statistics()

    var lifecycle: Lifecycle = .active
    /// Every other member known, including dead and left ones until `deadMemberRetention` passes.
    var records: [MemberRecord] = []
    var recordIndex: [SWIMNodeID: Int] = [:]
    /// Members that are alive or suspect (the local node excluded).
    var liveCount = 0
    /// Members that are dead (not left).
    var deadCount = 0
    /// Members whose suspicion timer runs (entries may be stale; checked on use).
    var suspects: [SWIMNodeID] = []
    /// No suspicion ends before this (it may be early after a refutation; that only costs a tick,
    /// which recomputes it).
    var earliestSuspicionDeadline: SWIMTime?
    var broadcasts = SWIMBroadcastQueue()
    var probe: ProbeState = .idle
    var probeOrder: [SWIMNodeID] = []
    var probeCursor = 0
    /// Indirect probes this node performs for others.
    var forwards: [Forward] = []
    var nextSequence: UInt32 = 0
    var nextProbeAt: SWIMTime
    var nextGossipAt: SWIMTime
    var nextPushPullAt: SWIMTime
    var nextRejoinAt: SWIMTime
    var random: SWIMRandom
    let timing: Timing
    /// Set while handling a message that held a stale suspicion or death of the local node.
    var staleClaimSeen = false
    /// Members that came back from the dead (or were disputed) since the last expedited sync: two
    /// or more mean a partition is healing, and a full-state sync soon mops up what gossip missed.
    var revivals = 0
    var lastExpeditedSyncAt: SWIMTime?

    enum Lifecycle: Hashable, Sendable {
        case active
        /// Left gracefully: every further event is ignored.
        case left
    }

    /// Intervals in nanoseconds, converted once.
    struct Timing: Sendable {
        var probeInterval: Int64
        var probeTimeout: Int64
        var gossipInterval: Int64
        var pushPullInterval: Int64
        var rejoinInterval: Int64
        var deadMemberRetention: Int64

        init(_ configuration: SWIMConfiguration) {
            probeInterval = configuration.probeInterval.nanosecondsClamped
            probeTimeout = configuration.probeTimeout.nanosecondsClamped
            gossipInterval = configuration.gossipInterval.nanosecondsClamped
            pushPullInterval = configuration.pushPullInterval.nanosecondsClamped
            rejoinInterval = configuration.rejoinInterval.nanosecondsClamped
            deadMemberRetention = configuration.deadMemberRetention.nanosecondsClamped
        }
    }

    /// Counters for tests, simulations and metrics.
    public struct Statistics: Hashable, Sendable {
        public var probesSent = 0
        public var indirectProbesSent = 0
        public var probesFailed = 0
        public var refutations = 0
        public var pushPullsSent = 0
        public var rejoinAttempts = 0
        public var gossipMessagesSent = 0

        public init() {}
    }

    /// Creates the local member at incarnation `incarnation` (0 for a fresh start). `seed` feeds
    /// the instance's random choices (probe order, helpers, gossip targets, timer phases).
    public init(
        id: SWIMNodeID,
        metadata: SWIMNodeMetadata,
        payload: [UInt8] = [],
        incarnation: UInt64 = 0,
        configuration: SWIMConfiguration = .defaults,
        seed: UInt64,
        now: SWIMTime
    ) throws(SWIMError) {
        try configuration.validate()
        try Self.check(metadata: metadata, payload: payload, configuration: configuration)
        self.configuration = configuration
        self.id = id
        self.metadata = metadata
        self.payload = payload
        self.incarnation = incarnation
        self.timing = Timing(configuration)
        var random = SWIMRandom(seed: seed)
        // Spread the periodic timers so a cluster started at once does not act in lockstep.
        self.nextProbeAt = now.advanced(byNanoseconds: random.jitter(timing.probeInterval))
        self.nextGossipAt = now.advanced(byNanoseconds: random.jitter(timing.gossipInterval))
        self.nextPushPullAt = now.advanced(byNanoseconds: timing.pushPullInterval / 2 + random.jitter(timing.pushPullInterval))
        self.nextRejoinAt = now.advanced(byNanoseconds: timing.rejoinInterval / 2 + random.jitter(timing.rejoinInterval))
        self.random = random
    }

    static func check(metadata: SWIMNodeMetadata, payload: [UInt8], configuration: SWIMConfiguration) throws(SWIMError) {
        guard payload.count <= configuration.maxPayloadBytes else {
            throw .payloadTooLarge(payload.count, limit: configuration.maxPayloadBytes)
        }
        let limits = SWIMCodec.Limits(configuration)
        guard metadata.addresses.count <= limits.maxAddresses else {
            throw SWIMError(code: "swim_metadata_too_large", message: "at most \(limits.maxAddresses) addresses")
        }
        for string in [metadata.name, metadata.region, metadata.zone, metadata.version] + metadata.addresses
        where string.utf8.count > limits.maxStringBytes {
            throw SWIMError(code: "swim_metadata_too_large", message: "metadata strings are limited to \(limits.maxStringBytes) bytes")
        }
    }

    // MARK: Queries

    /// The local member as others should see it.
    public var myself: SWIMMember {
        SWIMMember(id: id, status: lifecycle == .left ? .left : .alive, incarnation: incarnation, metadata: metadata, payload: payload)
    }

    /// Every other known member (dead and left ones until they are forgotten).
    public var members: [SWIMMember] {
        records.map(\.snapshot)
    }

    public func member(_ id: SWIMNodeID) -> SWIMMember? {
        recordIndex[id].map { records[$0].snapshot }
    }

    public func status(of member: SWIMNodeID) -> SWIMStatus? {
        recordIndex[member].map { records[$0].status }
    }

    /// Alive and suspect members, the local node excluded.
    public var liveMemberCount: Int { liveCount }

    /// Updates waiting to be piggybacked.
    public var pendingBroadcastCount: Int { broadcasts.count }

    public var hasLeft: Bool { lifecycle == .left }

    /// `λ · ceil(log10(n + 1))` transmissions per update, n counting the local node.
    public var retransmitLimit: Int {
        var ceilLog = 1
        var power = 10
        while power < liveCount + 2 {  // n + 1 = liveCount + 2
            power *= 10
            ceilLog += 1
        }
        return configuration.retransmitMultiplier * ceilLog
    }

    /// Full-state syncs get rarer as the cluster grows (memberlist's rule): the interval is
    /// multiplied by `ceil(log2(n) - log2(32)) + 1` above 32 members, so each node's sync traffic
    /// stays about constant while the state grows.
    public var pushPullScale: Int {
        let n = liveCount + 1
        guard n > 32 else { return 1 }
        var log2 = 0
        while (1 << log2) < n { log2 += 1 }  // ceil(log2 n)
        return log2 - 5 + 1
    }

    /// When the owner must call `tick(now:)` next; nil after a graceful leave.
    public var nextDeadline: SWIMTime? {
        guard lifecycle == .active else { return nil }
        var deadline = min(nextPushPullAt, nextRejoinAt)
        switch probe {
        case .idle: deadline = min(deadline, nextProbeAt)
        case .direct(let pending): deadline = min(deadline, pending.directDeadline)
        case .indirect(let pending, _): deadline = min(deadline, pending.finalDeadline)
        }
        if !broadcasts.isEmpty { deadline = min(deadline, nextGossipAt) }
        for forward in forwards { deadline = min(deadline, forward.deadline) }
        if let earliest = earliestSuspicionDeadline { deadline = min(deadline, earliest) }
        return deadline
    }

    // MARK: Events

    /// Contacts the configured seeds with a full-state sync. Call once after creating the instance.
    public mutating func join(now: SWIMTime) -> [SWIMDirective] {
        guard lifecycle == .active else { return [] }
        var out: [SWIMDirective] = []
        for seed in configuration.seeds where !metadata.addresses.contains(seed) {
            sendPushPull(to: .seed(seed), isJoin: true, now: now, into: &out)
        }
        return out
    }

    /// Runs every timer that is due: probe phases, helper timeouts, suspicion timeouts, gossip,
    /// full-state sync and re-join.
    public mutating func tick(now: SWIMTime) -> [SWIMDirective] {
        guard lifecycle == .active else { return [] }
        var out: [SWIMDirective] = []
        expireForwards(now: now, into: &out)
        advanceProbe(now: now, into: &out)
        expireSuspicions(now: now, into: &out)
        if now >= nextGossipAt {
            gossip(now: now, into: &out)
            nextGossipAt = Self.nextGridPoint(after: now, from: nextGossipAt, interval: timing.gossipInterval)
        }
        if revivals >= 2, lastExpeditedSyncAt.map({ now.nanoseconds - $0.nanoseconds >= timing.rejoinInterval }) ?? true {
            revivals = 0
            lastExpeditedSyncAt = now
            let soon = now.advanced(byNanoseconds: timing.rejoinInterval / 2 + random.jitter(timing.rejoinInterval / 2))
            nextPushPullAt = min(nextPushPullAt, soon)
        }
        if now >= nextPushPullAt {
            nextPushPullAt = now.advanced(byNanoseconds: timing.pushPullInterval * Int64(pushPullScale))
            if let target = randomLiveMembers(count: 1, excluding: nil).first {
                sendPushPull(to: .member(target), isJoin: false, now: now, into: &out)
            }
        }
        if now >= nextRejoinAt {
            rejoin(now: now, into: &out)
            // Alone (the seeds were not up yet, or we were cut off): retry every protocol period.
            nextRejoinAt = now.advanced(byNanoseconds: liveCount == 0 ? timing.probeInterval : timing.rejoinInterval)
        }
        return out
    }

    /// Handles one message from a peer.
    public mutating func receive(_ message: SWIMMessage, now: SWIMTime) -> [SWIMDirective] {
        guard lifecycle == .active, message.sender != id else { return [] }
        var out: [SWIMDirective] = []
        if broadcasts.isEmpty, now >= nextGossipAt {
            // Keep the gossip grid: news arriving now waits for the next 200 ms boundary.
            nextGossipAt = Self.nextGridPoint(after: now, from: nextGossipAt, interval: timing.gossipInterval)
        }
        if let index = recordIndex[message.sender] { records[index].lastHeardAt = now }
        let incarnationBefore = incarnation
        staleClaimSeen = false
        for update in message.updates {
            apply(update, from: message.sender, now: now, into: &out)
        }
        switch message.kind {
        case .ping(let sequence, let target):
            guard target == id else { break }
            send(.ack(sequence: sequence, target: id), to: message.sender, deadline: nil, into: &out)
        case .pingRequest(let sequence, let target):
            handlePingRequest(sequence: sequence, target: target, origin: message.sender, now: now, into: &out)
        case .ack(let sequence, let target):
            handleAck(sequence: sequence, target: target, now: now, into: &out)
        case .nack(let sequence, let target):
            handleNack(sequence: sequence, target: target)
        case .gossip:
            break
        case .pushPull(let pushPull):
            for record in pushPull.members {
                merge(record, from: message.sender, now: now, into: &out)
            }
            if !pushPull.isResponse {
                // Answer after merging, so a refutation it caused travels back at once.
                sendPushPull(to: .member(message.sender), isJoin: false, isResponse: true, now: now, into: &out)
            }
        }
        if incarnation > incarnationBefore, !broadcasts.isEmpty {
            // We were suspected or declared dead: the refutation cannot wait for the next gossip
            // round, every suspector's timer is running.
            gossip(now: now, into: &out)
        } else if staleClaimSeen, recordIndex[message.sender] != nil {
            if case .ping = message.kind {} else {  // (an ack already goes back with it)
                send(.gossip, to: message.sender, deadline: nil, into: &out)
            }
        }
        return out
    }

    /// Changes the local metadata and payload; the new incarnation spreads by gossip.
    public mutating func update(metadata newMetadata: SWIMNodeMetadata, payload newPayload: [UInt8]) throws(SWIMError) {
        guard lifecycle == .active else { return }
        try Self.check(metadata: newMetadata, payload: newPayload, configuration: configuration)
        metadata = newMetadata
        payload = newPayload
        incarnation += 1
        broadcasts.enqueue(aliveUpdateAboutMyself())
    }

    /// Leaves gracefully: tells up to `retransmitLimit` live members at once (they spread it), then
    /// ignores every further event.
    public mutating func leave(now: SWIMTime) -> [SWIMDirective] {
        guard lifecycle == .active else { return [] }
        lifecycle = .left
        let notice = SWIMUpdate.left(id, incarnation: incarnation)
        var out: [SWIMDirective] = []
        for target in randomLiveMembers(count: retransmitLimit, excluding: nil) {
            out.append(.send(SWIMMessage(sender: id, kind: .gossip, updates: [notice]), to: .member(target), deadline: nil))
        }
        return out
    }

    // MARK: Helpers

    mutating func noteSuspicionDeadline(_ deadline: SWIMTime) {
        if earliestSuspicionDeadline.map({ deadline < $0 }) ?? true { earliestSuspicionDeadline = deadline }
    }

    static func nextGridPoint(after now: SWIMTime, from start: SWIMTime, interval: Int64) -> SWIMTime {
        guard now >= start else { return start }
        let steps = (now.nanoseconds - start.nanoseconds) / interval + 1
        return start.advanced(byNanoseconds: steps * interval)
    }

    func aliveUpdateAboutMyself() -> SWIMUpdate {
        .alive(id, incarnation: incarnation, metadata: metadata, payload: payload)
    }

    mutating func allocateSequence() -> UInt32 {
        nextSequence &+= 1
        return nextSequence
    }
}
