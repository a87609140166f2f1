import RingdeskPrimitives

/// One replica of one Raft group, as a pure value: events in (`tick`, `step`, `propose`, …), work
/// out (`ready()`), acknowledged with `advance(_:)`. It never sends, sleeps or touches a disk.
///
/// Follows the Raft paper with the extensions etcd's library made standard: pre-vote, check-quorum
/// with follower leases, pipelined and batched appends with a fast conflict search, read-index,
/// snapshots, learners with one membership change at a time, and leadership transfer.
public struct RaftNode: Sendable {
    let configuration: RaftConfiguration
    var log: RaftLog
    public internal(set) var term: UInt64
    var vote: RaftNodeID
    public internal(set) var leader: RaftNodeID = 0
    public internal(set) var role: RaftRole = .follower
    public internal(set) var conf: RaftConfState
    /// Set after corruption: the replica neither votes nor campaigns until a leader has brought it
    /// back to at least the leader's log (or a snapshot), because it may have lost entries it acknowledged.
    public internal(set) var recovering: Bool

    /// Votes received in the current (pre-)campaign.
    var votes: [RaftNodeID: Bool] = [:]
    /// Present exactly when `role == .leader`.
    var leadership: Leadership?

    var electionElapsed = 0
    var randomizedElectionTimeout = 0
    var random: RaftRandom

    /// The latest snapshot's image, kept to send to followers that fell behind the log's start;
    /// nil after a compaction without one (the application encodes one when asked, see
    /// `wantsSnapshotImage`).
    var snapshotData: [UInt8]?
    var snapshotConf: RaftConfState?
    /// A snapshot received from the leader, not yet handed to the application.
    var pendingSnapshot: RaftSnapshot?

    var messages: [RaftMessage] = []
    var readStates: [RaftReadState] = []
    var lastHardState: RaftHardState
    var lastSoftState: RaftSoftState

    public var id: RaftNodeID { configuration.id }
    public var commitIndex: UInt64 { log.committed }
    public var lastIndex: UInt64 { log.lastIndex }
    public var appliedIndex: UInt64 { log.applied }
    public var firstIndex: UInt64 { log.firstIndex }
    /// A follower needs a snapshot but the log was compacted without an image: the application
    /// should encode its state machine at `appliedIndex` and hand it over with
    /// `compact(_:image:)` (metadata from `snapshotMetadataAtApplied`). Cleared once it does.
    public internal(set) var wantsSnapshotImage = false
    /// The metadata of a snapshot taken at the applied index now.
    public var snapshotMetadataAtApplied: RaftSnapshotMetadata {
        RaftSnapshotMetadata(index: log.applied, term: log.term(at: log.applied) ?? 0, conf: conf)
    }

    /// - Parameters:
    ///   - persisted: what earlier `RaftReady`s asked to persist (empty for a new replica).
    ///   - applied: the index the application's durable state machine has applied.
    ///   - snapshotData: the image of `persisted.snapshot`, if the application kept one (to catch up
    ///     followers; without it the replica asks for one when needed, see `wantsSnapshotImage`).
    ///   - recovering: the storage found corruption and dropped data; see `recovering`.
    public init(configuration: RaftConfiguration, persisted: RaftPersistentState, applied: UInt64,
                snapshotData: [UInt8]? = nil, recovering: Bool = false) {
        precondition(configuration.id != 0, "a replica id must not be 0")
        self.configuration = configuration
        self.random = RaftRandom(seed: configuration.randomSeed)
        self.recovering = recovering
        var hardState = persisted.hardState
        var entries = persisted.entries
        let snapshotIndex = persisted.snapshot?.index ?? 0
        let snapshotTerm = persisted.snapshot?.term ?? 0
        var conf = persisted.snapshot?.conf ?? RaftConfState(voters: [])
        let isNew = persisted.snapshot == nil && entries.isEmpty && hardState == RaftHardState()
        var bootstrap = false
        if isNew, !persisted.initialConf.voters.isEmpty, !recovering {
            // A brand-new group: its membership becomes the first committed entries.
            entries = persisted.initialConf.voters.enumerated().map { offset, voter in
                RaftEntry(term: 1, index: UInt64(offset + 1), kind: .configChange, data: RaftConfChange(.addVoter, node: voter).encoded)
            }
            hardState = RaftHardState(term: 1, vote: 0, commit: UInt64(entries.count))
            bootstrap = true
        }
        self.log = RaftLog(snapshotIndex: snapshotIndex, snapshotTerm: snapshotTerm, entries: entries,
                           committed: hardState.commit, applied: applied)
        // Membership changes the state machine already applied are not replayed to us; fold them in.
        for index in stride(from: snapshotIndex + 1, through: log.applied, by: 1) {
            if let entry = log.entry(at: index), entry.kind == .configChange,
               let change = RaftConfChange(encoded: entry.data), let next = change.applied(to: conf) {
                conf = next
            }
        }
        if bootstrap {
            conf = persisted.initialConf
            log.stabled = 0
            log.handed = 0
        }
        self.conf = conf
        self.term = hardState.term
        self.vote = hardState.vote
        self.snapshotData = persisted.snapshot == nil ? nil : snapshotData
        self.snapshotConf = persisted.snapshot?.conf
        self.lastHardState = bootstrap ? RaftHardState() : hardState
        self.lastSoftState = RaftSoftState(leader: 0, role: .follower)
        resetRandomizedElectionTimeout()
    }

    // MARK: Requests

    /// Appends `data` to the log if this replica leads; returns the index it will commit at.
    @discardableResult
    public mutating func propose(_ data: [UInt8]) throws(RaftError) -> UInt64 {
        try appendProposal(kind: .normal, data: data)
    }

    /// Proposes one membership change; refused while an earlier one is not yet applied.
    @discardableResult
    public mutating func proposeConfChange(_ change: RaftConfChange) throws(RaftError) -> UInt64 {
        guard let leadership else { throw .notLeader(leader) }
        guard leadership.pendingConfIndex <= log.applied else { throw .confChangePending }
        guard change.kind != .addVoter, change.applied(to: conf) != nil else { throw .invalidConfChange }
        let index = try appendProposal(kind: .configChange, data: change.encoded)
        self.leadership?.pendingConfIndex = index
        return index
    }

    /// Applies a committed membership change; the application calls this when it applies the entry.
    public mutating func applyConfChange(_ change: RaftConfChange) {
        guard let next = change.applied(to: conf) else { return }
        conf = next
        guard leadership != nil else { return }
        if !conf.contains(id) || !conf.voters.contains(id) {
            // A leader removed (or demoted) steps down, first handing over to a remaining voter
            // whose log is complete (the others might not be able to elect anyone quickly).
            guard let target = bestTransferTarget else {
                becomeFollower(term: term, leader: 0)
                return
            }
            if leadership?.progress[target]?.match == log.lastIndex {
                send(RaftMessage(kind: .timeoutNow, from: id, to: target, term: term))
                becomeFollower(term: term, leader: 0)
                return
            }
            // Nobody holds its whole log yet, and the others may not even know the removal
            // committed (they still count this node's vote): stepping down now can leave a group
            // that elects no one (simulation seed 17866). It keeps leading without proposals,
            // catches the best voter up and hands over, or steps down after an election timeout.
            leadership?.transferee = target
            leadership?.removed = true
            electionElapsed = 0
            sendAppend(to: target)
            return
        }
        for peer in conf.voters + conf.learners where peer != id && leadership?.progress[peer] == nil {
            leadership?.progress[peer] = RaftProgress(next: log.lastIndex + 1)
        }
        for peer in (leadership?.progress.keys.sorted() ?? []) where !conf.contains(peer) {
            leadership?.progress[peer] = nil
        }
        if let transferee = leadership?.transferee, !conf.voters.contains(transferee) {
            leadership?.transferee = 0
        }
        if maybeCommit() { broadcastAppend() }
    }

    /// Asks for a linearizable read point; the answer comes in `RaftReady.readStates`.
    public mutating func readIndex(requestID: UInt64) throws(RaftError) {
        guard leadership != nil else { throw .notLeader(leader) }
        if log.term(at: log.committed) != term {
            // The commit index of a new leader is only known once an entry of its term committed.
            leadership?.readsBeforeFirstCommit.append(requestID)
            return
        }
        registerRead(requestID)
    }

    /// Hands leadership to `target` (a voter): catch it up, then tell it to campaign at once.
    public mutating func transferLeadership(to target: RaftNodeID) throws(RaftError) {
        guard let leadership else { throw .notLeader(leader) }
        guard target != id else { return }
        guard conf.voters.contains(target), let progress = leadership.progress[target] else { throw .notMember }
        self.leadership?.transferee = target
        electionElapsed = 0
        if progress.match == log.lastIndex {
            send(RaftMessage(kind: .timeoutNow, from: id, to: target, term: term))
        } else {
            sendAppend(to: target)
        }
    }

    /// The voter (other than this leader) whose log is furthest along: where to hand leadership
    /// when draining this node. Nil when not leading or alone.
    public var bestTransferTarget: RaftNodeID? {
        guard let leadership else { return nil }
        return conf.voters.filter { $0 != id }.max { (leadership.progress[$0]?.match ?? 0, $1) < (leadership.progress[$1]?.match ?? 0, $0) }
    }

    /// Starts an election now (tests, or an operator forcing one).
    public mutating func campaign() {
        startElection(transfer: false)
    }

    /// The application took a snapshot of its state machine at `appliedIndex`: older entries go.
    public mutating func compact(appliedIndex: UInt64, snapshotData data: [UInt8]) {
        guard appliedIndex == log.applied else { return }
        compact(snapshotMetadataAtApplied, image: data)
    }

    /// The application's state at `metadata.index` (≤ applied; `metadata.conf` the membership
    /// there) is durable elsewhere: entries up to it go. `image` is the state machine encoded at
    /// that index, kept to send to followers; nil when the application did not encode one (its
    /// state lives in its own tables) and will when `wantsSnapshotImage` asks.
    ///
    /// Ignored when stale: an index below the current snapshot, one not applied yet, or a term
    /// that does not match the log. At the current snapshot's own index only an image is taken.
    public mutating func compact(_ metadata: RaftSnapshotMetadata, image: [UInt8]?) {
        let index = metadata.index
        guard index <= log.applied, index >= log.snapshotIndex, log.term(at: index) == metadata.term else { return }
        if index == log.snapshotIndex {
            guard let image, index > 0 else { return }
            snapshotData = image
        } else {
            log.compact(upTo: index)
            snapshotData = image
            snapshotConf = metadata.conf
        }
        guard snapshotData != nil, wantsSnapshotImage else { return }
        wantsSnapshotImage = false
        // The followers that asked for it get it now rather than at their next heartbeat response.
        guard let peers = leadership?.progress.keys.sorted() else { return }
        for peer in peers where peer != id {
            if let progress = leadership?.progress[peer], log.term(at: progress.next - 1) == nil { sendAppend(to: peer) }
        }
    }

    /// A follower is waiting for a snapshot (an image is wanted or one is on its way): compacting
    /// further now would make the image it gets useless, so an application should wait.
    public var isSendingSnapshot: Bool {
        wantsSnapshotImage || leadership?.progress.values.contains { if case .snapshot = $0.state { true } else { false } } == true
    }

    // MARK: Ready / advance

    public var hasReady: Bool {
        leadership?.appendsPending == true || !messages.isEmpty || !readStates.isEmpty || pendingSnapshot != nil || log.handed < log.lastIndex
            || currentHardState != lastHardState || currentSoftState != lastSoftState
            || log.committed > log.applied
    }

    /// Hands out the work that accumulated since the last call, and counts it as handed out: the
    /// next `ready()` holds only what is new. So an application may call `ready()` again while an
    /// earlier Ready's write is still in flight (pipelined writes), as long as it writes Readies
    /// in order and sends each Ready's messages only after that Ready's write (leaders' appends
    /// excepted, see `RaftReady`). `advance(_:)` reports a Ready's write as done.
    public mutating func ready() -> RaftReady {
        flushPendingAppends()
        var ready = RaftReady()
        let soft = currentSoftState
        if soft != lastSoftState { ready.softState = soft }
        let hard = currentHardState
        if hard != lastHardState { ready.hardState = hard }
        ready.snapshot = pendingSnapshot
        ready.entries = log.unstableEntries
        ready.committedEntries = log.nextCommittedEntries
        ready.messages = messages
        ready.readStates = readStates
        messages.removeAll(keepingCapacity: true)
        readStates.removeAll(keepingCapacity: true)
        lastSoftState = soft
        lastHardState = hard
        pendingSnapshot = nil
        log.handed = log.lastIndex
        if let last = ready.committedEntries.last, last.index > log.applied {
            log.applied = last.index
        }
        return ready
    }

    /// The application has persisted everything `ready` asked to persist.
    public mutating func advance(_ ready: RaftReady) {
        if let snapshot = ready.snapshot {
            log.stabled = max(log.stabled, snapshot.metadata.index)
        }
        if let last = ready.entries.last, log.matchTerm(last.index, last.term), last.index > log.stabled {
            log.stabled = last.index
        }
        // The leader's own copy counts towards a quorum once it is on disk.
        if let progress = leadership?.progress[id], log.stabled > progress.match {
            let stabled = log.stabled, me = id
            _ = leadership?.progress[me]?.acknowledge(stabled)
            if maybeCommit() { broadcastAppend(allowEmpty: true) }
        }
    }

    var currentHardState: RaftHardState { RaftHardState(term: term, vote: vote, commit: log.committed) }
    var currentSoftState: RaftSoftState { RaftSoftState(leader: leader, role: role) }

    mutating func send(_ message: RaftMessage) {
        messages.append(message)
    }

    var quorum: Int { conf.voters.count / 2 + 1 }
    var isPromotable: Bool { conf.voters.contains(id) && !recovering }
}

/// What only a leader keeps.
struct Leadership: Sendable {
    var progress: [RaftNodeID: RaftProgress]
    var heartbeatElapsed = 0
    /// Index of the latest membership change proposed; another waits until it is applied.
    var pendingConfIndex: UInt64
    /// Non-zero while handing leadership over; proposals are refused meanwhile.
    var transferee: RaftNodeID = 0
    /// This leader applied its own removal and leads only to hand over (see `applyConfChange`).
    var removed = false
    /// Payload bytes appended but not yet committed (back-pressure).
    var uncommittedBytes = 0
    /// Read-index rounds waiting for a quorum's heartbeat responses, oldest first.
    var pendingReads: [(round: UInt64, requestID: UInt64, index: UInt64)] = []
    var readRound: UInt64 = 0
    var readsBeforeFirstCommit: [UInt64] = []
    /// Proposals appended since the last `ready()` that followers have not been sent yet.
    var appendsPending = false
}

/// SplitMix64 seeded from the configuration: the core's only randomness (election timeouts), so
/// a simulation replays exactly.
struct RaftRandom: Sendable {
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x632B_E59B_D9B4_E019)
    }

    mutating func below(_ bound: Int) -> Int { generator.below(bound) }
}
