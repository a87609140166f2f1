import RingdeskRaft

/// The fault injector and the operator: partitions, crashes, skewed clocks, membership changes,
/// leadership transfers. Acts once per step, before the step's events run.
extension RaftSimulationWorld {
    func control() {
        retireRemovedReplicas()
        if options.unsafeDriver == .acknowledgeBeforeSync, (now / Self.stepMicros) % 5 == 0 {
            for index in replicas.indices where replicas[index].isUp { replicas[index].syncedDisk = replicas[index].disk }
        }
        if faultsEnabled {
            if let end = partitionEndsAt, end <= now { heal() }
            for index in replicas.indices {
                if let at = replicas[index].restartAt, at <= now { restart(index) }
                if stopped { return }
            }
            injectFaults()
            if stopped { return }
        }
        clientStep()
    }

    private func injectFaults() {
        if profile.partitionRate > 0, partitionEndsAt == nil, random.unit() < profile.partitionRate { partition() }
        if profile.crashRate > 0, random.unit() < profile.crashRate { crashSomeone() }
        if profile.clockSkew, random.unit() < 0.01 {
            let index = random.below(replicas.count)
            replicas[index].tickPeriod = drawTickPeriod()
        }
        if profile.membershipRate > 0, random.unit() < profile.membershipRate { changeMembership() }
        if profile.transferRate > 0, random.unit() < profile.transferRate { transfer() }
    }

    var liveMembers: [Int] {
        replicas.indices.filter { replicas[$0].isUp && !replicas[$0].decommissioned }
    }

    // MARK: Partitions

    private func partition() {
        let nodes = replicas.indices.filter { !replicas[$0].decommissioned }
        guard nodes.count >= 2 else { return }
        var shuffled = nodes
        shuffled.shuffle(using: &random)
        let shape = random.below(4)
        switch shape {
        case 0:
            // Halves (as even as the count allows).
            let cut = max(1, shuffled.count / 2)
            block(Array(shuffled[..<cut]), Array(shuffled[cut...]))
        case 1:
            // A bridge: two sides that cannot talk, and one node that talks to both.
            guard shuffled.count >= 3 else { return partitionIsolate(shuffled[0]) }
            let bridge = shuffled.removeLast()
            let cut = max(1, shuffled.count / 2)
            block(Array(shuffled[..<cut]), Array(shuffled[cut...]))
            trace(.bridge, node: replicas[bridge].id, 0, 0, 0, 0)
        case 2:
            partitionIsolate(currentLeader ?? shuffled[0])
        default:
            // One direction of one link.
            let from = shuffled[0], to = shuffled[1]
            blocked[from][to] = true
        }
        report.partitions += 1
        partitionEndsAt = now + random.between(100_000, 1_500_000)
        trace(.partition, node: 0, UInt64(shape), blockedMask(), 0, 0)
    }

    private func partitionIsolate(_ node: Int) {
        let others = replicas.indices.filter { $0 != node }
        block([node], others)
    }

    private func block(_ left: [Int], _ right: [Int]) {
        for a in left {
            for b in right {
                blocked[a][b] = true
                blocked[b][a] = true
            }
        }
    }

    private func blockedMask() -> UInt64 {
        var mask: UInt64 = 0
        for a in blocked.indices {
            for b in blocked[a].indices where blocked[a][b] && a * blocked.count + b < 64 {
                mask |= 1 << UInt64(a * blocked.count + b)
            }
        }
        return mask
    }

    func heal() {
        for a in blocked.indices {
            for b in blocked[a].indices { blocked[a][b] = false }
        }
        if partitionEndsAt != nil { trace(.heal, node: 0, 0, 0, 0, 0) }
        partitionEndsAt = nil
    }

    // MARK: Crashes

    private func crashSomeone() {
        let live = liveMembers
        guard !live.isEmpty else { return }
        let down = replicas.indices.filter { !replicas[$0].isUp && !replicas[$0].decommissioned }.count
        // Usually keep a majority up; now and then take down more than the group can bear.
        let allowed = random.below(10) == 0 ? replicas.count : max(0, (live.count + down - 1) / 2)
        guard down < allowed else { return }
        let victim = live[random.below(live.count)]
        if profile.corruptionShare > 0, random.unit() < profile.corruptionShare, pendingRemovals.isEmpty, !confChangeInFlight,
           replicas.indices.allSatisfy({ $0 == victim || replicas[$0].decommissioned
               || (replicas[$0].isUp && replicas[$0].node?.recovering == false && !replicas[$0].corruptOnRestart) }) {
            // Only one replica at a time loses its storage: a group cannot survive a majority losing it.
            replicas[victim].corruptOnRestart = true
        }
        if random.below(2) == 0 {
            crash(victim, inReady: false)
        } else {
            // Crash inside the next Ready: before its write, after it, or after sending.
            replicas[victim].pendingCrash = RaftSimCrashStage.allCases[random.below(RaftSimCrashStage.allCases.count)]
        }
    }

    // MARK: Membership and leadership

    /// Some replica rebuilds after corruption (in memory, or on disk after a crash).
    var anyRecovering: Bool {
        replicas.contains { !$0.decommissioned && ($0.disk.recovering || $0.node?.recovering == true || $0.corruptOnRestart) }
    }

    /// Live replicas disagree on the membership (a change is not applied everywhere yet).
    var confChangeInFlight: Bool {
        let confs = replicas.compactMap { $0.decommissioned ? nil : $0.node?.conf }.filter { !$0.voters.isEmpty }
        return confs.contains { $0 != confs.first }
    }

    private func changeMembership() {
        guard let leaderIndex = currentLeader, let leader = replicas[leaderIndex].node else { return }
        // The operator does not change membership while a replica rebuilds after corruption: with
        // one voter unable to vote and another leaving, a group can lose its majority for good.
        guard !anyRecovering, pendingRemovals.isEmpty else { return }
        let conf = leader.conf
        var change: RaftConfChange?
        if let learner = conf.learners.first {
            // Promote a learner once it holds what the leader committed.
            let index = Int(learner) - 1
            if index < replicas.count, let node = replicas[index].node, node.lastIndex >= leader.commitIndex {
                change = RaftConfChange(.promote, node: learner)
            }
        } else if conf.voters.count > initialCount || (conf.voters.count > 3 && random.below(3) == 0) {
            // Remove a voter (sometimes the leader itself).
            let voter = random.below(5) == 0 ? leader.id : conf.voters[random.below(conf.voters.count)]
            change = RaftConfChange(.remove, node: voter)
        } else if let spare = spareReplica(notIn: conf) {
            change = RaftConfChange(.addLearner, node: RaftNodeID(spare + 1))
        }
        guard let change else { return }
        do {
            try replicas[leaderIndex].node!.proposeConfChange(change)
        } catch {
            return
        }
        trace(.proposeConfChange, node: leader.id, UInt64(change.kind.rawValue), change.node, 0, 0)
        afterEvent(leaderIndex)
    }

    /// A replica that could join: an existing one outside the configuration, or a new one.
    private func spareReplica(notIn conf: RaftConfState) -> Int? {
        for index in replicas.indices where !replicas[index].decommissioned && !conf.contains(replicas[index].id)
            && replicas[index].isUp && replicas[index].disk.hardState == RaftHardState() && replicas[index].disk.snapshot == nil {
            return index
        }
        guard replicas.count < maxReplicas else { return nil }
        let index = replicas.count
        // A joining replica starts empty; the leader sends it the log or a snapshot.
        spawn(index, initialConf: RaftConfState(voters: []))
        return index
    }

    private func transfer() {
        guard let leaderIndex = currentLeader, let leader = replicas[leaderIndex].node else { return }
        let others = leader.conf.voters.filter { $0 != leader.id }
        guard !others.isEmpty else { return }
        let target = others[random.below(others.count)]
        do {
            try replicas[leaderIndex].node!.transferLeadership(to: target)
        } catch {
            return
        }
        report.transfers += 1
        trace(.transfer, node: leader.id, target, 0, 0, 0)
        afterEvent(leaderIndex)
    }
}
