import Foundation
import RingdeskDomain

extension RoutingEngine {
    /// Matches what changed since the last pass, so a decision never rescans agents or queues
    /// that had nothing for each other: first agents that gained room (longest idle first), each
    /// taking its best queue head; then queues whose head changed, arrived or relaxed (highest
    /// priority first), each head going to its best free agent. When more agents gained room
    /// than there are queue heads, tickets choose: every head goes to its best free agent.
    mutating func match(now: Double, into actions: inout [RoutingAction]) {
        while let due = relaxationTimers.popDue(at: now, in: slots) {
            let record = slots[Int(due.slot)]
            let queue = queues[Int(record.signature)]
            guard case .queued = record.state,
                  queue.peekLive(in: slots)?.slot == due.slot || queue.heap.min?.slot == due.slot else { continue }
            dirtySignatures.insert(record.signature)
            scheduleRelaxation(slot: due.slot, after: now)
        }
        while let due = reserveTimers.popDue(at: now, in: slots) {
            let record = slots[Int(due.slot)]
            guard case .queued = record.state, queues[Int(record.signature)].peekLive(in: slots)?.slot == due.slot else { continue }
            dirtySignatures.insert(record.signature)
        }
        while let due = exclusionTimers.popDue(at: now, in: slots) {
            // An agent may take the ticket again: it and its queue are looked at afresh.
            guard case .queued = slots[Int(due.slot)].state else { continue }
            let record = slots[Int(due.slot)]
            for exclusion in record.excluded where exclusion.until <= now { dirtyAgents.append(exclusion.agent) }
            slots[Int(due.slot)].excluded.removeAll { $0.until <= now }
            dirtySignatures.insert(record.signature)
            scheduleExclusionExpiry(slot: due.slot, after: now)
        }
        if now >= holdBackRecheckAt {
            // Agents that held back idle, so their utilisation fell: the hold-back may be over.
            dirtyAgents += heldBackAgents
            for agent in heldBackAgents { isHeldBack[Int(agent)] = false }
            heldBackAgents.removeAll(keepingCapacity: true)
            holdBackRecheckAt = .infinity
        }
        guard freeCount > 0, queuedCount > 0 else { return }
        demoteBreachedHeads(now: now)
        refreshReserves()
        var agentsToTry = dirtyAgents.filter { isFree[Int($0)] }
        dirtyAgents.removeAll(keepingCapacity: true)
        if agentsToTry.count > heads.count {
            // Tickets are scarce: every head chooses among the free agents instead.
            agentsToTry = []
            dirtySignatures.formUnion(heads.entries.map(\.signature))
        }
        agentsToTry.sort { a, b in
            let (x, y) = (agents[Int(a)], agents[Int(b)])
            return x.idleSince != y.idleSince ? x.idleSince < y.idleSince : x.id < y.id
        }
        for agent in agentsToTry {
            while isFree[Int(agent)], queuedCount > 0 {
                demoteBreachedHeads(now: now)
                guard let slot = bestTicket(for: agent, now: now) else { break }
                offer(slot: slot, to: agent, now: now, into: &actions)
            }
        }
        while !dirtySignatures.isEmpty, freeCount > 0, queuedCount > 0 {
            demoteBreachedHeads(now: now)
            let round = heads.entries.filter { dirtySignatures.contains($0.signature) }
            dirtySignatures.removeAll(keepingCapacity: true)
            for head in round where freeCount > 0 {
                guard let top = queues[Int(head.signature)].peekLive(in: slots) else { continue }
                if let agent = bestAgent(for: top.slot, signature: head.signature, now: now) {
                    offer(slot: top.slot, to: agent, now: now, into: &actions)
                    continue
                }
                // A head nobody free may take because of its exclusions must not block the
                // tickets behind it: the first of them that someone free may take goes now, and
                // the queue is looked at again in the next round.
                guard !slots[Int(top.slot)].excluded.isEmpty else { continue }
                for candidate in queues[Int(head.signature)].headCandidates(in: slots) where candidate.slot != top.slot {
                    guard let agent = bestAgent(for: candidate.slot, signature: head.signature, now: now) else { continue }
                    offer(slot: candidate.slot, to: agent, now: now, into: &actions)
                    dirtySignatures.insert(head.signature)
                    break
                }
            }
        }
        dirtySignatures.removeAll(keepingCapacity: true)
    }

    /// Moves queue heads whose first-response deadline has passed back by `breachDemotion`
    /// (once per ticket: the demotion stays in its key when it is re-queued; a head put back by
    /// a lapse or a release keeps its lift). The next ticket of the queue becomes the head and is
    /// checked in turn, so only heads need a timer.
    mutating func demoteBreachedHeads(now: Double) {
        while let due = breachTimers.popDue(at: now, in: slots) {
            let record = slots[Int(due.slot)]
            guard case .queued = record.state, record.demotion == 0,
                  let top = queues[Int(record.signature)].peekLive(in: slots), top.slot == due.slot, top.key == record.key
            else { continue }
            let demotion = configuration.demotion(for: record.urgency)
            slots[Int(due.slot)].demotion = demotion
            slots[Int(due.slot)].key += demotion
            push(slot: due.slot, atHead: false)
        }
    }

    /// Arms the timer for the next relaxation step of a queue head.
    mutating func scheduleRelaxation(slot: Int32, after now: Double) {
        let record = slots[Int(slot)]
        for after in configuration.relaxationSteps where record.waitingSince + after > now {
            relaxationTimers.push(at: record.waitingSince + after, slot: slot, generation: record.generation)
            return
        }
    }

    /// The ticket this agent should take now: the highest total score among queue heads it may
    /// serve at their current relaxation level, where a head the agent is excluded from stands
    /// for the first ticket behind it the agent is not excluded from (so a declined head never
    /// blocks its queue). Heads are scanned in priority order and the scan stops once no later
    /// head could beat the best found even with every agent bonus (a ticket behind a head never
    /// scores above it).
    mutating func bestTicket(for agent: Int32, now: Double) -> Int32? {
        let record = agents[Int(agent)]
        let levels = eligibility[Int(agent)]
        let bonuses = bonus[Int(agent)]
        let maxBonus = configuration.regionBonus + configuration.skillFitBonus + configuration.proficiencyBonus
            + configuration.preferredAgentBonus + maxScarcity
        var best: (slot: Int32, score: Double)?
        for head in heads.entries {
            if let best, -head.key + maxBonus < best.score { break }
            let minimum = levels[Int(head.signature)]
            if minimum == Self.never { continue }
            guard var top = queues[Int(head.signature)].peekLive(in: slots) else { continue }
            if slots[Int(top.slot)].excludes(agent, at: now) {
                guard let next = queues[Int(head.signature)].first(notExcluding: agent, at: now, in: slots) else { continue }
                top = next
            }
            let ticket = slots[Int(top.slot)]
            guard record.hasRoom(channel: ticket.channelIndex),
                  effectiveLevel(ticket, signature: head.signature, now: now) >= minimum
            else { continue }
            if holdsBack(agent, from: head.signature, dueAt: ticket.dueAt, now: now)
                && (!configuration.reserveOnlyWithCover || covered(top.slot, signature: head.signature, besides: agent, now: now)) {
                noteHeldBack(agent, now: now)
                // The agent that covers it may not be looking: the queue is matched from its side too.
                dirtySignatures.insert(head.signature)
                continue
            }
            let score = -top.key + Double(bonuses[Int(head.signature)]) + scarcity(head.signature)
                + (ticket.preferred == agent ? configuration.preferredAgentBonus : 0)
            if best == nil || score > best!.score { best = (top.slot, score) }
        }
        return best?.slot
    }

    /// The free agent who should take this ticket: highest static fit + idle + stickiness;
    /// ties go to the longest idle, then the smallest id.
    mutating func bestAgent(for slot: Int32, signature: Int32, now: Double) -> Int32? {
        let ticket = slots[Int(slot)]
        let level = effectiveLevel(ticket, signature: signature, now: now)
        let pool = configuration.balanceWeight > 0 ? workload.poolUtilisation(at: now) : 0
        var best: (agent: Int32, score: Double)?
        for agent in signatureAgents[Int(signature)] where isFree[Int(agent)] {
            let record = agents[Int(agent)]
            guard eligibility[Int(agent)][Int(signature)] <= level, record.hasRoom(channel: ticket.channelIndex),
                  !ticket.excludes(agent, at: now)
            else { continue }
            if holdsBack(agent, from: signature, dueAt: ticket.dueAt, now: now)
                && (!configuration.reserveOnlyWithCover || covered(slot, signature: signature, besides: agent, now: now)) {
                noteHeldBack(agent, now: now)
                continue
            }
            let score = Double(bonus[Int(agent)][Int(signature)]) + idleScore(record, now: now)
                + (ticket.preferred == agent ? configuration.preferredAgentBonus : 0)
                + balanceScore(agent, pool: pool, now: now)
            if let current = best {
                let other = agents[Int(current.agent)]
                let better = score != current.score ? score > current.score
                    : record.idleSince != other.idleSince ? record.idleSince < other.idleSince : record.id < other.id
                if !better { continue }
            }
            best = (agent, score)
        }
        return best?.agent
    }

    /// The level a waiting ticket may be served at: the one its waiting time reached, or, when
    /// nobody on duty (available) could take it below some level, that level at once — waiting
    /// for agents who are not there helps nobody.
    mutating func effectiveLevel(_ ticket: TicketRecord, signature: Int32, now: Double) -> UInt8 {
        let byTime = UInt8(configuration.level(waited: now - ticket.waitingSince).rawValue)
        let floor = onDutyFloor(signature)
        return floor == Self.never ? byTime : max(byTime, floor)
    }

    /// The lowest level at which an available agent may take the signature's tickets (`never`
    /// when none), cached until presence or profiles change.
    mutating func onDutyFloor(_ signature: Int32) -> UInt8 {
        let cached = dutyFloors[Int(signature)]
        if cached.epoch == presenceEpoch { return cached.level }
        var floor = Self.never
        for agent in signatureAgents[Int(signature)] where agents[Int(agent)].presence == .available {
            floor = min(floor, eligibility[Int(agent)][Int(signature)])
        }
        dutyFloors[Int(signature)] = (presenceEpoch, floor)
        return floor
    }

    /// Whether the agent keeps itself free for scarcer work rather than take this signature's
    /// ticket now: some signature it serves is more than `reserveRatio` times scarcer, at least
    /// `reserveCommonAgents` agents may take this one, the ticket is not yet within `reserveLead`
    /// of its deadline, and the agent has been busier than the pool by more than `reserveMargin`.
    func holdsBack(_ agent: Int32, from signature: Int32, dueAt: Double, now: Double) -> Bool {
        guard configuration.reserveRatio > 0, now < dueAt - configuration.reserveLead,
              reserve[Int(agent)] > configuration.reserveRatio * scarcity(signature),
              signatureAgents[Int(signature)].count >= configuration.reserveCommonAgents
        else { return false }
        return configuration.reserveMargin <= -1
            || workload.utilisation(agent: Int(agent), at: now) > workload.poolUtilisation(at: now) + configuration.reserveMargin
    }

    /// Whether a free agent other than `agent`, who is not itself a reserve for this signature,
    /// may take the ticket now (at its current level, with room, not excluded): holding back
    /// then costs the ticket nothing. Without such cover a hold-back only idles the scarce agent
    /// next to waiting work, which under overload cost deadlines (issue 18). Reached only when
    /// `holdsBack` is true, so the scan over the signature's agents is rare.
    mutating func covered(_ slot: Int32, signature: Int32, besides agent: Int32, now: Double) -> Bool {
        let ticket = slots[Int(slot)]
        let level = effectiveLevel(ticket, signature: signature, now: now)
        let limit = configuration.reserveRatio * scarcity(signature)
        for other in signatureAgents[Int(signature)] where other != agent && isFree[Int(other)] {
            if eligibility[Int(other)][Int(signature)] <= level, agents[Int(other)].hasRoom(channel: ticket.channelIndex),
               !ticket.excludes(other, at: now), reserve[Int(other)] <= limit {
                return true
            }
        }
        return false
    }

    /// Remembers a free agent that held back from waiting work: its utilisation falls while it
    /// idles, so the hold-back may end without any event; it is looked at again after
    /// `reserveRecheck` (a timer in `nextDeadline`). A demand-blind hold-back (`reserveMargin`
    /// −1) ends only at `reserveLead`, which has its own timer.
    mutating func noteHeldBack(_ agent: Int32, now: Double) {
        guard configuration.reserveMargin > -1, !isHeldBack[Int(agent)] else { return }
        isHeldBack[Int(agent)] = true
        heldBackAgents.append(agent)
        holdBackRecheckAt = min(holdBackRecheckAt, now + configuration.reserveRecheck)
    }

    /// Recomputes every agent's `reserve` after eligibility changed.
    mutating func refreshReserves() {
        guard reservesStale else { return }
        reservesStale = false
        for index in reserve.indices { reserve[index] = 0 }
        for signature in signatureAgents.indices {
            let value = scarcity(Int32(signature))
            for agent in signatureAgents[signature] where reserve[Int(agent)] < value { reserve[Int(agent)] = value }
        }
    }

    /// `scarcityBonus` / the number of agents eligible for the signature at any level.
    func scarcity(_ signature: Int32) -> Double {
        configuration.scarcityBonus / Double(max(1, signatureAgents[Int(signature)].count))
    }

    /// `balanceWeight` × how far the agent's utilisation so far is below the pool's.
    func balanceScore(_ agent: Int32, pool: Double, now: Double) -> Double {
        guard configuration.balanceWeight > 0 else { return 0 }
        return configuration.balanceWeight * (pool - workload.utilisation(agent: Int(agent), at: now))
    }

    func idleScore(_ agent: AgentRecord, now: Double) -> Double {
        configuration.idleWeight * min(max(0, now - agent.idleSince), configuration.idleCap)
    }

    mutating func offer(slot: Int32, to agent: Int32, now: Double, into actions: inout [RoutingAction]) {
        let level = effectiveLevel(slots[Int(slot)], signature: slots[Int(slot)].signature, now: now)
        let score = breakdown(slot: slot, agent: agent, now: now, level: RelaxationLevel(rawValue: Int(level)) ?? .anyQualified)
        let expiresAt = now + configuration.offerTimeout
        setState(slot, .offered(agent: agent, expiresAt: expiresAt))
        slots[Int(slot)].attempts += 1
        agents[Int(agent)].load[slots[Int(slot)].channelIndex] += 1
        refreshFree(agent)
        offerTimers.push(at: expiresAt, slot: slot, generation: slots[Int(slot)].generation)
        let record = slots[Int(slot)]
        actions.append(.decide(RoutingDecision(
            kind: .offer, ticketID: record.id, agentID: agents[Int(agent)].id, epoch: record.epoch,
            decidedAt: Date(timeIntervalSince1970: now), expiresAt: Date(timeIntervalSince1970: expiresAt), score: score)))
    }

    /// Every score term of giving this ticket to this agent now.
    func breakdown(slot: Int32, agent: Int32, now: Double, level: RelaxationLevel) -> ScoreBreakdown {
        let ticket = slots[Int(slot)]
        let signature = signatures[Int(ticket.signature)]
        let record = agents[Int(agent)]
        let parts = fit(of: record.profile, to: signature)
        return ScoreBreakdown(
            slack: now - ticket.dueAt,
            breach: -ticket.demotion,
            urgency: configuration.urgencyLead * Double(ticket.urgency.rank),
            waited: configuration.waitWeight * (now - ticket.waitingSince),
            skillFit: parts.skillFit, proficiency: parts.proficiency, region: parts.region,
            idle: idleScore(record, now: now),
            balance: balanceScore(agent, pool: workload.poolUtilisation(at: now), now: now),
            stickiness: ticket.preferred == agent ? configuration.preferredAgentBonus : 0,
            scarcity: scarcity(ticket.signature),
            level: level)
    }
}
