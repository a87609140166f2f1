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
final class ReplicationLoop<Machine: ReplicatedStateMachine>: @unchecked Sendable {
    typealias Inbox = ReplicationInbox<Machine>

    /// Who waits for an entry: a proposer (answered with the machine's result) or a membership
    /// change (answered with the index once applied).
    enum Waiter {
        case command(Inbox.ProposalCompletion)
        case membership(CheckedContinuation<UInt64, any Error>)

        func fail(_ error: any Error) {
            switch self {
            case .command(let completion): completion.resume(throwing: error)
            case .membership(let continuation): continuation.resume(throwing: error)
            }
        }
    }

    struct Waiting {
        var term: UInt64
        var waiter: Waiter
        var deadline: Date
        var admitted: ContinuousClock.Instant
    }

    /// A class, not a struct: the loop reaches into every group several times a turn, and a
    /// value in an array was copied whole (its Raft core, machine and dictionaries retained one
    /// by one) by some of those accesses.
    final class GroupReplica {
        var node: RaftNode
        var machine: Machine
        /// Proposals by the index they were appended at.
        var waiting: [UInt64: Waiting] = [:]
        /// Reads waiting for leadership confirmation, by request id.
        var reads: [UInt64: Inbox.Read] = [:]
        /// Reads confirmed at an index, waiting until it is applied.
        var confirmedReads: [(index: UInt64, read: Inbox.Read)] = []
        /// The applied index the store's rows are durable at (written by the writer thread).
        var durableApplied: UInt64 = 0
        /// Local reads waiting until the rows are durable at an applied index.
        var durableReads: [(index: UInt64, read: Inbox.Read)] = []
        var appliedSinceSnapshot = 0
        /// An image is being encoded for the core (it asked: a follower needs a snapshot).
        var imagePending = false
        /// Loaded as recovering; once the core leaves recovery the store's mark is cleared.
        var wasRecovering = false
        /// Set when a committed entry did not decode (written by a newer build, or damaged): the
        /// group stops here, at the last entry it applied, and takes part in nothing until the
        /// node runs a build that understands the entry. It never skips an entry.
        var halted: String?

        init(node: RaftNode, machine: Machine, durableApplied: UInt64 = 0, wasRecovering: Bool = false) {
            self.node = node
            self.machine = machine
            self.durableApplied = durableApplied
            self.wasRecovering = wasRecovering
        }
    }

    let configuration: ReplicationConfiguration
    private let snapshotPolicy: SnapshotPolicy
    private let store: RaftLogStore
    private let writer: ReplicationWriter<Machine>
    private let inbox: Inbox
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
    /// Who follows what the groups apply (`ReplicationHost.follow`), and this turn's events for it.
    let feed = NIOLockedValueBox<(@Sendable ([ReplicationFeedEvent<Machine>]) -> Void)?>(nil)
    private var feedEvents: [ReplicationFeedEvent<Machine>] = []

    init(configuration: ReplicationConfiguration, eventLoop: any EventLoop, store: RaftLogStore, inbox: Inbox, logger: Logger,
         metrics: ReplicationMetrics, projection: ReadModelProjection<Machine>? = nil,
         send: @escaping @Sendable (RaftNodeID, [UInt8]) -> Void) throws {
        self.configuration = configuration
        self.snapshotPolicy = SnapshotPolicy(every: configuration.snapshotEvery, nodeID: configuration.nodeID)
        self.eventLoop = eventLoop
        self.store = store
        self.writer = ReplicationWriter(store: store, projection: projection, inbox: inbox, logger: logger)
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
        var machine = Machine()
        if damage == nil {
            do {
                machine = try Machine(rows: loaded.tickets.lazy.map { (id: $0.id, record: $0.record) })
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
                                machine: Machine(), wasRecovering: true)
        }
        let node = RaftNode(configuration: raftConfiguration, persisted: loaded.persistent, applied: loaded.appliedIndex)
        return GroupReplica(node: node, machine: machine, durableApplied: loaded.appliedIndex)
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
            self.campaignWhereAlone()
            self.scheduleTick()
            self.pump()
        }
    }

    /// A group whose only voter is this node (a cluster of one) needs no election timeout to pass
    /// before it leads: it campaigns at once and wins with its own vote.
    private func campaignWhereAlone() {
        for index in groups.indices where groups[index].halted == nil && groups[index].node.role != .leader
            && groups[index].node.conf.voters == [configuration.nodeID] && groups[index].node.conf.learners.isEmpty {
            groups[index].node.campaign()
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

    // The loop's entry points are pre-specialized for the machines the node runs: the host is
    // generic, and without this the whole turn (dictionaries of waiting proposals, applies, row
    // changes) would run through witness tables at every entry.
    @_specialize(where Machine == ShardStateMachine)
    @_specialize(where Machine == TicketShardMachine)
    private func onTick() {
        guard !stopped else { return }
        for index in groups.indices where groups[index].halted == nil { groups[index].node.tick() }
        expireProposals(now: Date())
        pump()
        scheduleTick()
    }

    /// One turn: everything the inbox holds, then every group's Ready.
    @_specialize(where Machine == ShardStateMachine)
    @_specialize(where Machine == TicketShardMachine)
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
        for envelope in work.messages where envelope.group < groups.count && groups[Int(envelope.group)].halted == nil {
            // A snapshot whose image does not decode is dropped before the core adopts it:
            // the leader sends another, and a forged one cannot take the node down.
            if let snapshot = envelope.message.snapshot, (try? Machine(snapshot: snapshot.data)) == nil {
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

    private func admit(_ proposal: Inbox.Proposal) {
        let group = Int(proposal.group)
        if let halted = groups[group].halted { return proposal.continuation.resume(throwing: ReplicationError.halted(UInt32(group), halted)) }
        do {
            let index = try groups[group].node.propose(proposal.data)
            let deadline = Date().addingTimeInterval(TimeInterval(configuration.proposalTimeoutMilliseconds) / 1000)
            groups[group].waiting[index] = Waiting(term: groups[group].node.term, waiter: .command(proposal.continuation), deadline: deadline,
                                                   admitted: .now)
        } catch {
            metrics.refused.increment()
            proposal.continuation.resume(throwing: ReplicationError(code: error.code, message: error.message, leaderHint: error.leaderHint))
        }
    }

    /// Proposes a membership change of one group (leader only); answered once it is applied.
    private func admit(_ change: Inbox.Membership) {
        let group = Int(change.group)
        do {
            if let halted = groups[group].halted { throw ReplicationError.halted(UInt32(group), halted) }
            guard configuration.peers[change.change.node] != nil else {
                throw ReplicationError(code: "unknown_node", message: "node \(change.change.node) is not in replication.peers")
            }
            let index = try groups[group].node.proposeConfChange(change.change)
            let deadline = Date().addingTimeInterval(TimeInterval(configuration.proposalTimeoutMilliseconds) / 1000)
            groups[group].waiting[index] = Waiting(term: groups[group].node.term, waiter: .membership(change.continuation), deadline: deadline,
                                                   admitted: .now)
        } catch let error as RaftError {
            change.continuation.resume(throwing: ReplicationError(code: error.code, message: error.message, leaderHint: error.leaderHint))
        } catch {
            change.continuation.resume(throwing: error)
        }
    }

    /// Starts a leadership transfer in every group this node leads; returns how many started.
    private func startDrain() -> Int {
        var started = 0
        for group in groups.indices where groups[group].node.role == .leader && groups[group].halted == nil {
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

    private func admit(_ read: Inbox.Read) {
        let group = Int(read.group)
        if let halted = groups[group].halted { return read.fail(ReplicationError.halted(UInt32(group), halted)) }
        if read.local {
            if read.atLeast > groups[group].node.appliedIndex {
                groups[group].confirmedReads.append((read.atLeast, read))
            } else {
                deliver(read, group: group)
            }
            return
        }
        let id = nextReadID
        nextReadID += 1
        do {
            try groups[group].node.readIndex(requestID: id)
            groups[group].reads[id] = read
        } catch {
            read.fail(ReplicationError(code: error.code, message: error.message, leaderHint: error.leaderHint))
        }
    }

    /// One pass over every group's Ready: leaders' appends go out now; committed entries are
    /// applied and their proposals answered now (they are on a majority's disks); the rest is a
    /// write job for the writer thread, whose messages leave only once it is durable.
    private func turn() {
        var readies: [(group: Int, ready: RaftReady)] = []
        for index in groups.indices where groups[index].halted == nil && groups[index].node.hasReady {
            readies.append((index, groups[index].node.ready()))
        }

        // A leader may send its appends before its own write (Raft thesis §10.2.1): its own copy
        // only counts towards a quorum after `advance`. Everything else waits for the disk.
        var early: [RaftNodeID: [RaftEnvelope]] = [:]
        var job = ReplicationWriteJob<Machine>()
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
        if !feedEvents.isEmpty {
            let events = feedEvents
            feedEvents.removeAll(keepingCapacity: true)
            feed.withLockedValue { $0 }?(events)
        }
        // After the applies: every machine is at its core's applied index now.
        for group in groups.indices where groups[group].halted == nil {
            if let compaction = maybeSnapshot(group: group) { job.compactions.append(compaction) }
        }
        guard !readies.isEmpty || !job.compactions.isEmpty else { return }
        job.readies = readies
        writer.submit(job)
    }

    /// A write job is durable: its messages may go, and its Readies are done.
    private func completeWrite(_ job: ReplicationWriteJob<Machine>) {
        flush(job.late)
        for apply in job.applies {
            let group = Int(apply.group)
            groups[group].durableApplied = max(groups[group].durableApplied, apply.appliedIndex)
            guard !groups[group].durableReads.isEmpty else { continue }
            let durable = groups[group].durableApplied
            let (ready, waiting) = groups[group].durableReads.reduce(into: ([Inbox.Read](), [(index: UInt64, read: Inbox.Read)]())) { parts, pending in
                if pending.index <= durable { parts.0.append(pending.read) } else { parts.1.append(pending) }
            }
            groups[group].durableReads = waiting
            for read in ready { read.perform(groups[group].machine, groups[group].node.appliedIndex) }
        }
        for (group, ready) in job.readies where groups[group].halted == nil {
            groups[group].node.advance(ready)
        }
        for compaction in job.compactions {
            let group = Int(compaction.group)
            if compaction.image != nil { groups[group].imagePending = false }
            groups[group].node.compact(compaction.metadata, image: compaction.image)
        }
    }

    /// Applies the Ready's snapshot and committed entries to the in-memory state machine, answers
    /// the proposals they complete, and returns the rows to write in the same transaction. An
    /// entry that does not decode halts the group right before it (see `GroupReplica.halted`).
    private func applyCommitted(group: Int, ready: RaftReady) -> AppliedRows<Machine>? {
        var changes: [Machine.RowChange] = []
        var appliedIndex: UInt64?
        var replaceAll = false
        if let snapshot = ready.snapshot {
            do {
                groups[group].machine = try Machine(snapshot: snapshot.data)
            } catch {
                logger.critical("snapshot from the leader does not decode", metadata: ["group": "\(group)"])
                fatalError("undecodable snapshot for group \(group): \(error)")
            }
            replaceAll = true
            changes = groups[group].machine.allRows()
            appliedIndex = snapshot.metadata.index
            feedEvents.append(.replaced(group: UInt32(group)))
        }
        var results: [Machine.Result] = []
        defer { if !results.isEmpty { feedEvents.append(.applied(group: UInt32(group), results: results)) } }
        for entry in ready.committedEntries {
            var result: Machine.Result?
            switch entry.kind {
            case .configChange:
                if let change = RaftConfChange(encoded: entry.data) {
                    groups[group].node.applyConfChange(change)
                }
            case .normal:
                guard !entry.data.isEmpty else { break }
                do {
                    let command = try Machine.decode(entry.data)
                    result = groups[group].machine.apply(command)
                    results.append(result!)
                    changes += groups[group].machine.rows(touchedBy: command)
                } catch {
                    halt(group: group, at: entry, error)
                    break
                }
            }
            if groups[group].halted != nil { break }
            appliedIndex = entry.index
            groups[group].appliedSinceSnapshot += 1
            if let waiting = groups[group].waiting.removeValue(forKey: entry.index) {
                answer(waiting, entry: entry, result: result)
            }
        }
        guard let appliedIndex else { return nil }
        return AppliedRows(group: UInt32(group), appliedIndex: appliedIndex, replaceAll: replaceAll, changes: changes)
    }

    private func answer(_ waiting: Waiting, entry: RaftEntry, result: Machine.Result?) {
        guard waiting.term == entry.term else {
            metrics.unknown.increment()
            return waiting.waiter.fail(ReplicationError.outcomeUnknown)
        }
        switch (waiting.waiter, entry.kind, result) {
        case (.command(let completion), .normal, let result?):
            metrics.committed.increment()
            let elapsed = (ContinuousClock.now - waiting.admitted).components
            metrics.proposalLatency.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
            completion.resume(returning: ReplicatedOutcome(index: entry.index, result: result))
        case (.membership(let continuation), .configChange, _):
            continuation.resume(returning: entry.index)
        default:
            // Another entry took the index the caller was given (a new leader's log won).
            metrics.unknown.increment()
            waiting.waiter.fail(ReplicationError.outcomeUnknown)
        }
    }

    /// Stops the group before `entry`: it is neither applied nor skipped. Everyone waiting on the
    /// group learns why; operators see it in the status and the log.
    private func halt(group: Int, at entry: RaftEntry, _ error: any Error) {
        let reason = "entry \(entry.index) (term \(entry.term)) does not decode: \(error)"
        groups[group].halted = reason
        metrics.halted.increment()
        logger.critical("raft group halted: a committed entry this build cannot decode; upgrade the node to resume",
                        metadata: ["group": "\(group)", "index": "\(entry.index)", "error": "\(error)"])
        // Published before anyone waiting learns of it, so a caller that just failed sees why.
        publishStatus(force: true)
        failWaiting(group: group, ReplicationError.halted(UInt32(group), reason))
    }

    /// Performs a read whose index is applied: now, or once the rows are durable at the applied
    /// index when it asks for durability.
    private func deliver(_ read: Inbox.Read, group: Int) {
        let applied = groups[group].node.appliedIndex
        if read.durable && groups[group].durableApplied < applied {
            groups[group].durableReads.append((applied, read))
        } else {
            read.perform(groups[group].machine, applied)
        }
    }

    private func answerReads(group: Int) {
        guard !groups[group].confirmedReads.isEmpty else { return }
        let applied = groups[group].node.appliedIndex
        var remaining: [(index: UInt64, read: Inbox.Read)] = []
        for pending in groups[group].confirmedReads {
            if pending.index <= applied {
                deliver(pending.read, group: group)
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
    private func maybeSnapshot(group: Int) -> Compaction<Machine>? {
        guard !groups[group].imagePending, groups[group].node.appliedIndex > 0 else { return nil }
        let wantsImage = groups[group].node.wantsSnapshotImage && groups[group].node.role == .leader
        guard wantsImage || (snapshotPolicy.isDue(appliedSinceSnapshot: groups[group].appliedSinceSnapshot)
            && !groups[group].node.isSendingSnapshot) else { return nil }
        groups[group].appliedSinceSnapshot = 0
        groups[group].imagePending = wantsImage
        metrics.snapshots.increment()
        if wantsImage { metrics.snapshotImages.increment() }
        return Compaction(group: UInt32(group), metadata: groups[group].node.snapshotMetadataAtApplied,
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
                waiting.waiter.fail(ReplicationError.outcomeUnknown)
            }
        }
    }

    private func failWaiting(group: Int, _ error: ReplicationError) {
        for waiting in groups[group].waiting.values {
            metrics.unknown.increment()
            waiting.waiter.fail(error)
        }
        groups[group].waiting.removeAll()
        for read in groups[group].reads.values { read.fail(error) }
        groups[group].reads.removeAll()
        for pending in groups[group].confirmedReads { pending.read.fail(error) }
        groups[group].confirmedReads.removeAll()
        for pending in groups[group].durableReads { pending.read.fail(error) }
        groups[group].durableReads.removeAll()
    }

    private func failEverything(_ error: ReplicationError) {
        for group in groups.indices { failWaiting(group: group, error) }
        // Callers that raced with the stop are still in the inbox.
        let late = inbox.takeAll()
        for proposal in late.proposals { proposal.continuation.resume(throwing: error) }
        for read in late.reads { read.fail(error) }
        for drain in late.drains { drain.continuation.resume(throwing: error) }
        for change in late.memberships { change.continuation.resume(throwing: error) }
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
                                   learners: replica.node.conf.learners, recovering: replica.node.recovering,
                                   halted: replica.halted)
        }
        published.withLockedValue { $0 = snapshot }
        for (role, gauge) in metrics.groupsByRole { gauge.record(snapshot.filter { $0.role == role }.count) }
        metrics.groupsWithoutLeader.record(snapshot.filter { $0.leader == 0 }.count)
    }
}
