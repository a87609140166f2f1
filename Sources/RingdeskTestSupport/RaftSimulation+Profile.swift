import RingdeskRaft

/// What can go wrong in a `RaftSimulation` run, and how often. Rates are per message or per
/// simulation step (10 ms of virtual time); every choice is drawn from the run's seed.
public struct RaftFaultProfile: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    /// Probability that a message is lost.
    public var lossRate: Double
    /// Probability that a message is delivered twice.
    public var duplicateRate: Double
    /// Probability that a message takes a long detour (up to `longDelayMs`), overtaking others.
    public var reorderRate: Double
    /// Usual one-way delay is uniform in 1...maxDelayMs.
    public var maxDelayMs: Int64
    public var longDelayMs: Int64
    /// Per step: start a partition (halves, a bridge node, an isolated leader, or a one-way link).
    public var partitionRate: Double
    /// Per step: crash a replica (sometimes in the middle of a Ready, losing the unsynced write or its messages).
    public var crashRate: Double
    /// Of the crashes, the share whose restart finds corrupt storage (one replica at a time).
    public var corruptionShare: Double
    /// Replicas tick at 0.8×–1.25× the base rate, re-drawn now and then.
    public var clockSkew: Bool
    /// Per step: try a membership change (add a learner, promote it, remove a voter).
    public var membershipRate: Double
    /// Per step: ask the leader to hand leadership to another voter.
    public var transferRate: Double
    /// A replica snapshots its state machine and compacts once this many entries were applied since
    /// the last snapshot (0: never).
    public var compactEvery: Int
    /// Client commands proposed per step, on average.
    public var clientRate: Double

    public init(name: String, lossRate: Double = 0, duplicateRate: Double = 0, reorderRate: Double = 0, maxDelayMs: Int64 = 5,
                longDelayMs: Int64 = 60, partitionRate: Double = 0, crashRate: Double = 0, corruptionShare: Double = 0, clockSkew: Bool = false,
                membershipRate: Double = 0, transferRate: Double = 0, compactEvery: Int = 40, clientRate: Double = 1.5) {
        self.name = name
        self.lossRate = lossRate
        self.duplicateRate = duplicateRate
        self.reorderRate = reorderRate
        self.maxDelayMs = maxDelayMs
        self.longDelayMs = longDelayMs
        self.partitionRate = partitionRate
        self.crashRate = crashRate
        self.corruptionShare = corruptionShare
        self.clockSkew = clockSkew
        self.membershipRate = membershipRate
        self.transferRate = transferRate
        self.compactEvery = compactEvery
        self.clientRate = clientRate
    }

    public var description: String { name }

    /// No faults: the baseline every other profile is compared with.
    public static let calm = RaftFaultProfile(name: "calm")
    /// Loss, duplication and reordering, with skewed clocks.
    public static let lossy = RaftFaultProfile(name: "lossy", lossRate: 0.1, duplicateRate: 0.05, reorderRate: 0.1, maxDelayMs: 8,
                                               clockSkew: true)
    /// Partitions of every shape, some loss.
    public static let partitions = RaftFaultProfile(name: "partitions", lossRate: 0.02, reorderRate: 0.05, partitionRate: 0.02,
                                                    clockSkew: true, compactEvery: 30)
    /// Crashes at any moment (including between a Ready and its durable write), restarts, and now and
    /// then a restart that finds its storage corrupt.
    public static let crashes = RaftFaultProfile(name: "crashes", lossRate: 0.02, reorderRate: 0.05, crashRate: 0.02, corruptionShare: 0.15,
                                                 clockSkew: true, compactEvery: 30)
    /// Membership changes, leadership transfers and snapshots under mild loss and crashes.
    public static let membership = RaftFaultProfile(name: "membership", lossRate: 0.03, duplicateRate: 0.02, reorderRate: 0.05,
                                                    crashRate: 0.005, clockSkew: true, membershipRate: 0.05, transferRate: 0.01,
                                                    compactEvery: 20)
    /// Everything at once.
    public static let chaos = RaftFaultProfile(name: "chaos", lossRate: 0.08, duplicateRate: 0.04, reorderRate: 0.1, maxDelayMs: 8,
                                               partitionRate: 0.015, crashRate: 0.015, corruptionShare: 0.1, clockSkew: true, membershipRate: 0.03,
                                               transferRate: 0.01, compactEvery: 25)

    /// A crash every few steps, nothing else: what a driver that loses acknowledged writes cannot survive.
    public static let crashStorm = RaftFaultProfile(name: "crash-storm", crashRate: 0.25, compactEvery: 0, clientRate: 3)

    /// The profiles a batch cycles through.
    public static let all: [RaftFaultProfile] = [.calm, .lossy, .partitions, .crashes, .membership, .chaos]

    public static func named(_ name: String) -> RaftFaultProfile? { (all + [.crashStorm]).first { $0.name == name } }
}

/// A deliberately wrong driver, to prove the checkers catch what they claim to (tests only).
public enum RaftUnsafeDriver: String, Sendable, Hashable, CaseIterable {
    /// The correct driver.
    case none
    /// Applies entries to the state machine as soon as they are persisted, before they commit.
    case applyBeforeCommit
    /// Acknowledges before the disk syncs: writes reach the disk only every 50 ms, and a crash
    /// rolls the replica back to its last sync (the brokers that ack before fsync).
    case acknowledgeBeforeSync
    /// Keeps "recovering after corruption" in memory only: a replica that crashes again before it
    /// caught up starts as a normal, empty voter and may elect a leader without committed entries.
    case forgetRecoveringOnRestart
}

/// Knobs of one run beyond the seed.
public struct RaftSimulationOptions: Sendable, Hashable {
    /// What the group replicates (and so what its clients do and which rules are checked).
    public var machine: RaftSimMachine
    public var unsafeDriver: RaftUnsafeDriver
    /// Keep the last this many trace events for a failure report.
    public var traceLength: Int
    /// Virtual steps (10 ms each) the final, fault-free phase may take to converge.
    public var convergenceSteps: Int

    public init(machine: RaftSimMachine = .shard, unsafeDriver: RaftUnsafeDriver = .none, traceLength: Int = 50, convergenceSteps: Int = 1500) {
        self.machine = machine
        self.unsafeDriver = unsafeDriver
        self.traceLength = traceLength
        self.convergenceSteps = convergenceSteps
    }
}

/// What a run found: `violations` empty means every check passed.
public struct RaftSimulationReport: Sendable, CustomStringConvertible {
    public struct Violation: Sendable, Hashable, CustomStringConvertible {
        /// Which check: election_safety, log_matching, leader_completeness, state_machine_safety,
        /// acknowledged_lost, exactly_once, claims_linearizable, linearizable_read, digest_mismatch, convergence, driver.
        public var check: String
        public var detail: String
        /// Virtual time (ms) when it was found.
        public var time: Int64

        public var description: String { "[\(check)] at \(time) ms: \(detail)" }
    }

    public var seed: UInt64
    public var replicas: Int
    public var profile: String
    public var steps: Int
    public var violations: [Violation] = []
    /// The last events before the first violation (or the end), oldest first.
    public var trace: [String] = []

    public var elections = 0
    /// Distinct replicas that led at some point.
    public var leaders = 0
    public var maxTerm: UInt64 = 0
    /// Highest index committed by a leader.
    public var commits: UInt64 = 0
    /// Entries applied, summed over replicas.
    public var applied = 0
    public var proposed = 0
    public var acknowledged = 0
    public var acknowledgedClaims = 0
    /// Read-index requests answered (each checked against what was committed when it was asked).
    public var readsServed = 0
    public var snapshotsSent = 0
    public var snapshotsInstalled = 0
    public var compactions = 0
    /// Images encoded because a core that compacted without one needed to send a snapshot.
    public var imagesOnDemand = 0
    public var confChanges = 0
    public var transfers = 0
    public var crashes = 0
    public var crashesInReady = 0
    /// Restarts that found corrupt storage (wiped; the replica recovered from the leader).
    public var corruptions = 0
    public var partitions = 0
    public var messagesSent = 0
    public var messagesDropped = 0
    public var messagesDuplicated = 0
    public var finalTickets = 0
    public var convergedAtStep = 0

    public var passed: Bool { violations.isEmpty }

    public init(seed: UInt64, replicas: Int, profile: String, steps: Int) {
        self.seed = seed
        self.replicas = replicas
        self.profile = profile
        self.steps = steps
    }

    public var description: String {
        "seed \(seed) replicas \(replicas) profile \(profile): \(passed ? "ok" : "FAILED") elections=\(elections) leaders=\(leaders) "
            + "commits=\(commits) acked=\(acknowledged) snapshots=\(snapshotsInstalled) confChanges=\(confChanges) "
            + "crashes=\(crashes) corruptions=\(corruptions) reads=\(readsServed) dropped=\(messagesDropped)"
    }
}

extension RaftSimulation {
    /// The replica count and profile a seed runs with in a batch (`ringdesk-raft-sim`, the tests):
    /// the seed alone picks them, so `--seed N` replays exactly what the batch ran.
    public static func scenario(seed: UInt64, replicaChoices: [Int], profiles: [RaftFaultProfile] = RaftFaultProfile.all)
        -> (replicas: Int, profile: RaftFaultProfile) {
        let replicas = replicaChoices[Int(seed % UInt64(replicaChoices.count))]
        let profile = profiles[Int((seed / UInt64(replicaChoices.count)) % UInt64(profiles.count))]
        return (replicas, profile)
    }
}
