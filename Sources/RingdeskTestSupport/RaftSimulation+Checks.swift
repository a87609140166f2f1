import RingdeskRaft
import RingdeskShard

/// The checkers: the ones that run as the simulation goes, and the final ones.
extension RaftSimulationWorld {
    func violation(_ check: String, _ detail: String) {
        guard !stopped else { return }
        report.violations.append(RaftSimulationReport.Violation(check: check, detail: detail, time: virtualMilliseconds))
        report.trace = formattedTrace()
        stopped = true
    }

    /// Log matching, checked on every durable write: an (index, term) pair names one entry, with
    /// one predecessor term, on every replica and at every moment. By induction two logs that
    /// agree on (index, term) hold the same prefix up to there.
    func checkLogMatching(_ entry: RaftEntry, previousTerm: UInt64, replica index: Int) {
        let key = RaftSimIndexTerm(index: entry.index, term: entry.term)
        let hash = Self.hash(entry.data) ^ UInt64(entry.kind.rawValue) << 56
        if let known = entryRegistry[key] {
            if known.hash != hash {
                violation("log_matching", "replica \(index + 1) persisted a different entry at index \(entry.index) term \(entry.term)")
            } else if known.previousTerm != previousTerm && previousTerm != 0 && known.previousTerm != 0 {
                violation("log_matching", "replica \(index + 1) holds entry \(entry.index)/t\(entry.term) after term \(previousTerm), "
                              + "another replica after term \(known.previousTerm)")
            }
        } else {
            entryRegistry[key] = (hash, previousTerm)
        }
        if entry.term > (replicas[index].node?.term ?? entry.term) {
            violation("log_matching", "replica \(index + 1) persisted entry \(entry.index) of term \(entry.term) above its own term")
        }
    }

    /// State-machine safety: every replica applies the same entry, computes the same result and
    /// reaches the same digest at each index.
    func recordApplied(_ index: Int, _ entry: RaftEntry, command: ShardCommand?, result: ShardResult?) {
        let slot = Int(entry.index)
        let record = RaftSimApplied(term: entry.term, kind: entry.kind, dataHash: Self.hash(entry.data), command: command,
                                    result: result, digest: replicas[index].disk.machine.digest)
        while appliedLog.count <= slot { appliedLog.append(nil) }
        guard let known = appliedLog[slot] else {
            appliedLog[slot] = record
            if let committed = commitTerms.count > slot ? commitTerms[slot] : nil, committed.entryTerm != entry.term {
                violation("state_machine_safety", "replica \(index + 1) applied index \(slot) of term \(entry.term), "
                              + "but the leader committed term \(committed.entryTerm) there")
            }
            return
        }
        if known.term != entry.term || known.dataHash != record.dataHash || known.kind != entry.kind {
            violation("state_machine_safety", "replica \(index + 1) applied a different entry at index \(slot) "
                          + "(term \(entry.term) vs \(known.term))")
        } else if known.result != result {
            violation("state_machine_safety", "replica \(index + 1) computed \(result.map { "\($0)" } ?? "nothing") at index \(slot), "
                          + "another replica \(known.result.map { "\($0)" } ?? "nothing")")
        } else if known.digest != record.digest {
            violation("state_machine_safety", "replica \(index + 1) reached a different state-machine digest at index \(slot)")
        }
    }

    /// A restored snapshot must equal the state every replica had at that index.
    func checkSnapshotDigest(_ index: Int, at logIndex: UInt64) {
        let slot = Int(logIndex)
        guard slot < appliedLog.count, let known = appliedLog[slot] else { return }
        if known.digest != replicas[index].disk.machine.digest {
            violation("state_machine_safety", "replica \(index + 1) installed a snapshot at \(logIndex) whose state differs from what "
                          + "the replicas applied there")
        }
    }

    /// Election safety and leader completeness, when a replica has just become leader (before its
    /// first Ready: its log is its disk plus the new term's empty entry).
    func becameLeader(_ index: Int) {
        let node = replicas[index].node!
        report.elections += 1
        everLed.insert(node.id)
        trace(.leader, node: node.id, node.term, node.lastIndex, node.commitIndex, 0)
        if let other = leaderOfTerm[node.term], other != node.id {
            violation("election_safety", "replicas \(other) and \(node.id) both led term \(node.term)")
            return
        }
        leaderOfTerm[node.term] = node.id
        checkCompleteness(index, term: node.term, upTo: UInt64(commitTerms.count - 1))
    }

    /// Every entry committed in an earlier term is in the log of the leader of `term`.
    func checkCompleteness(_ index: Int, term: UInt64, upTo last: UInt64, from first: UInt64 = 1) {
        let disk = replicas[index].disk
        guard first <= last else { return }
        for logIndex in first...last {
            let committed = commitTerms[Int(logIndex)]
            guard committed.commitTerm < term, logIndex > disk.snapshotIndex else { continue }
            if disk.term(at: logIndex) != committed.entryTerm {
                violation("leader_completeness", "replica \(index + 1) leads term \(term) without entry \(logIndex) "
                              + "(term \(committed.entryTerm)) committed in term \(committed.commitTerm); its log has "
                              + "\(disk.term(at: logIndex).map { "term \($0)" } ?? "nothing") there, last index \(disk.lastIndex)")
                return
            }
        }
    }

    /// Records what is committed (and in which term), and checks it against every current leader
    /// of a later term. A leader's commit index is committed in its term; a follower only learns
    /// commit indexes from a leader of its term or earlier, so its term bounds the commit term from
    /// above (checking fewer leaders than the exact term would, never wrongly). Observing followers
    /// too matters: a leader may crash right after committing and telling them.
    func observeCommit(_ index: Int) {
        let node = replicas[index].node!
        let known = UInt64(commitTerms.count - 1)
        guard node.commitIndex > known else { return }
        let disk = replicas[index].disk
        for logIndex in (known + 1)...node.commitIndex {
            var entryTerm = disk.term(at: logIndex)
            if entryTerm == nil, logIndex < disk.snapshotIndex, Int(logIndex) < appliedLog.count {
                // Compacted here; whoever applied it recorded its term.
                entryTerm = appliedLog[Int(logIndex)]?.term
            }
            guard let term = entryTerm else {
                violation("driver", "replica \(node.id) committed \(logIndex), which is neither on its disk (last \(disk.lastIndex), "
                              + "snapshot \(disk.snapshotIndex)) nor applied anywhere")
                return
            }
            commitTerms.append((node.term, term))
            if logIndex < appliedLog.count, let applied = appliedLog[Int(logIndex)], applied.term != term {
                violation("state_machine_safety", "index \(logIndex) was applied with term \(applied.term) before replica \(node.id) "
                              + "committed term \(term) there")
                return
            }
        }
        trace(.commit, node: node.id, node.term, node.commitIndex, 0, 0)
        for other in replicas.indices where other != index {
            guard let leader = replicas[other].node, leader.role == .leader, leader.term > node.term else { continue }
            checkCompleteness(other, term: leader.term, upTo: node.commitIndex, from: known + 1)
        }
    }

    // MARK: The end

    /// Heals the network, restarts every crashed replica and runs without faults until every
    /// member has applied the leader's last entry (bounded).
    func converge() {
        faultsEnabled = false
        heal()
        for index in replicas.indices { replicas[index].pendingCrash = nil }
        for step in 0..<options.convergenceSteps {
            for index in replicas.indices where !replicas[index].isUp && !replicas[index].decommissioned {
                restart(index)
                if stopped { return }
            }
            retireRemovedReplicas()
            if step % 10 == 0, isConverged() {
                report.convergedAtStep = step
                return
            }
            process(until: now + Self.stepMicros)
            if stopped { return }
        }
        if isConverged() { return }
        let leader = currentLeader.map { "leader \(replicas[$0].id) term \(replicas[$0].node!.term) commit \(replicas[$0].node!.commitIndex) last \(replicas[$0].node!.lastIndex)" } ?? "no leader"
        let states = replicas.filter { !$0.decommissioned }.map { replica in
            "\(replica.id):\(replica.node.map { "\($0.role.rawValue)/t\($0.term)/c\($0.commitIndex)/l\($0.lastIndex)/a\(replica.disk.applied)/v\($0.conf.voters)" } ?? "down")"
        }
        violation("convergence", "the healed group did not converge within \(options.convergenceSteps) steps: \(leader); \(states.joined(separator: " "))")
    }

    /// Members of the leader's configuration, or nil while there is no settled leader.
    func finalMembers() -> (leader: Int, members: [Int])? {
        guard let leaderIndex = currentLeader, let leader = replicas[leaderIndex].node else { return nil }
        let members = (leader.conf.voters + leader.conf.learners).map { Int($0) - 1 }
        guard members.allSatisfy({ $0 >= 0 && $0 < replicas.count }) else { return nil }
        return (leaderIndex, members)
    }

    func isConverged() -> Bool {
        guard let (leaderIndex, members) = finalMembers() else { return false }
        let leader = replicas[leaderIndex].node!
        guard leader.commitIndex == leader.lastIndex, replicas[leaderIndex].disk.applied == leader.commitIndex,
              leader.conf.voters.contains(leader.id) else { return false }
        for member in members {
            guard !replicas[member].decommissioned, let node = replicas[member].node,
                  node.commitIndex == leader.commitIndex, node.lastIndex == leader.lastIndex,
                  replicas[member].disk.applied == leader.commitIndex, node.conf == leader.conf,
                  node.term == leader.term else { return false }
        }
        return true
    }

    func finalChecks() {
        guard let (leaderIndex, members) = finalMembers() else {
            violation("convergence", "no leader at the end")
            return
        }
        let leader = replicas[leaderIndex]
        let commit = leader.node!.commitIndex
        // Equal state everywhere, and equal to what was recorded at that index.
        let expected = leader.disk.machine.digest
        for member in members where replicas[member].disk.machine.digest != expected {
            violation("digest_mismatch", "replica \(replicas[member].id) ends with a different state than leader \(leader.id)")
            return
        }
        if Int(commit) < appliedLog.count, let record = appliedLog[Int(commit)], record.digest != expected {
            violation("digest_mismatch", "the final state differs from the one recorded at index \(commit)")
            return
        }
        let finalSnapshot = leader.disk.machine.snapshot()
        if (try? ShardStateMachine(snapshot: finalSnapshot))?.digest != expected {
            violation("digest_mismatch", "the final state does not survive a snapshot round trip")
            return
        }
        // Every acknowledged command is in the committed log, once, at the index it was acknowledged at.
        for ack in clients.acknowledged {
            guard ack.index <= commit, Int(ack.index) < appliedLog.count, let record = appliedLog[Int(ack.index)],
                  record.term == ack.term, record.command == ack.command else {
                violation("acknowledged_lost", "acknowledged \(ack.command) at \(ack.index)/t\(ack.term) is not in the committed log")
                return
            }
            if record.result != ack.result {
                violation("claims_linearizable", "acknowledged \(ack.command) answered \(ack.result) but the replicas computed "
                              + "\(record.result.map { "\($0)" } ?? "nothing")")
                return
            }
        }
        checkExactlyOnce(leader.disk.machine)
        if !stopped { checkClaims(upTo: commit, final: leader.disk.machine) }
    }

    /// A create retried with the same idempotency key made one ticket, the one every acknowledgement named.
    func checkExactlyOnce(_ machine: ShardStateMachine) {
        for create in clients.creates {
            guard let key = create.key else { continue }
            let ticketID = machine.idempotencyKeys[key]
            if let acked = create.ackedTicket {
                guard ticketID == acked, machine.tickets[acked] != nil else {
                    violation("exactly_once", "create with key \(key) was acknowledged as \(acked) but the shard maps it to "
                                  + "\(ticketID ?? "nothing")")
                    return
                }
            }
            let attemptIDs = Set((0..<create.attempts).map { RaftSimClients.ticketID(create.number, attempt: $0) })
            let made = attemptIDs.filter { machine.tickets[$0] != nil }
            if made.count > 1 {
                violation("exactly_once", "create with key \(key) made \(made.count) tickets: \(made.sorted())")
                return
            }
        }
    }

    /// Replays the committed log through a minimal reference model of claims: per ticket, epochs
    /// strictly increase, one holder per epoch, and every result is what the fencing rules allow.
    func checkClaims(upTo commit: UInt64, final machine: ShardStateMachine) {
        struct Model {
            var epoch: UInt64 = 0
            var holder: String?
            var queued = true
            var leaseUntil: Int64 = 0
        }
        var models: [String: Model] = [:]
        guard commit >= 1 else { return }
        for logIndex in 1...commit {
            guard Int(logIndex) < appliedLog.count, let record = appliedLog[Int(logIndex)] else {
                violation("claims_linearizable", "committed index \(logIndex) was never applied by anyone")
                return
            }
            guard let command = record.command, let result = record.result else { continue }
            let id = command.ticketID
            var model = models[id]
            var ok = true
            switch (command, result) {
            case (.create, .created(let created)):
                ok = created == id && model == nil
                model = Model()
            case (.create, _):
                break
            case let (.claim(_, agent, expected, until), .claimed(epoch)):
                ok = model != nil && model!.epoch == expected && model!.queued && model!.holder == nil && epoch == expected + 1
                model?.epoch = epoch
                model?.holder = agent
                model?.queued = false
                model?.leaseUntil = until
            case let (.claim(_, _, expected, _), .rejected):
                ok = !(model != nil && model!.epoch == expected && model!.queued)
            case let (.renew(_, agent, epoch, until), .renewed(renewed, _)):
                ok = model != nil && model!.epoch == epoch && renewed == epoch && model!.holder == agent
                if let current = model?.leaseUntil { model?.leaseUntil = max(current, until) }
            case let (.renew(_, agent, epoch, _), .rejected):
                ok = !(model != nil && model!.epoch == epoch && model!.holder == agent)
            case let (.expire(_, epoch, at), .expired(next)):
                ok = model != nil && model!.epoch == epoch && model!.holder != nil && model!.leaseUntil <= at && next == epoch + 1
                model?.epoch = next
                model?.holder = nil
                model?.queued = true
            case let (.expire(_, epoch, at), .rejected):
                ok = !(model != nil && model!.epoch == epoch && model!.holder != nil && model!.leaseUntil <= at)
            case let (.requeue(_, epoch), .requeued(next)):
                ok = model != nil && model!.epoch == epoch && model!.holder != nil && next == epoch + 1
                model?.epoch = next
                model?.holder = nil
                model?.queued = true
            case let (.event(_, epoch, _), .updated(status, next)):
                ok = model != nil && model!.epoch == epoch && next == epoch + 1
                model?.epoch = next
                model?.holder = nil
                model?.queued = status == .queued
            case (.event, .rejected), (.requeue, .rejected):
                break
            default:
                ok = false
            }
            if !ok {
                violation("claims_linearizable", "index \(logIndex): \(command) → \(result) contradicts the ticket's history "
                              + "(epoch \(model?.epoch ?? 0), holder \(model?.holder ?? "none"))")
                return
            }
            models[id] = model
        }
        for id in models.keys.sorted() {
            let model = models[id]!
            guard let ticket = machine.tickets[id], ticket.epoch == model.epoch, ticket.holder == model.holder else {
                violation("claims_linearizable", "ticket \(id) ends at epoch \(machine.tickets[id]?.epoch ?? 0) held by "
                              + "\(machine.tickets[id]?.holder ?? "none"); its history says epoch \(model.epoch) held by \(model.holder ?? "none")")
                return
            }
        }
    }
}
