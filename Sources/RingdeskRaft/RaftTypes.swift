/// Identifies a replica within a Raft group. 0 means "none" (no vote, no known leader).
public typealias RaftNodeID = UInt64

/// What an entry carries: a state-machine command, or a membership change the core must see.
public enum RaftEntryKind: UInt8, Sendable, Hashable {
    /// Application data; an empty normal entry is the no-op a new leader appends.
    case normal = 0
    /// An encoded `RaftConfChange`, applied by the application through `RaftNode.applyConfChange`.
    case configChange = 1
}

/// One log entry. `index` starts at 1; the entry at index 0 is the empty sentinel of term 0.
public struct RaftEntry: Sendable, Hashable {
    public var term: UInt64
    public var index: UInt64
    public var kind: RaftEntryKind
    public var data: [UInt8]

    public init(term: UInt64, index: UInt64, kind: RaftEntryKind = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data
    }
}

/// What must be on disk before a replica answers anyone: its term, its vote in that term, and the
/// commit index it has learned (the last is an optimisation; losing it is safe).
public struct RaftHardState: Sendable, Hashable {
    public var term: UInt64
    public var vote: RaftNodeID
    public var commit: UInt64

    public init(term: UInt64 = 0, vote: RaftNodeID = 0, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}

/// The group's membership: voters decide elections and commits; learners only receive the log.
public struct RaftConfState: Sendable, Hashable {
    /// Sorted, no duplicates.
    public var voters: [RaftNodeID]
    /// Sorted, no duplicates, disjoint from `voters`.
    public var learners: [RaftNodeID]

    public init(voters: [RaftNodeID], learners: [RaftNodeID] = []) {
        self.voters = Array(Set(voters)).sorted()
        self.learners = Array(Set(learners).subtracting(voters)).sorted()
    }

    public func contains(_ id: RaftNodeID) -> Bool { voters.contains(id) || learners.contains(id) }
}

/// One membership change at a time: a node joins as a learner, catches up, and is then promoted.
public struct RaftConfChange: Sendable, Hashable {
    public enum Kind: UInt8, Sendable, Hashable {
        case addLearner = 1
        case promote = 2
        case remove = 3
        /// Only in a new group's bootstrap entries (indexes 1...n, term 1), one per initial voter.
        case addVoter = 4
    }

    public var kind: Kind
    public var node: RaftNodeID

    public init(_ kind: Kind, node: RaftNodeID) {
        self.kind = kind
        self.node = node
    }

    /// Nine bytes: kind, then the node id big-endian.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = [kind.rawValue]
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: node >> UInt64(shift))) }
        return bytes
    }

    public init?(encoded bytes: [UInt8]) {
        guard bytes.count == 9, let kind = Kind(rawValue: bytes[0]) else { return nil }
        self.kind = kind
        self.node = bytes[1...].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The configuration after this change, or nil when the change does not apply to `conf`.
    public func applied(to conf: RaftConfState) -> RaftConfState? {
        switch kind {
        case .addLearner:
            guard !conf.contains(node) else { return nil }
            return RaftConfState(voters: conf.voters, learners: conf.learners + [node])
        case .promote:
            guard conf.learners.contains(node) else { return nil }
            return RaftConfState(voters: conf.voters + [node], learners: conf.learners.filter { $0 != node })
        case .remove:
            guard conf.contains(node), conf.voters != [node] else { return nil }
            return RaftConfState(voters: conf.voters.filter { $0 != node }, learners: conf.learners.filter { $0 != node })
        case .addVoter:
            guard !conf.voters.contains(node) else { return nil }
            return RaftConfState(voters: conf.voters + [node], learners: conf.learners.filter { $0 != node })
        }
    }
}

/// Where a snapshot cuts the log, and the membership at that point.
public struct RaftSnapshotMetadata: Sendable, Hashable {
    public var index: UInt64
    public var term: UInt64
    public var conf: RaftConfState

    public init(index: UInt64, term: UInt64, conf: RaftConfState) {
        self.index = index
        self.term = term
        self.conf = conf
    }
}

/// A state-machine image at `metadata.index`; `data` is the application's own encoding.
public struct RaftSnapshot: Sendable, Hashable {
    public var metadata: RaftSnapshotMetadata
    public var data: [UInt8]

    public init(metadata: RaftSnapshotMetadata, data: [UInt8]) {
        self.metadata = metadata
        self.data = data
    }
}

public enum RaftMessageKind: UInt8, Sendable, Hashable, CaseIterable {
    case preVote = 1
    case preVoteResponse = 2
    case vote = 3
    case voteResponse = 4
    case append = 5
    case appendResponse = 6
    case heartbeat = 7
    case heartbeatResponse = 8
    case installSnapshot = 9
    case timeoutNow = 10
}

/// One message between replicas of a group. Fields not used by a kind are zero or empty.
///
/// - append: `index`/`logTerm` identify the entry before `entries`; `commit` is the leader's.
/// - appendResponse: `index` is the last index matched (or, when `reject`, the index rejected);
///   `rejectHint` is the follower's last index, so the leader can skip back quickly.
/// - heartbeat/heartbeatResponse: `context` carries the read-index round being confirmed.
/// - vote/preVote: `index`/`logTerm` describe the candidate's last entry; `context` is 1 when the
///   campaign is a leadership transfer (it may bypass the check-quorum lease).
/// - installSnapshot: `snapshot` is set.
public struct RaftMessage: Sendable, Hashable {
    public var kind: RaftMessageKind
    public var from: RaftNodeID
    public var to: RaftNodeID
    public var term: UInt64
    public var logTerm: UInt64
    public var index: UInt64
    public var entries: [RaftEntry]
    public var commit: UInt64
    public var reject: Bool
    public var rejectHint: UInt64
    public var context: UInt64
    public var snapshot: RaftSnapshot?

    public init(kind: RaftMessageKind, from: RaftNodeID, to: RaftNodeID, term: UInt64, logTerm: UInt64 = 0, index: UInt64 = 0,
                entries: [RaftEntry] = [], commit: UInt64 = 0, reject: Bool = false, rejectHint: UInt64 = 0,
                context: UInt64 = 0, snapshot: RaftSnapshot? = nil) {
        self.kind = kind
        self.from = from
        self.to = to
        self.term = term
        self.logTerm = logTerm
        self.index = index
        self.entries = entries
        self.commit = commit
        self.reject = reject
        self.rejectHint = rejectHint
        self.context = context
        self.snapshot = snapshot
    }
}

/// The answer to a `readIndex` request: once the application has applied `index`, a read of its
/// state machine is linearizable as of the moment the request was made.
public struct RaftReadState: Sendable, Hashable {
    public var requestID: UInt64
    public var index: UInt64

    public init(requestID: UInt64, index: UInt64) {
        self.requestID = requestID
        self.index = index
    }
}

public enum RaftRole: String, Sendable, Hashable {
    case follower, preCandidate, candidate, leader
}

/// Volatile facts an application shows or routes by (not persisted).
public struct RaftSoftState: Sendable, Hashable {
    public var leader: RaftNodeID
    public var role: RaftRole

    public init(leader: RaftNodeID, role: RaftRole) {
        self.leader = leader
        self.role = role
    }
}

/// What a replica reloads after a restart: exactly what earlier `RaftReady`s asked it to persist.
public struct RaftPersistentState: Sendable, Hashable {
    public var hardState: RaftHardState
    /// The latest snapshot, if the log was ever compacted or a snapshot installed.
    public var snapshot: RaftSnapshotMetadata?
    /// Entries after the snapshot (or from index 1), contiguous.
    public var entries: [RaftEntry]
    /// A new group's voters. Used only when nothing at all was persisted: the replica then writes
    /// bootstrap entries 1...n (term 1, one `.addVoter` change each, committed), so the membership
    /// history is in the log and a replica that joins later learns it from entries or a snapshot.
    /// A joining replica (added as a learner) starts with an empty configuration.
    public var initialConf: RaftConfState

    public init(hardState: RaftHardState = RaftHardState(), snapshot: RaftSnapshotMetadata? = nil, entries: [RaftEntry] = [],
                initialConf: RaftConfState) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
        self.initialConf = initialConf
    }
}

/// Work for the application, in order: persist `hardState`, `entries` and `snapshot` (one durable
/// write; `entries` may overwrite a suffix from `entries[0].index` on; a `snapshot` replaces the
/// whole log: every stored entry of the group goes, and `entries`, if any, follow the snapshot),
/// then send `messages`, apply `snapshot` then `committedEntries` to the state machine, answer
/// `readStates`, and call `RaftNode.advance(_:)` with this value once the write is durable.
///
/// Two relaxations are safe and used by the node for speed: a leader's `append` messages may go
/// out before its own write (its copy counts only after `advance`), and committed entries may be
/// applied before the write (they are on a majority already, and the write comes first on disk).
/// Readies must be written in the order `ready()` produced them.
public struct RaftReady: Sendable, Hashable {
    public var softState: RaftSoftState?
    public var hardState: RaftHardState?
    public var entries: [RaftEntry]
    public var snapshot: RaftSnapshot?
    public var committedEntries: [RaftEntry]
    public var messages: [RaftMessage]
    public var readStates: [RaftReadState]

    public init(softState: RaftSoftState? = nil, hardState: RaftHardState? = nil, entries: [RaftEntry] = [],
                snapshot: RaftSnapshot? = nil, committedEntries: [RaftEntry] = [], messages: [RaftMessage] = [],
                readStates: [RaftReadState] = []) {
        self.softState = softState
        self.hardState = hardState
        self.entries = entries
        self.snapshot = snapshot
        self.committedEntries = committedEntries
        self.messages = messages
        self.readStates = readStates
    }

    /// Whether a durable write is needed before the messages go out.
    public var mustSync: Bool { hardState != nil || !entries.isEmpty || snapshot != nil }

    public var isEmpty: Bool {
        softState == nil && !mustSync && committedEntries.isEmpty && messages.isEmpty && readStates.isEmpty
    }
}
