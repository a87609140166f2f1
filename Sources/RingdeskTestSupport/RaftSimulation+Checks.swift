import RingdeskRaft

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
    func recordApplied(_ index: Int, _ entry: RaftEntry, command: Machine.Command?, result: Machine.Result?) {
        let slot = Int(entry.index)
        let record = RaftSimApplied(term: entry.term, kind: entry.kind, dataHash: Self.hash(entry.data), command: command,
                                    result: result, digest: Workload.digest(replicas[index].disk.machine))
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
        if known.digest != Workload.digest(replicas[index].disk.machine) {
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
        let expected = Workload.digest(leader.disk.machine)
        for member in members where Workload.digest(replicas[member].disk.machine) != expected {
            violation("digest_mismatch", "replica \(replicas[member].id) ends with a different state than leader \(leader.id)")
            return
        }
        if Int(commit) < appliedLog.count, let record = appliedLog[Int(commit)], record.digest != expected {
            violation("digest_mismatch", "the final state differs from the one recorded at index \(commit)")
            return
        }
        let finalSnapshot = leader.disk.machine.snapshot()
        if (try? Machine(snapshot: finalSnapshot)).map(Workload.digest) != expected {
            violation("digest_mismatch", "the final state does not survive a snapshot round trip")
            return
        }
        for member in members where replicas[member].disk.machine.snapshot() != finalSnapshot {
            violation("digest_mismatch", "replica \(replicas[member].id) ends with other snapshot bytes than leader \(leader.id)")
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
        if !stopped { Workload.checkLog(self, upTo: commit, final: leader.disk.machine) }
    }

    /// A create retried with the same idempotency key made one ticket, the one every acknowledgement named.
    func checkExactlyOnce(_ machine: Machine) {
        for create in clients.creates {
            guard let key = create.key else { continue }
            let ticketID = Workload.ticketID(forKey: key, in: machine)
            if let acked = create.ackedTicket {
                guard ticketID == acked, Workload.hasTicket(acked, in: machine) else {
                    violation("exactly_once", "create with key \(key) was acknowledged as \(acked) but the shard maps it to "
                                  + "\(ticketID ?? "nothing")")
                    return
                }
            }
            let attemptIDs = Set((0..<create.attempts).map { RaftSimClientRules.ticketID(create.number, attempt: $0) })
            let made = attemptIDs.filter { Workload.hasTicket($0, in: machine) }
            if made.count > 1 {
                violation("exactly_once", "create with key \(key) made \(made.count) tickets: \(made.sorted())")
                return
            }
        }
    }
}
