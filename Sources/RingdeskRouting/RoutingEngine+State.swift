import Foundation
import RingdeskDomain

extension RoutingEngine {
    static func primaryLanguage(_ tag: String) -> String {
        String(tag.split(separator: "-", maxSplits: 1).first ?? Substring(tag)).lowercased()
    }

    mutating func rebuildNeighbours() {
        for (region, list) in configuration.neighbourRegions {
            let id = intern(region: region)
            for other in list { neighbours[Int(id)].insert(intern(region: other)) }
        }
    }

    mutating func intern(region: String) -> Int32 {
        if let id = regionIDs[region] { return id }
        let id = Int32(regionNames.count)
        regionIDs[region] = id
        regionNames.append(region)
        neighbours.append([])
        return id
    }

    mutating func intern(skill: String) -> Int32 {
        if let id = skillIDs[skill] { return id }
        let id = Int32(skillNames.count)
        skillIDs[skill] = id
        skillNames.append(skill)
        return id
    }

    /// The ticket's signature id, creating the signature (its queue and every agent's
    /// eligibility for it) on first sight.
    mutating func intern(signature ticket: RoutingTicket) -> Int32 {
        var best: [Int32: Int8] = [:]
        for requirement in ticket.requirements {
            let skill = intern(skill: requirement.skill)
            best[skill] = max(best[skill] ?? 0, Int8(requirement.minLevel))
        }
        let signature = Signature(
            requirements: best.map { Signature.Requirement(skill: $0.key, minLevel: $0.value) }.sorted { $0.skill < $1.skill },
            language: Self.primaryLanguage(ticket.language), region: intern(region: ticket.region),
            channel: ticket.channel, tier: ticket.supportTier)
        if let id = signatureIDs[signature] { return id }
        let id = Int32(signatures.count)
        signatures.append(signature)
        signatureIDs[signature] = id
        queues.append(SignatureQueue())
        signatureAgents.append([])
        dutyFloors.append((0, Self.never))
        for agent in agents.indices {
            let (level, score) = staticFit(agent: agents[agent].profile, signature: signature)
            eligibility[agent].append(level)
            bonus[agent].append(score)
            if level != Self.never { signatureAgents[Int(id)].append(Int32(agent)) }
        }
        // A new signature changes no other signature's agents: its own scarcity is all that is new.
        let scarcity = scarcity(id)
        for agent in signatureAgents[Int(id)] where reserve[Int(agent)] < scarcity { reserve[Int(agent)] = scarcity }
        refreshMaxScarcity()
        return id
    }

    static let never: UInt8 = 255

    /// The lowest relaxation level at which the agent may take tickets of the signature
    /// (`never` if none) and the static part of the score (skill fit, proficiency, region).
    func staticFit(agent: RoutingAgent, signature: Signature) -> (level: UInt8, bonus: Float) {
        guard agent.supportTier >= signature.tier,
              (agent.capacity[signature.channel] ?? 0) > 0,
              agent.languages.isEmpty || agent.languages.contains(where: { Self.primaryLanguage($0) == signature.language })
        else { return (Self.never, 0) }
        let fit = fit(of: agent, to: signature)
        guard fit.qualified else { return (Self.never, 0) }
        let level: RelaxationLevel =
            if fit.exact && fit.inRegion { .exactSkillsInRegion }
            else if fit.inRegion { .lowerProficiency }
            else if fit.neighbour { .neighbouringRegions }
            else { .anyQualified }
        return (UInt8(level.rawValue), Float(fit.skillFit + fit.proficiency + fit.region))
    }

    /// How an agent's skills and regions fit a signature, and the score terms that follow.
    struct Fit {
        /// Every skill at least at its relaxed minimum (`min_level - proficiency_relaxation`, ≥ 1).
        var qualified = true
        /// Every skill at least at its minimum.
        var exact = true
        var inRegion: Bool
        var neighbour: Bool
        var skillFit: Double
        var proficiency: Double
        var region: Double
    }

    func fit(of agent: RoutingAgent, to signature: Signature) -> Fit {
        var qualified = true, exact = true
        var excess = 0, deficit = 0, levels = 0
        for requirement in signature.requirements {
            let level = agent.skills[skillName(requirement.skill)] ?? 0
            let minimum = Int(requirement.minLevel)
            if level < max(1, minimum - configuration.proficiencyRelaxation) { qualified = false }
            if level < minimum {
                exact = false
                deficit += minimum - level
            } else {
                excess += level - minimum
            }
            levels += level
        }
        let regionName = regionName(signature.region)
        let inRegion = agent.regions.isEmpty || agent.regions.contains(regionName)
        let neighbour = !inRegion && agent.regions.contains { name in
            regionIDs[name].map { neighbours[Int(signature.region)].contains($0) } ?? false
        }
        let count = Double(max(1, signature.requirements.count))
        return Fit(
            qualified: qualified, exact: exact, inRegion: inRegion, neighbour: neighbour,
            skillFit: configuration.skillFitBonus * (1 - Double(excess) / count / 4) - configuration.underQualifiedPenalty * Double(deficit),
            proficiency: signature.requirements.isEmpty ? 0 : configuration.proficiencyBonus * Double(levels) / count / 5,
            region: inRegion ? configuration.regionBonus : neighbour ? configuration.regionBonus / 2 : 0)
    }

    func skillName(_ id: Int32) -> String { skillNames[Int(id)] }

    func regionName(_ id: Int32) -> String { regionNames[Int(id)] }

    mutating func recomputeEligibility(agent: Int32) {
        let profile = agents[Int(agent)].profile
        for region in profile.regions { _ = intern(region: region) }
        var levels: [UInt8] = []
        var scores: [Float] = []
        levels.reserveCapacity(signatures.count)
        for (id, signature) in signatures.enumerated() {
            let (level, score) = staticFit(agent: profile, signature: signature)
            levels.append(level)
            scores.append(score)
            let listed = signatureAgents[id].contains(agent)
            if level != Self.never, !listed { signatureAgents[id].append(agent) }
            if level == Self.never, listed { signatureAgents[id].removeAll { $0 == agent } }
        }
        eligibility[Int(agent)] = levels
        bonus[Int(agent)] = scores
        presenceEpoch &+= 1
        reservesStale = true
        refreshMaxScarcity()
    }

    /// The largest scarcity term any signature can score (for the scan's early stop).
    mutating func refreshMaxScarcity() {
        let fewest = signatureAgents.lazy.map(\.count).filter { $0 > 0 }.min() ?? 1
        maxScarcity = configuration.scarcityBonus / Double(fewest)
    }

    mutating func refreshFree(_ agent: Int32) {
        dirtyAgents.append(agent)
        if agents[Int(agent)].presence != lastPresence[Int(agent)] {
            lastPresence[Int(agent)] = agents[Int(agent)].presence
            presenceEpoch &+= 1
        }
        let record = agents[Int(agent)]
        workload.update(agent: Int(agent), load: record.totalLoad,
                        availableCapacity: record.presence == .available ? record.totalCapacity : 0)
        let free = record.presence == .available && record.hasAnyRoom
        if free != isFree[Int(agent)] {
            isFree[Int(agent)] = free
            freeCount += free ? 1 : -1
        }
    }

    func agentIndex(_ id: String) throws -> Int32 {
        guard let index = agentByID[id] else { throw RoutingError(.unknownAgent, "agent \(id) is not known to routing") }
        return index
    }

    // MARK: Slots and queues

    mutating func allocateSlot() -> Int32 {
        if let slot = freeSlots.popLast() { return slot }
        slots.append(TicketRecord())
        return Int32(slots.count - 1)
    }

    mutating func nextGeneration() -> UInt32 {
        generationCounter &+= 1
        return generationCounter
    }

    /// Moves the ticket to `state` with a new generation; a ticket that leaves the queue stops
    /// being its signature's head.
    mutating func setState(_ slot: Int32, _ state: TicketRecord.State) {
        let wasQueued: Bool = if case .queued = slots[Int(slot)].state { true } else { false }
        slots[Int(slot)].state = state
        slots[Int(slot)].generation = nextGeneration()
        if wasQueued {
            queuedCount -= 1
            refreshHead(slots[Int(slot)].signature)
        }
    }

    mutating func push(slot: Int32, atHead: Bool) {
        setState(slot, .queued)
        queuedCount += 1
        sequence += 1
        let record = slots[Int(slot)]
        queues[Int(record.signature)].push(QueueEntry(key: atHead ? record.key - Self.headLift : record.key,
                                                      seq: sequence, slot: slot, generation: record.generation),
                                           hasExclusions: !record.excluded.isEmpty)
        refreshHead(record.signature)
        scheduleExclusionExpiry(slot: slot, after: lastAdvance)
        // Behind a head with exclusions, a new ticket may go to an agent the head excludes:
        // the queue is looked at although its head did not change.
        if let head = queues[Int(record.signature)].peekLive(in: slots), head.slot != slot,
           !slots[Int(head.slot)].excluded.isEmpty {
            dirtySignatures.insert(record.signature)
        }
    }

    /// Arms the timer for the earliest exclusion of a queued ticket still to age out: the
    /// agent may then take it, so it must be looked at again.
    mutating func scheduleExclusionExpiry(slot: Int32, after now: Double) {
        let record = slots[Int(slot)]
        let next = record.excluded.lazy.map(\.until).filter { $0 > now && $0.isFinite }.min()
        if let next { exclusionTimers.push(at: next, slot: slot, generation: record.generation) }
    }

    /// Put back at the head: ahead of any ticket's ordinary key.
    static let headLift: Double = 1e12

    /// Re-reads the signature's head; a new head is a candidate for the next pass and gets its
    /// relaxation timer.
    mutating func refreshHead(_ signature: Int32) {
        let head = queues[Int(signature)].cleanTop(in: slots)
        if let head, !slots[Int(head.slot)].excluded.isEmpty, let open = queues[Int(signature)].heap.min,
           open.slot != head.slot, open.seq != queues[Int(signature)].timedOpenSeq {
            // The first ticket nobody is excluded from relaxes on its own timer too: agents the
            // head excludes may take it once it reaches their level.
            queues[Int(signature)].timedOpenSeq = open.seq
            scheduleRelaxation(slot: open.slot, after: lastAdvance)
        }
        if heads.set(signature: signature, head: head), let head {
            dirtySignatures.insert(signature)
            scheduleRelaxation(slot: head.slot, after: lastAdvance)
            let record = slots[Int(head.slot)]
            if configuration.breachDemotion > 0, record.demotion == 0, head.key == record.key {
                breachTimers.push(at: record.dueAt, slot: head.slot, generation: record.generation)
            }
            if configuration.reserveRatio > 0, signatureAgents[Int(signature)].count >= configuration.reserveCommonAgents,
               record.dueAt - configuration.reserveLead > lastAdvance {
                reserveTimers.push(at: record.dueAt - configuration.reserveLead, slot: head.slot, generation: record.generation)
            }
        }
    }

    mutating func freeSlot(_ slot: Int32) {
        let id = slots[Int(slot)].id
        setState(slot, .free)
        slotByID[id] = nil
        slots[Int(slot)].id = ""
        slots[Int(slot)].excluded = []
        freeSlots.append(slot)
    }

    /// The ticket's slot and holder, checking the command's agent holds it (an offer when
    /// `offered`, else a lease).
    func holder(_ ticketID: String, _ agentID: String, offered: Bool) throws -> (Int32, Int32) {
        guard let slot = slotByID[ticketID] else {
            throw RoutingError(.unknownTicket, "ticket \(ticketID) is not routed here")
        }
        let agent = try agentIndex(agentID)
        switch (slots[Int(slot)].state, offered) {
        case (.offered(let holder, _), true), (.leased(let holder, _), false):
            guard holder == agent else {
                throw RoutingError(.notHolder, "ticket \(ticketID) is held by \(agents[Int(holder)].id), not \(agentID)")
            }
            return (slot, agent)
        default:
            throw RoutingError(.wrongState, "ticket \(ticketID) is not \(offered ? "offered" : "leased") to \(agentID)")
        }
    }

    mutating func releaseLoad(slot: Int32, agent: Int32) {
        agents[Int(agent)].load[slots[Int(slot)].channelIndex] -= 1
        refreshFree(agent)
    }

    /// Keeps the agent from re-offers of the ticket for `exclusionExpiry` seconds (for good when
    /// it is 0); the last `maxExcludedAgents` are remembered.
    mutating func exclude(slot: Int32, agent: Int32, now: Double) {
        guard configuration.maxExcludedAgents > 0 else { return }
        var excluded = slots[Int(slot)].excluded
        excluded.removeAll { $0.agent == agent || $0.until <= now }
        excluded.append(Exclusion(agent: agent, until: exclusionEnd(from: now)))
        if excluded.count > configuration.maxExcludedAgents { excluded.removeFirst(excluded.count - configuration.maxExcludedAgents) }
        slots[Int(slot)].excluded = excluded
    }

    /// When an exclusion made at `start` ages out.
    func exclusionEnd(from start: Double) -> Double {
        configuration.exclusionExpiry > 0 ? start + configuration.exclusionExpiry : .infinity
    }

    /// Back to the queue, or to review: once the ticket used its `maxDeliveryAttempts` offers
    /// (`delivery_limit`), or, when exclusions never age out (`exclusionExpiry` 0), once every
    /// agent who could take it declined or let it lapse (`no_eligible_agent`). With exclusions
    /// that age out, a ticket everyone declined stays queued and is offered again when the first
    /// exclusion ends, until the delivery limit.
    mutating func requeueOrReview(slot: Int32, atHead: Bool) -> [RoutingAction] {
        let record = slots[Int(slot)]
        let reason: ReviewReason
        if Int(record.attempts) >= configuration.maxDeliveryAttempts {
            reason = .deliveryLimit
        } else if configuration.exclusionExpiry == 0, !record.excluded.isEmpty, nobodyLeft(record) {
            reason = .noEligibleAgent
        } else {
            push(slot: slot, atHead: atHead)
            return []
        }
        setState(slot, .review)
        reviewTicketIDs.insert(record.id)
        return [.movedToReview(ticketID: record.id, attempts: Int(record.attempts), reason: reason)]
    }

    /// Every agent who may take the ticket's signature (on duty or not) is excluded for good.
    func nobodyLeft(_ record: TicketRecord) -> Bool {
        let eligible = signatureAgents[Int(record.signature)]
        return !eligible.isEmpty && eligible.allSatisfy { agent in record.excluded.contains { $0.agent == agent } }
    }

    /// Takes the ticket out of wherever it is, ready to be pushed under a new signature.
    mutating func requeueForChange(_ ticketID: String) throws -> Int32 {
        guard let slot = slotByID[ticketID] else {
            throw RoutingError(.unknownTicket, "ticket \(ticketID) is not routed here")
        }
        switch slots[Int(slot)].state {
        case .offered(let agent, _), .leased(let agent, _): releaseLoad(slot: slot, agent: agent)
        case .review: reviewTicketIDs.remove(ticketID)
        case .queued, .free: break
        }
        setState(slot, .free)
        return slot
    }
}
