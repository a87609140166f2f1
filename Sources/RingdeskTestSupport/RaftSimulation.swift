import HeapModule
import RingdeskPrimitives
import RingdeskRaft
import RingdeskShard

/// One Raft group of `RaftNode`s driven through the ready/advance contract over a simulated
/// network, in virtual time, with every choice drawn from the seed: the same seed, replica count,
/// profile and steps replay exactly (`ringdesk-raft-sim --seed N` prints the trace).
///
/// Each replica has simulated durable storage (hard state, entries, snapshot, and the replicated
/// state machine with its applied index, which survive a crash) and is driven by the contract's
/// driver. The machine is any `ReplicatedStateMachine`, driven only through that protocol, as the
/// node's replication host drives it; `options.machine` picks the workload: the fenced-claims
/// shard (`ShardStateMachine`), the domain's whole ticket lifecycle (`TicketShardMachine`) or the
/// routing domain's agents and epoch-fenced sessions (`RoutingDomainMachine`).
/// Clients propose commands and remember what was acknowledged. The checkers run as the
/// simulation goes (election safety, log matching, leader completeness, state-machine safety) and
/// at the end, after the network heals and the group converges (acknowledged commands applied
/// exactly once, equal digests and snapshots, the workload's own rules: linearizable claims, one
/// holder per ticket and epoch).
public struct RaftSimulation {
    public let seed: UInt64
    public let replicas: Int
    public let faults: RaftFaultProfile
    public var options: RaftSimulationOptions

    /// One virtual step: the clients and the fault injector act once per step.
    public static let stepMilliseconds: Int64 = 10

    public init(seed: UInt64, replicas: Int, faults: RaftFaultProfile, options: RaftSimulationOptions = RaftSimulationOptions()) {
        precondition(replicas >= 1 && replicas <= 9, "1...9 replicas")
        self.seed = seed
        self.replicas = replicas
        self.faults = faults
        self.options = options
    }

    /// Runs `steps` steps with faults, then heals everything and lets the group converge (bounded),
    /// then runs the final checks.
    public mutating func run(steps: Int) -> RaftSimulationReport {
        switch options.machine {
        case .shard:
            RaftSimulationWorld<ShardWorkload>(seed: seed, replicas: replicas, profile: faults, options: options).run(steps: steps)
        case .tickets:
            RaftSimulationWorld<TicketWorkload>(seed: seed, replicas: replicas, profile: faults, options: options).run(steps: steps)
        case .routing:
            RaftSimulationWorld<RoutingWorkload>(seed: seed, replicas: replicas, profile: faults, options: options).run(steps: steps)
        }
    }
}

/// Where a crash interrupts the driver's handling of a Ready.
enum RaftSimCrashStage: UInt8, CaseIterable {
    /// Before the durable write: the whole Ready is lost.
    case beforePersist = 1
    /// Written, but the messages never left.
    case afterPersist = 2
    /// Written and sent, but not applied.
    case afterSend = 3
}

/// A replica's disk: what survives a crash.
struct RaftSimDisk<Machine: ReplicatedStateMachine> {
    var hardState = RaftHardState()
    var snapshot: RaftSnapshot?
    /// Contiguous, starting right after the snapshot (or at 1).
    var entries: [RaftEntry] = []
    var initialConf: RaftConfState
    /// The state machine and its applied index change in one transaction with each apply.
    var machine = Machine()
    var applied: UInt64 = 0
    /// Set when the storage was wiped after corruption, cleared once the core says it caught up:
    /// a replica that crashes again while recovering must still not vote after the next start.
    var recovering = false

    var snapshotIndex: UInt64 { snapshot?.metadata.index ?? 0 }
    var snapshotTerm: UInt64 { snapshot?.metadata.term ?? 0 }
    var lastIndex: UInt64 { snapshotIndex + UInt64(entries.count) }

    func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshotTerm }
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)].term
    }
}

/// A client proposal waiting at the replica that accepted it, by log index.
struct RaftSimPending {
    var op: Int
    var term: UInt64
    var dataHash: UInt64
}

struct RaftSimReplica<Machine: ReplicatedStateMachine> {
    let id: RaftNodeID
    var node: RaftNode?
    var disk: RaftSimDisk<Machine>
    var incarnation: Int32 = 0
    /// Virtual microseconds between two ticks (skewed clocks tick at different rates).
    var tickPeriod: Int64
    /// The term in which this replica was last seen leading (to notice new leaderships).
    var ledTerm: UInt64 = 0
    var pendingCrash: RaftSimCrashStage?
    var restartAt: Int64?
    /// Removed from the group (its removal was applied): stopped for good.
    var decommissioned = false
    var proposals: [UInt64: RaftSimPending] = [:]
    var appliedSinceCompaction = 0
    var compactEvery: Int
    /// The storage will find corruption on the next start: the replica restarts empty and recovering.
    var corruptOnRestart = false
    /// The last synced disk (only with the `acknowledgeBeforeSync` driver).
    var syncedDisk: RaftSimDisk<Machine>?

    var isUp: Bool { node != nil }
}

struct RaftSimEvent: Comparable {
    enum Kind: UInt8 { case tick, deliver }
    var time: Int64
    var sequence: UInt64
    var kind: Kind
    var node: Int32
    var slot: Int32
    var incarnation: Int32

    static func < (lhs: RaftSimEvent, rhs: RaftSimEvent) -> Bool {
        lhs.time != rhs.time ? lhs.time < rhs.time : lhs.sequence < rhs.sequence
    }
}

/// What every replica that applied an index computed there (the first one records it).
struct RaftSimApplied<Command, Result> {
    var term: UInt64
    var kind: RaftEntryKind
    var dataHash: UInt64
    var command: Command?
    var result: Result?
    /// The state machine's digest right after applying this index.
    var digest: UInt64
}

struct RaftSimIndexTerm: Hashable {
    var index: UInt64
    var term: UInt64
}

/// The engine behind `RaftSimulation` (one run; not thread-safe), generic over what it replicates.
final class RaftSimulationWorld<Workload: RaftSimWorkload> {
    typealias Machine = Workload.Machine
    typealias Clients = RaftSimClients<Machine.Command, Machine.Result>
    static var stepMicros: Int64 { RaftSimulation.stepMilliseconds * 1000 }
    static var baseTickMicros: Int64 { 10_000 }

    let seed: UInt64
    let initialCount: Int
    let maxReplicas: Int
    let profile: RaftFaultProfile
    let options: RaftSimulationOptions
    var random: SimRandom
    var now: Int64 = 0
    var queue = Heap<RaftSimEvent>()
    var sequence: UInt64 = 0
    var mailbox: [RaftMessage?] = []
    var freeSlots: [Int32] = []
    var replicas: [RaftSimReplica<Machine>] = []
    var report: RaftSimulationReport
    var stopped = false
    /// `blocked[from][to]`: messages on that link are dropped.
    var blocked: [[Bool]]
    var partitionEndsAt: Int64?
    var faultsEnabled = true
    /// Replicas whose removal was applied somewhere, still running until everyone applied it.
    var pendingRemovals: [Int] = []

    // Checker state.
    var leaderOfTerm: [UInt64: RaftNodeID] = [:]
    var everLed: Set<RaftNodeID> = []
    var entryRegistry: [RaftSimIndexTerm: (hash: UInt64, previousTerm: UInt64)] = [:]
    /// By log index (slot 0 unused).
    var appliedLog: [RaftSimApplied<Machine.Command, Machine.Result>?] = [nil]
    /// By log index: the term of the leader first seen committing it, and the entry's term.
    var commitTerms: [(commitTerm: UInt64, entryTerm: UInt64)] = [(0, 0)]

    // Clients.
    var clients = Clients()

    // Trace.
    var traceRing: [RaftSimTraceRecord] = []
    var traceHead = 0

    init(seed: UInt64, replicas count: Int, profile: RaftFaultProfile, options: RaftSimulationOptions) {
        self.seed = seed
        self.initialCount = count
        self.maxReplicas = count + 3
        self.profile = profile
        self.options = options
        self.random = SimRandom(seed: seed ^ 0x5EED_0F_4AF7)
        self.report = RaftSimulationReport(seed: seed, replicas: count, profile: profile.name, steps: 0)
        self.blocked = Array(repeating: Array(repeating: false, count: count + 3), count: count + 3)
        let conf = RaftConfState(voters: (1...UInt64(count)).map { $0 })
        for index in 0..<count {
            spawn(index, initialConf: conf)
        }
    }

    func configuration(_ id: RaftNodeID) -> RaftConfiguration {
        RaftConfiguration(id: id, electionTicks: 10, heartbeatTicks: 1, maxEntriesPerAppend: 8, maxBytesPerAppend: 4096,
                          maxInflightAppends: 4, randomSeed: seed &* 0x9E37_79B9_7F4A_7C15 &+ id)
    }

    /// Creates replica `index` (id `index + 1`) with an empty disk and starts its clock.
    func spawn(_ index: Int, initialConf: RaftConfState) {
        precondition(index == replicas.count)
        let id = RaftNodeID(index + 1)
        let disk = RaftSimDisk<Machine>(initialConf: initialConf)
        let node = RaftNode(configuration: configuration(id), persisted: RaftPersistentState(initialConf: initialConf), applied: 0)
        let compactEvery = profile.compactEvery == 0 ? 0 : profile.compactEvery / 2 + random.below(profile.compactEvery + 1)
        replicas.append(RaftSimReplica(id: id, node: node, disk: disk, tickPeriod: drawTickPeriod(), compactEvery: compactEvery,
                                       syncedDisk: options.unsafeDriver == .acknowledgeBeforeSync ? disk : nil))
        scheduleTick(index, after: random.between(1, Self.baseTickMicros))
        afterEvent(index)
    }

    func drawTickPeriod() -> Int64 {
        guard profile.clockSkew else { return Self.baseTickMicros }
        // 0.8× … 1.25× the base rate of ticks.
        let rate = 0.8 + random.unit() * 0.45
        return Int64(Double(Self.baseTickMicros) / rate)
    }

    // MARK: Run

    func run(steps: Int) -> RaftSimulationReport {
        report.steps = steps
        var step = 0
        while step < steps, !stopped {
            control()
            process(until: now + Self.stepMicros)
            step += 1
        }
        if !stopped { converge() }
        if !stopped { finalChecks() }
        finishReport()
        return report
    }

    /// Processes queued events up to `time`.
    func process(until time: Int64) {
        while !stopped, let next = queue.min, next.time <= time {
            _ = queue.popMin()
            now = next.time
            handle(next)
        }
        if now < time { now = time }
    }

    func handle(_ event: RaftSimEvent) {
        let index = Int(event.node)
        switch event.kind {
        case .tick:
            guard replicas[index].incarnation == event.incarnation, replicas[index].node != nil else { return }
            replicas[index].node!.tick()
            afterEvent(index)
            scheduleTick(index, after: replicas[index].tickPeriod)
        case .deliver:
            guard let message = mailbox[Int(event.slot)] else { return }
            mailbox[Int(event.slot)] = nil
            freeSlots.append(event.slot)
            let from = Int(message.from) - 1
            guard replicas[index].node != nil, !blocked[from][index] else {
                report.messagesDropped += 1
                return
            }
            if message.kind != .heartbeat && message.kind != .heartbeatResponse {
                trace(.deliver, node: message.to, message.from, UInt64(message.kind.rawValue) | (message.reject ? 0x100 : 0), message.term,
                      message.index << 16 | UInt64(min(message.entries.count, 0xFFFF)))
            }
            replicas[index].node!.step(message)
            afterEvent(index)
        }
    }

    func scheduleTick(_ index: Int, after delay: Int64) {
        sequence += 1
        queue.insert(RaftSimEvent(time: now + delay, sequence: sequence, kind: .tick, node: Int32(index), slot: 0,
                                  incarnation: replicas[index].incarnation))
    }

    // MARK: Network

    func send(_ message: RaftMessage) {
        report.messagesSent += 1
        if message.kind == .installSnapshot { report.snapshotsSent += 1 }
        let to = Int(message.to) - 1
        guard to >= 0, to < replicas.count else {
            report.messagesDropped += 1
            return
        }
        if faultsEnabled, profile.lossRate > 0, random.unit() < profile.lossRate {
            report.messagesDropped += 1
            return
        }
        enqueue(message, to: to)
        if faultsEnabled, profile.duplicateRate > 0, random.unit() < profile.duplicateRate {
            report.messagesDuplicated += 1
            enqueue(message, to: to)
        }
    }

    /// Sends a Ready's messages grouped by recipient in id order, each group in the core's order:
    /// the core builds broadcasts by walking a dictionary, whose order differs between processes,
    /// and a seed must replay the same in every process.
    func sendInPeerOrder(_ messages: [RaftMessage]) {
        guard messages.count > 1 else {
            for message in messages { send(message) }
            return
        }
        var recipients = Array(Set(messages.map(\.to)))
        recipients.sort()
        for recipient in recipients {
            for message in messages where message.to == recipient { send(message) }
        }
    }

    private func enqueue(_ message: RaftMessage, to: Int) {
        var delay = random.between(1000, profile.maxDelayMs * 1000)
        if faultsEnabled, profile.reorderRate > 0, random.unit() < profile.reorderRate {
            delay = random.between(1000, profile.longDelayMs * 1000)
        }
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            mailbox[Int(slot)] = message
        } else {
            slot = Int32(mailbox.count)
            mailbox.append(message)
        }
        sequence += 1
        queue.insert(RaftSimEvent(time: now + delay, sequence: sequence, kind: .deliver, node: Int32(to), slot: slot, incarnation: 0))
    }

    // MARK: The driver

    /// After anything happened to a replica: notice a new leadership, then run the ready loop.
    func afterEvent(_ index: Int) {
        guard let node = replicas[index].node else { return }
        if node.role == .leader, replicas[index].ledTerm != node.term {
            replicas[index].ledTerm = node.term
            becameLeader(index)
        }
        drain(index)
        guard !stopped, let node = replicas[index].node else { return }
        if replicas[index].disk.recovering, !node.recovering {
            // Caught up (everything it was sent is on disk now): the flag may go.
            replicas[index].disk.recovering = false
        }
        observeCommit(index)
        maybeCompact(index)
        maybeProvideImage(index)
    }

    /// The contract's driver loop: persist, send, restore/apply, advance.
    func drain(_ index: Int) {
        var rounds = 0
        while !stopped, rounds < 16, replicas[index].node?.hasReady == true {
            rounds += 1
            let ready = replicas[index].node!.ready()
            let stage = replicas[index].pendingCrash
            if stage == .beforePersist {
                crash(index, inReady: true)
                return
            }
            persist(index, ready)
            if stage == .afterPersist {
                crash(index, inReady: true)
                return
            }
            sendInPeerOrder(ready.messages)
            if stage == .afterSend {
                crash(index, inReady: true)
                return
            }
            if !ready.readStates.isEmpty { checkReads(index, ready.readStates) }
            if let snapshot = ready.snapshot { restore(index, snapshot) }
            if options.unsafeDriver != .applyBeforeCommit {
                apply(index, ready.committedEntries)
            } else {
                applyConfChangesOnly(index, ready.committedEntries)
            }
            replicas[index].node?.advance(ready)
        }
    }

    func persist(_ index: Int, _ ready: RaftReady) {
        var disk = replicas[index].disk
        if let hard = ready.hardState {
            if hard.term < disk.hardState.term {
                violation("driver", "replica \(index + 1) asked to persist term \(hard.term) below its persisted \(disk.hardState.term)")
            }
            disk.hardState = hard
        }
        if let snapshot = ready.snapshot {
            disk.snapshot = snapshot
            disk.entries = []
            report.snapshotsInstalled += 1
            trace(.installSnapshot, node: replicas[index].id, snapshot.metadata.index, snapshot.metadata.term, 0, 0)
        }
        if let first = ready.entries.first {
            let base = disk.snapshotIndex
            guard first.index > base, first.index <= disk.lastIndex + 1 else {
                violation("driver", "replica \(index + 1) got entries from \(first.index) but its log holds \(base + 1)...\(disk.lastIndex)")
                return
            }
            disk.entries.removeSubrange(Int(first.index - base - 1)...)
            for entry in ready.entries {
                guard entry.index == disk.lastIndex + 1 else {
                    violation("driver", "replica \(index + 1) got non-contiguous entries at \(entry.index)")
                    return
                }
                let previousTerm = disk.term(at: entry.index - 1) ?? 0
                disk.entries.append(entry)
                checkLogMatching(entry, previousTerm: previousTerm, replica: index)
            }
            if options.unsafeDriver == .applyBeforeCommit {
                replicas[index].disk = disk
                applyUncommitted(index, ready.entries)
                return
            }
        }
        replicas[index].disk = disk
    }

    /// Replaces the state machine with a snapshot's image.
    func restore(_ index: Int, _ snapshot: RaftSnapshot) {
        do {
            replicas[index].disk.machine = try Machine(snapshot: snapshot.data)
        } catch {
            violation("driver", "replica \(index + 1) got a snapshot that does not decode: \(error)")
            return
        }
        replicas[index].disk.applied = snapshot.metadata.index
        checkSnapshotDigest(index, at: snapshot.metadata.index)
        // Proposals the snapshot covers can no longer be matched to their entries.
        // (Sorted: dictionary order differs between processes, and a replay must not.)
        for proposalIndex in replicas[index].proposals.keys.sorted() where proposalIndex <= snapshot.metadata.index {
            if let pending = replicas[index].proposals.removeValue(forKey: proposalIndex) { forgetOp(pending.op) }
        }
    }

    func apply(_ index: Int, _ entries: [RaftEntry]) {
        for entry in entries {
            guard entry.index == replicas[index].disk.applied + 1 else {
                violation("driver", "replica \(index + 1) was handed entry \(entry.index) to apply after \(replicas[index].disk.applied)")
                return
            }
            var command: Machine.Command?
            var result: Machine.Result?
            switch entry.kind {
            case .configChange:
                if let change = RaftConfChange(encoded: entry.data) {
                    replicas[index].node?.applyConfChange(change)
                    appliedConfChange(change, at: entry.index, by: index)
                } else {
                    violation("driver", "undecodable membership change at \(entry.index)")
                }
            case .normal:
                if !entry.data.isEmpty {
                    do {
                        let decoded = try Machine.decode(entry.data)
                        command = decoded
                        result = replicas[index].disk.machine.apply(decoded)
                    } catch {
                        violation("driver", "undecodable command at \(entry.index): \(error)")
                    }
                }
            }
            replicas[index].disk.applied = entry.index
            replicas[index].appliedSinceCompaction += 1
            report.applied += 1
            recordApplied(index, entry, command: command, result: result)
            if let pending = replicas[index].proposals.removeValue(forKey: entry.index) {
                if pending.term == entry.term, pending.dataHash == Self.hash(entry.data), let command, let result {
                    acknowledgeOp(pending.op, index: entry.index, term: entry.term, command: command, result: result)
                } else {
                    forgetOp(pending.op)
                }
            }
            if stopped { return }
        }
    }

    /// The `applyBeforeCommit` driver: commands go to the state machine when written.
    private func applyUncommitted(_ index: Int, _ entries: [RaftEntry]) {
        for entry in entries {
            var command: Machine.Command?
            var result: Machine.Result?
            if entry.kind == .normal, !entry.data.isEmpty, let decoded = try? Machine.decode(entry.data) {
                command = decoded
                result = replicas[index].disk.machine.apply(decoded)
            }
            replicas[index].disk.applied = max(replicas[index].disk.applied, entry.index)
            recordApplied(index, entry, command: command, result: result)
            if stopped { return }
        }
    }

    private func applyConfChangesOnly(_ index: Int, _ entries: [RaftEntry]) {
        for entry in entries where entry.kind == .configChange {
            if let change = RaftConfChange(encoded: entry.data) {
                replicas[index].node?.applyConfChange(change)
                appliedConfChange(change, at: entry.index, by: index)
            }
        }
        if let last = entries.last { replicas[index].disk.applied = max(replicas[index].disk.applied, last.index) }
    }

    func appliedConfChange(_ change: RaftConfChange, at logIndex: UInt64, by index: Int) {
        if appliedLog.count <= Int(logIndex) || appliedLog[Int(logIndex)] == nil, change.kind != .addVoter {
            report.confChanges += 1
            trace(.confChange, node: replicas[index].id, UInt64(change.kind.rawValue), change.node, logIndex, 0)
        }
        if change.kind == .remove {
            let removed = Int(change.node) - 1
            if removed >= 0, removed < replicas.count, !replicas[removed].decommissioned, !pendingRemovals.contains(removed) {
                pendingRemovals.append(removed)
            }
        }
    }

    /// The operator stops a removed replica once no live replica still counts it as a member (stopping
    /// it earlier could leave a configuration that still needs its vote without a quorum).
    func retireRemovedReplicas() {
        guard !pendingRemovals.isEmpty else { return }
        pendingRemovals.removeAll { removed in
            let id = replicas[removed].id
            for other in replicas.indices where other != removed && !replicas[other].decommissioned {
                if let node = replicas[other].node, node.conf.contains(id) { return false }
            }
            replicas[removed].decommissioned = true
            stop(removed)
            trace(.retire, node: id, 0, 0, 0, 0)
            return true
        }
    }

    /// The application's snapshot: taken at the applied index, then the core drops older entries.
    /// Replicas with an even id compact without an image, as the replication host does (the
    /// state machine is durable on its own), and encode one only when the core asks for it.
    func maybeCompact(_ index: Int) {
        let every = replicas[index].compactEvery
        guard every > 0, replicas[index].appliedSinceCompaction >= every,
              replicas[index].disk.applied > replicas[index].disk.snapshotIndex else { return }
        let image = replicas[index].id % 2 == 1
        // Like the host: no image-less compaction past a follower still waiting for its snapshot.
        if !image, replicas[index].node?.isSendingSnapshot == true { return }
        if compact(index, image: image) {
            replicas[index].appliedSinceCompaction = 0
            report.compactions += 1
        }
    }

    /// Hands the core the image it asked for (`wantsSnapshotImage`), taken at the applied index.
    func maybeProvideImage(_ index: Int) {
        guard replicas[index].node?.wantsSnapshotImage == true else { return }
        if compact(index, image: true) { report.imagesOnDemand += 1 }
    }

    /// Snapshots at the applied index (which must be durable and settled) and compacts the disk's
    /// log: with `image`, the core gets the state machine's encoding; without, only the metadata.
    private func compact(_ index: Int, image: Bool) -> Bool {
        guard let node = replicas[index].node, options.unsafeDriver != .applyBeforeCommit else { return false }
        let applied = replicas[index].disk.applied
        guard node.appliedIndex == applied, applied >= replicas[index].disk.snapshotIndex, applied > 0, !node.hasReady else { return false }
        let metadata = node.snapshotMetadataAtApplied
        let data = image ? replicas[index].disk.machine.snapshot() : nil
        replicas[index].node!.compact(metadata, image: data)
        var disk = replicas[index].disk
        let drop = Int(applied - disk.snapshotIndex)
        disk.entries.removeFirst(min(drop, disk.entries.count))
        disk.snapshot = RaftSnapshot(metadata: metadata, data: data ?? [])
        replicas[index].disk = disk
        trace(.compact, node: replicas[index].id, applied, metadata.term, data == nil ? 0 : 1, 0)
        return true
    }

    // MARK: Crash and restart

    func crash(_ index: Int, inReady: Bool) {
        guard replicas[index].node != nil else { return }
        report.crashes += 1
        if inReady { report.crashesInReady += 1 }
        trace(.crash, node: replicas[index].id, UInt64(replicas[index].pendingCrash?.rawValue ?? 0), 0, 0, 0)
        stop(index)
        if !replicas[index].decommissioned, replicas[index].restartAt == nil {
            replicas[index].restartAt = now + random.between(50_000, 800_000)
        }
    }

    /// Stops a replica: its memory and the proposals waiting on it are gone.
    func stop(_ index: Int) {
        replicas[index].node = nil
        replicas[index].incarnation += 1
        replicas[index].pendingCrash = nil
        replicas[index].ledTerm = 0
        let pending = replicas[index].proposals
        replicas[index].proposals = [:]
        for key in pending.keys.sorted() { forgetOp(pending[key]!.op) }
    }

    /// Rebuilds a replica from its disk, as a real node does after a crash.
    func restart(_ index: Int) {
        guard replicas[index].node == nil, !replicas[index].decommissioned else { return }
        replicas[index].restartAt = nil
        var disk = replicas[index].disk
        if options.unsafeDriver == .acknowledgeBeforeSync, let synced = replicas[index].syncedDisk {
            // Everything written since the last sync is gone, though it was acknowledged.
            disk = synced
        }
        let freshlyCorrupted = replicas[index].corruptOnRestart
        if replicas[index].corruptOnRestart {
            // The checksums failed: keep only the term and vote, start empty, and do not vote until
            // the leader has brought this replica back (as the replication host does).
            replicas[index].corruptOnRestart = false
            disk = RaftSimDisk<Machine>(hardState: RaftHardState(term: disk.hardState.term, vote: disk.hardState.vote, commit: 0),
                                        initialConf: RaftConfState(voters: []))
            disk.recovering = true
            report.corruptions += 1
        }
        if let snapshot = disk.snapshot, disk.applied < snapshot.metadata.index {
            // Crashed after writing a received snapshot, before restoring the state machine from it.
            if let machine = try? Machine(snapshot: snapshot.data) {
                disk.machine = machine
                disk.applied = snapshot.metadata.index
            }
        }
        if options.unsafeDriver != .applyBeforeCommit, random.unit() < 0.3 {
            // A state machine kept in memory only: rebuilt from the snapshot, the log replays the rest.
            if let snapshot = disk.snapshot, let machine = try? Machine(snapshot: snapshot.data) {
                disk.machine = machine
                disk.applied = snapshot.metadata.index
            } else if disk.snapshot == nil {
                disk.machine = Machine()
                disk.applied = 0
            }
        }
        // The `forgetRecoveringOnRestart` driver keeps the flag only in memory (a second crash loses it).
        let recovering = disk.recovering && (options.unsafeDriver != .forgetRecoveringOnRestart || freshlyCorrupted)
        replicas[index].disk = disk
        let persisted = RaftPersistentState(hardState: disk.hardState, snapshot: disk.snapshot?.metadata, entries: disk.entries,
                                            initialConf: disk.initialConf)
        replicas[index].node = RaftNode(configuration: configuration(replicas[index].id), persisted: persisted, applied: disk.applied,
                                        snapshotData: disk.snapshot.flatMap { $0.data.isEmpty ? nil : $0.data }, recovering: recovering)
        replicas[index].appliedSinceCompaction = 0
        trace(.restart, node: replicas[index].id, disk.hardState.term, disk.lastIndex, disk.applied, recovering ? 1 : 0)
        scheduleTick(index, after: random.between(1, replicas[index].tickPeriod))
        afterEvent(index)
    }

    // MARK: Helpers

    /// FNV-1a over bytes.
    static func hash(_ bytes: [UInt8]) -> UInt64 { FNV1a.hash(bytes) }

    /// The replica that leads in the highest term among live replicas, if any.
    var currentLeader: Int? {
        var best: Int?
        for index in replicas.indices {
            guard let node = replicas[index].node, node.role == .leader else { continue }
            if let current = best, replicas[current].node!.term >= node.term { continue }
            best = index
        }
        return best
    }

    var virtualMilliseconds: Int64 { now / 1000 }

    func finishReport() {
        report.leaders = everLed.count
        report.maxTerm = replicas.compactMap { $0.node?.term ?? $0.disk.hardState.term }.max() ?? 0
        report.commits = UInt64(commitTerms.count - 1)
        report.acknowledged = clients.acknowledged.count
        report.acknowledgedClaims = clients.acknowledged.filter { Workload.isClaim($0.command) }.count
        report.proposed = clients.proposed
        if let machine = replicas.first(where: { !$0.decommissioned && $0.isUp })?.disk.machine {
            report.finalTickets = Workload.ticketCount(machine)
        }
        if report.trace.isEmpty { report.trace = formattedTrace() }
    }
}
