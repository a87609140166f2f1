import CoreMetrics
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RingdeskRaft
import RingdeskShard

/// The replication loop's world: every group's replica, the store, and callers waiting for outcomes.
/// It runs on one event loop (the node's HTTP/2 loop, so peer messages and proposals that arrive
/// there reach it without a thread switch), next to a writer thread for the blocking SQLite work.
///
/// `@unchecked Sendable`: `groups`, `store` and the other `var`s are touched only on `eventLoop`
/// (`start()` on); other threads read `status` (a locked box) and call `stop()` (which waits on a
/// condition lock).
final class ReplicationLoop: @unchecked Sendable {
    struct Waiting {
        var term: UInt64
        var proposal: ReplicationInbox.Proposal
        var deadline: Date
        var admitted: ContinuousClock.Instant
    }

    struct GroupReplica {
        var node: RaftNode
        var machine: ShardStateMachine
        /// Proposals by the index they were appended at.
        var waiting: [UInt64: Waiting] = [:]
        /// Reads waiting for leadership confirmation, by request id.
        var reads: [UInt64: ReplicationInbox.Read] = [:]
        /// Reads confirmed at an index, waiting until it is applied.
        var confirmedReads: [(index: UInt64, read: ReplicationInbox.Read)] = []
        var appliedSinceSnapshot = 0
        /// An image is being encoded for the core (it asked: a follower needs a snapshot).
        var imagePending = false
        /// Loaded as recovering; once the core leaves recovery the store's mark is cleared.
        var wasRecovering = false
    }

    let configuration: ReplicationConfiguration
    private let snapshotPolicy: SnapshotPolicy
    private let store: RaftLogStore
    private let writer: ReplicationWriter
    private let inbox: ReplicationInbox
    private let logger: Logger
    private let metrics: ReplicationMetrics
    private let send: @Sendable (RaftNodeID, [UInt8]) -> Void
    private var groups: [GroupReplica] = []
    private var nextReadID: UInt64 = 1
    private let published = NIOLockedValueBox<[ReplicationGroupStatus]>([])
    private let stoppedLock = ConditionLock(value: false)
    private var lastPublish = Date.distantPast
    /// Where the loop runs: every group's state is touched only on this event loop.
    let eventLoop: any EventLoop
    private var tickTask: Scheduled<Void>?
    private var stopped = false

    init(configuration: ReplicationConfiguration, eventLoop: any EventLoop, store: RaftLogStore, inbox: ReplicationInbox, logger: Logger,
         metrics: ReplicationMetrics, send: @escaping @Sendable (RaftNodeID, [UInt8]) -> Void) throws {
        self.configuration = configuration
        self.snapshotPolicy = SnapshotPolicy(every: configuration.snapshotEvery, nodeID: configuration.nodeID)
        self.eventLoop = eventLoop
        self.store = store
        self.writer = ReplicationWriter(store: store, inbox: inbox, logger: logger)
        self.inbox = inbox
        self.logger = logger
        self.metrics = metrics
        self.send = send
        let voters = configuration.initialVoters
        for group in 0..<UInt32(configuration.groups) {
            try store.createGroup(group, voters: voters)
            groups.append(try Self.loadGroup(group, store: store, configuration: configuration, logger: logger))
        }
        publishStatus(force: true)
    }

    private static func loadGroup(_ group: UInt32, store: RaftLogStore, configuration: ReplicationConfiguration,
                                  logger: Logger) throws -> GroupReplica {
        let loaded = try store.load(group: group)
        let raftConfiguration = RaftConfiguration(id: configuration.nodeID, electionTicks: configuration.electionTicks,
                                                  randomSeed: configuration.nodeID &* 1_000_003 &+ UInt64(group))
        // The state machine is the applied rows (the state at the applied index; the log after it
        // is applied again by the core as committed entries).
        var damage = loaded.corruption.map(\.description)
        var machine = ShardStateMachine()
        if damage == nil {
            do {
                machine = try ShardStateMachine(rows: loaded.tickets.lazy.map { (id: $0.id, record: $0.record) })
            } catch {
                damage = "shard_tickets: \(error)"
            }
        }
        if let damage {
            // Never serve or vote on data that failed its checks: start empty, stop voting, and
            // let the leader send a snapshot (or the whole log).
            logger.error("raft group data failed its checksum; the replica recovers from the leader",
                         metadata: ["group": "\(group)", "corruption": "\(damage)"])
            let hard = loaded.persistent.hardState
            try store.deleteGroupState(group: group)
            let persisted = RaftPersistentState(hardState: RaftHardState(term: hard.term, vote: hard.vote, commit: 0),
                                                initialConf: RaftConfState(voters: []))
            return GroupReplica(node: RaftNode(configuration: raftConfiguration, persisted: persisted, applied: 0, recovering: true),
                                machine: ShardStateMachine(), wasRecovering: true)
        }
        let node = RaftNode(configuration: raftConfiguration, persisted: loaded.persistent, applied: loaded.appliedIndex)
        return GroupReplica(node: node, machine: machine)
    }

    var status: [ReplicationGroupStatus] { published.withLockedValue { $0 } }

    func waitUntilStopped() {
        stoppedLock.lock(whenValue: true)
        stoppedLock.unlock()
    }

    // MARK: The loop

    /// Starts the writer thread and the loop on `eventLoop`: from now on every method below runs
    /// there, woken by the inbox and by its tick.
    func start() {
        writer.start()
        let eventLoop = self.eventLoop
        inbox.onWork { eventLoop.execute { self.pump() } }
        eventLoop.execute {
            self.scheduleTick()
            self.pump()
        }
    }

    /// Stops after the work queued so far; pending callers get `stopped`. Returns once done (on the
    /// event loop itself it stops right there).
    func stop() {
        inbox.stop()
        if eventLoop.inEventLoop {
            pump()
        } else {
            waitUntilStopped()
        }
    }

    /// The next tick comes one tick after this one's work is done: after a stall (a slow disk) the
    /// ticks missed are not fired in a burst that would start elections.
    private func scheduleTick() {
        tickTask = eventLoop.scheduleTask(in: .milliseconds(Int64(configuration.tickMilliseconds))) { self.onTick() }
    }

    private func onTick() {
        guard !stopped else { return }
        for index in groups.indices { groups[index].node.tick() }
        expireProposals(now: Date())
        pump()
        scheduleTick()
    }

    /// One turn: everything the inbox holds, then every group's Ready.
    private func pump() {
        guard !stopped else { return }
        let work = inbox.takeAll()
        if work.stopped {
            stopped = true
            tickTask?.cancel()
            writer.stopAndWait()
            failEverything(ReplicationError.stopped)
            stoppedLock.lock()
            stoppedLock.unlock(withValue: true)
            return
        }
        for job in work.written { completeWrite(job) }
        for envelope in work.messages where envelope.group < groups.count {
            // A snapshot whose image does not decode is dropped before the core adopts it:
            // the leader sends another, and a forged one cannot take the node down.
            if let snapshot = envelope.message.snapshot, (try? ShardStateMachine(snapshot: snapshot.data)) == nil {
                logger.warning("dropped a snapshot that does not decode", metadata: ["group": "\(envelope.group)",
                                                                                    "from": "\(envelope.message.from)"])
                continue
            }
            groups[Int(envelope.group)].node.step(envelope.message)
        }
        for proposal in work.proposals { admit(proposal) }
        for read in work.reads { admit(read) }
        for drain in work.drains { drain.continuation.resume(returning: startDrain()) }
        for change in work.memberships { admit(change) }
        turn()
        inbox.setWaiting(groups.reduce(0) { $0 + $1.waiting.count + $1.reads.count + $1.confirmedReads.count })
        publishStatus(force: false)
    }

    private func admit(_ proposal: ReplicationInbox.Proposal) {
        let group = Int(proposal.group)
        do {
            let index = try groups[group].node.propose(proposal.data)
            let deadline = Date().addingTimeInterval(TimeInterval(configuration.proposalTimeoutMilliseconds) / 1000)
            groups[group].waiting[index] = Waiting(term: groups[group].node.term, proposal: proposal, deadline: deadline,
                                                   admitted: .now)
        } catch {
            metrics.refused.increment()
            proposal.continuation.resume(throwing: ReplicationError(code: error.code, message: error.message, leaderHint: error.leaderHint))
        }
    }

    /// Proposes a membership change of one group (leader only); answered once it is applied.
    private func admit(_ change: ReplicationInbox.Membership) {
        let group = Int(change.group)
        do {
            guard configuration.peers[change.change.node] != nil else {
                throw ReplicationError(code: "unknown_node", message: "node \(change.change.node) is not in replication.peers")
            }
            let index = try groups[group].node.proposeConfChange(change.change)
            let deadline = Date().addingTimeInterval(TimeInterval(configuration.proposalTimeoutMilliseconds) / 1000)
            groups[group].waiting[index] = Waiting(term: groups[group].node.term, proposal: change.proposal, deadline: deadline,
                                                   admitted: .now)
        } catch let error as RaftError {
            change.proposal.continuation.resume(throwing: ReplicationError(code: error.code, message: error.message, leaderHint: error.leaderHint))
        } catch {
            change.proposal.continuation.resume(throwing: error)
        }
    }

    /// Starts a leadership transfer in every group this node leads; returns how many started.
    private func startDrain() -> Int {
        var started = 0
        for group in groups.indices where groups[group].node.role == .leader {
            guard let target = groups[group].node.bestTransferTarget else { continue }
            do {
                try groups[group].node.transferLeadership(to: target)
                started += 1
            } catch {
                logger.warning("leadership transfer refused", metadata: ["group": "\(group)", "error": "\(error)"])
            }
        }
        logger.notice("draining: leadership transfers started", metadata: ["groups": "\(started)"])
        return started
    }

    private func admit(_ read: ReplicationInbox.Read) {
        let group = Int(read.group)
        if read.local {
            read.continuation.resume(returning: groups[group].machine.ticket(read.ticketID))
            return
        }
        let id = nextReadID
        nextReadID += 1
        do {
            try groups[group].node.readIndex(requestID: id)
            groups[group].reads[id] = read
        } catch {
            read.continuation.resume(throwing: ReplicationError(code: error.code, message: error.message, leaderHint: error.leaderHint))
        }
    }

    /// One pass over every group's Ready: leaders' appends go out now; committed entries are
    /// applied and their proposals answered now (they are on a majority's disks); the rest is a
    /// write job for the writer thread, whose messages leave only once it is durable.
    private func turn() {
        var readies: [(group: Int, ready: RaftReady)] = []
        for index in groups.indices where groups[index].node.hasReady {
            readies.append((index, groups[index].node.ready()))
        }

        // A leader may send its appends before its own write (Raft thesis §10.2.1): its own copy
        // only counts towards a quorum after `advance`. Everything else waits for the disk.
        var early: [RaftNodeID: [RaftEnvelope]] = [:]
        var job = ReplicationWriteJob()
        for (group, ready) in readies {
            let leads = groups[group].node.role == .leader
            for message in ready.messages {
                let envelope = RaftEnvelope(group: UInt32(group), message: message)
                if leads && message.kind == .append {
                    early[message.to, default: []].append(envelope)
                } else {
                    job.late[message.to, default: []].append(envelope)
                }
            }
        }
        flush(early)

        for (group, ready) in readies {
            job.writes.append(RaftLogStore.GroupWrite(group: UInt32(group), hardState: ready.hardState, entries: ready.entries,
                                                      snapshot: ready.snapshot))
            if let apply = applyCommitted(group: group, ready: ready) { job.applies.append(apply) }
            for state in ready.readStates {
                if let read = groups[group].reads.removeValue(forKey: state.requestID) {
                    groups[group].confirmedReads.append((state.index, read))
                }
            }
            answerReads(group: group)
            if ready.softState != nil { metrics.leaderChanges.increment() }
            if let soft = ready.softState, soft.role != .leader {
                failWaiting(group: group, ReplicationError(code: "outcome_unknown", message: ReplicationError.outcomeUnknown.message,
                                                          leaderHint: soft.leader))
            }
            if groups[group].wasRecovering, !groups[group].node.recovering {
                groups[group].wasRecovering = false
                job.recovered.append(UInt32(group))
            }
        }
        // After the applies: every machine is at its core's applied index now.
        for group in groups.indices {
            if let compaction = maybeSnapshot(group: group) { job.compactions.append(compaction) }
        }
        guard !readies.isEmpty || !job.compactions.isEmpty else { return }
        job.readies = readies
        writer.submit(job)
    }

    /// A write job is durable: its messages may go, and its Readies are done.
    private func completeWrite(_ job: ReplicationWriteJob) {
        flush(job.late)
        for (group, ready) in job.readies {
            groups[group].node.advance(ready)
        }
        for compaction in job.compactions {
            let group = Int(compaction.group)
            if compaction.image != nil { groups[group].imagePending = false }
            groups[group].node.compact(compaction.metadata, image: compaction.image)
        }
    }

    /// Applies the Ready's snapshot and committed entries to the in-memory state machine, answers
    /// the proposals they complete, and returns the rows to write in the same transaction.
    private func applyCommitted(group: Int, ready: RaftReady) -> ShardApply? {
        var changes: [ShardRowChange] = []
        var appliedIndex: UInt64?
        var replaceAll = false
        if let snapshot = ready.snapshot {
            do {
                groups[group].machine = try ShardStateMachine(snapshot: snapshot.data)
            } catch {
                logger.critical("snapshot from the leader does not decode", metadata: ["group": "\(group)"])
                fatalError("undecodable snapshot for group \(group): \(error)")
            }
            replaceAll = true
            changes = groups[group].machine.allRows()
            appliedIndex = snapshot.metadata.index
        }
        for entry in ready.committedEntries {
            appliedIndex = entry.index
            groups[group].appliedSinceSnapshot += 1
            var result: ShardResult?
            switch entry.kind {
            case .configChange:
                if let change = RaftConfChange(encoded: entry.data) {
                    groups[group].node.applyConfChange(change)
                    // Only marks a waiting membership caller as answered; it reads the index.
                    result = .updated(status: .queued, epoch: 0)
                }
            case .normal:
                guard !entry.data.isEmpty else { break }
                if let command = try? ShardCommand(encoded: entry.data) {
                    let applied = groups[group].machine.apply(command)
                    result = applied
                    changes += groups[group].machine.rows(touchedBy: command)
                }
            }
            if let waiting = groups[group].waiting.removeValue(forKey: entry.index) {
                if waiting.term == entry.term, let result {
                    metrics.committed.increment()
                    let elapsed = (ContinuousClock.now - waiting.admitted).components
                    metrics.proposalLatency.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
                    waiting.proposal.continuation.resume(returning: ShardProposalOutcome(index: entry.index, result: result))
                } else {
                    metrics.unknown.increment()
                    waiting.proposal.continuation.resume(throwing: ReplicationError.outcomeUnknown)
                }
            }
        }
        guard let appliedIndex else { return nil }
        return ShardApply(group: UInt32(group), appliedIndex: appliedIndex, replaceAll: replaceAll, changes: changes)
    }

    private func answerReads(group: Int) {
        guard !groups[group].confirmedReads.isEmpty else { return }
        let applied = groups[group].node.appliedIndex
        var remaining: [(index: UInt64, read: ReplicationInbox.Read)] = []
        for pending in groups[group].confirmedReads {
            if pending.index <= applied {
                pending.read.continuation.resume(returning: groups[group].machine.ticket(pending.read.ticketID))
            } else {
                remaining.append(pending)
            }
        }
        groups[group].confirmedReads = remaining
    }

    /// A snapshot at the applied index, in the same write job as the rows it covers (the core
    /// compacts once the job is durable): when `SnapshotPolicy` says so, metadata only (the rows
    /// are the state), unless a follower still waits for an image; and when the core asks for an
    /// image, with the machine for the writer thread to encode.
    private func maybeSnapshot(group: Int) -> ShardCompaction? {
        guard !groups[group].imagePending, groups[group].node.appliedIndex > 0 else { return nil }
        let wantsImage = groups[group].node.wantsSnapshotImage && groups[group].node.role == .leader
        guard wantsImage || (snapshotPolicy.isDue(appliedSinceSnapshot: groups[group].appliedSinceSnapshot)
            && !groups[group].node.isSendingSnapshot) else { return nil }
        groups[group].appliedSinceSnapshot = 0
        groups[group].imagePending = wantsImage
        metrics.snapshots.increment()
        if wantsImage { metrics.snapshotImages.increment() }
        return ShardCompaction(group: UInt32(group), metadata: groups[group].node.snapshotMetadataAtApplied,
                               imageOf: wantsImage ? groups[group].machine : nil)
    }

    private func flush(_ outgoing: [RaftNodeID: [RaftEnvelope]]) {
        for (peer, envelopes) in outgoing where !envelopes.isEmpty {
            send(peer, RaftCodec.encode(envelopes))
        }
    }

    private func expireProposals(now: Date) {
        for group in groups.indices where !groups[group].waiting.isEmpty {
            let expired = groups[group].waiting.filter { $0.value.deadline <= now }
            for (index, waiting) in expired {
                groups[group].waiting[index] = nil
                metrics.unknown.increment()
                waiting.proposal.continuation.resume(throwing: ReplicationError.outcomeUnknown)
            }
        }
    }

    private func failWaiting(group: Int, _ error: ReplicationError) {
        for waiting in groups[group].waiting.values {
            metrics.unknown.increment()
            waiting.proposal.continuation.resume(throwing: error)
        }
        groups[group].waiting.removeAll()
        for read in groups[group].reads.values { read.continuation.resume(throwing: error) }
        groups[group].reads.removeAll()
        for pending in groups[group].confirmedReads { pending.read.continuation.resume(throwing: error) }
        groups[group].confirmedReads.removeAll()
    }

    private func failEverything(_ error: ReplicationError) {
        for group in groups.indices { failWaiting(group: group, error) }
        // Callers that raced with the stop are still in the inbox.
        let late = inbox.takeAll()
        for proposal in late.proposals { proposal.continuation.resume(throwing: error) }
        for read in late.reads { read.continuation.resume(throwing: error) }
        for drain in late.drains { drain.continuation.resume(throwing: error) }
        for change in late.memberships { change.proposal.continuation.resume(throwing: error) }
    }

    private func publishStatus(force: Bool) {
        let now = Date()
        guard force || now.timeIntervalSince(lastPublish) >= 0.05 else { return }
        lastPublish = now
        let snapshot = groups.enumerated().map { index, replica in
            ReplicationGroupStatus(group: UInt32(index), role: replica.node.role.rawValue, term: replica.node.term,
                                   leader: replica.node.leader, commitIndex: replica.node.commitIndex,
                                   appliedIndex: replica.node.appliedIndex, lastIndex: replica.node.lastIndex,
                                   firstIndex: replica.node.firstIndex, voters: replica.node.conf.voters,
                                   learners: replica.node.conf.learners, recovering: replica.node.recovering)
        }
        published.withLockedValue { $0 = snapshot }
        for (role, gauge) in metrics.groupsByRole { gauge.record(snapshot.filter { $0.role == role }.count) }
        metrics.groupsWithoutLeader.record(snapshot.filter { $0.leader == 0 }.count)
    }
}
