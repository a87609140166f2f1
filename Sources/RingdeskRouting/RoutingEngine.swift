import Foundation
import RingdeskDomain

/// The skill-based routing engine: a pure, deterministic state machine. Commands change its
/// state and return actions; `advance(to:)` runs the timers (offer expiry, lease lapse,
/// relaxation) and matches waiting tickets to free agents. It never reads a clock, sends or
/// stores anything: the owner applies the actions (durably) and calls it again.
///
/// Scale: tickets are queued per *signature* (skills, language, region, channel, tier), each
/// queue a heap by priority key; the heads of non-empty queues are kept sorted. Which agents
/// can serve a signature, at which relaxation level and with which static score, is computed
/// once per (agent, signature). A decision looks at queue heads and free agents only, never at
/// every queued ticket or every agent.
public struct RoutingEngine: Sendable {
    public private(set) var configuration: RoutingConfiguration

    // Interned names.
    var regionIDs: [String: Int32] = [:]
    var regionNames: [String] = []
    var neighbours: [Set<Int32>] = []
    var skillIDs: [String: Int32] = [:]
    var skillNames: [String] = []

    // Signatures and their queues.
    var signatures: [Signature] = []
    var signatureIDs: [Signature: Int32] = [:]
    var queues: [SignatureQueue] = []
    var heads = HeadIndex()

    // Tickets by slot.
    var slots: [TicketRecord] = []
    var freeSlots: [Int32] = []
    var slotByID: [String: Int32] = [:]
    var generationCounter: UInt32 = 0
    var sequence: UInt64 = 0

    // Agents by index; eligibility[agent][signature] and bonus[agent][signature].
    var agents: [AgentRecord] = []
    var agentByID: [String: Int32] = [:]
    var eligibility: [[UInt8]] = []
    var bonus: [[Float]] = []
    var signatureAgents: [[Int32]] = []
    var isFree: [Bool] = []
    var freeCount = 0
    /// `scarcityBonus` / the fewest agents any signature has (bounds the scarcity term).
    var maxScarcity: Double = 0
    /// Presence as the duty floors last saw it; any change bumps `presenceEpoch`.
    var lastPresence: [Presence] = []
    var presenceEpoch: UInt64 = 1
    /// Per signature: the lowest level an available agent serves, as of `presenceEpoch`.
    var dutyFloors: [(epoch: UInt64, level: UInt8)] = []

    // Timers (entries go stale when the ticket moves on; checked against the generation).
    var offerTimers = TimerHeap()
    var leaseTimers = TimerHeap()
    /// Next relaxation step of each queue head.
    var relaxationTimers = TimerHeap()
    /// First-response deadline of each queue head (`breachDemotion`); never wakes the owner:
    /// demotion only reorders, so it is applied when the next pass runs.
    var breachTimers = TimerHeap()
    /// When each queue head enters its `reserveLead` window (held-back agents may then take it).
    var reserveTimers = TimerHeap()
    /// When a queued ticket's earliest exclusion ages out (`exclusionExpiry`).
    var exclusionTimers = TimerHeap()
    /// Free agents that held back from waiting work since the last recheck, and when to recheck them.
    var heldBackAgents: [Int32] = []
    var isHeldBack: [Bool] = []
    var holdBackRecheckAt = Double.infinity
    /// Busy time per agent and pooled (utilisation so far, for `reserveMargin`).
    var workload = WorkloadLedger()
    /// Per agent: the largest scarcity term of any signature it serves (what holding back keeps it for).
    var reserve: [Double] = []
    /// Set when agents' eligibility changed: `reserve` is recomputed before the next pass.
    var reservesStale = false
    /// What changed since the last matching pass.
    var dirtyAgents: [Int32] = []
    var dirtySignatures: Set<Int32> = []

    public internal(set) var queuedCount = 0
    public internal(set) var reviewTicketIDs: Set<String> = []

    public init(configuration: RoutingConfiguration = .defaults) throws {
        self.configuration = try configuration.validated()
        rebuildNeighbours()
    }

    /// Replaces the policy (a reload). Static scores and eligibility are recomputed; queue
    /// order keys of tickets already queued keep their old weights until they are requeued.
    public mutating func reconfigure(_ configuration: RoutingConfiguration) throws {
        self.configuration = try configuration.validated()
        rebuildNeighbours()
        for agent in agents.indices {
            recomputeEligibility(agent: Int32(agent))
            dirtyAgents.append(Int32(agent))
        }
        dirtySignatures.formUnion(heads.entries.map(\.signature))
        refreshMaxScarcity()
    }

    // MARK: Queries

    /// Where a ticket stands in the engine, or nil when it is unknown.
    public func state(of ticketID: String, at now: Date) -> TicketRoutingState? {
        guard let slot = slotByID[ticketID] else { return nil }
        let record = slots[Int(slot)]
        switch record.state {
        case .queued:
            return .queued(level: configuration.level(waited: now.timeIntervalSince1970 - record.waitingSince),
                           deliveryAttempts: Int(record.attempts))
        case .offered(let agent, let expiresAt):
            return .offered(agentID: agents[Int(agent)].id, expiresAt: Date(timeIntervalSince1970: expiresAt))
        case .leased(let agent, let expiresAt):
            return .leased(agentID: agents[Int(agent)].id, expiresAt: Date(timeIntervalSince1970: expiresAt))
        case .review:
            return .review
        case .free:
            return nil
        }
    }

    /// Offers plus leases an agent holds on `channel`.
    public func load(of agentID: String, on channel: Channel) -> Int {
        guard let index = agentByID[agentID] else { return 0 }
        return Int(agents[Int(index)].load[channel.index])
    }

    /// When `advance(to:)` next has something to do without a new command: the earliest offer
    /// expiry, lease lapse, relaxation step of a queue head, exclusion ageing out or recheck of
    /// agents holding back (`reserveRecheck`).
    public var nextDeadline: Date? {
        let earliest = min(offerTimers.peekLive(in: slots)?.at ?? .infinity, leaseTimers.peekLive(in: slots)?.at ?? .infinity,
                           relaxationTimers.peekLive(in: slots)?.at ?? .infinity, reserveTimers.peekLive(in: slots)?.at ?? .infinity,
                           exclusionTimers.peekLive(in: slots)?.at ?? .infinity, holdBackRecheckAt)
        return earliest.isFinite ? Date(timeIntervalSince1970: earliest) : nil
    }

    var lastAdvance: Double = -.infinity

    // MARK: Agents

    /// Adds an agent or replaces its profile and presence (load and held tickets are kept).
    public mutating func upsertAgent(_ agent: RoutingAgent) throws {
        for (skill, level) in agent.skills where !(1...5).contains(level) || skill.isEmpty {
            throw RoutingError(.invalidInput, "agent \(agent.id): skill \(skill) level must be 1...5")
        }
        if agent.id.isEmpty { throw RoutingError(.invalidInput, "agent id must not be empty") }
        workload.note(agent.idleSince.timeIntervalSince1970)
        if let index = agentByID[agent.id] {
            agents[Int(index)].update(agent)
            recomputeEligibility(agent: index)
            refreshFree(index)
            return
        }
        let index = Int32(agents.count)
        agents.append(AgentRecord(agent))
        agentByID[agent.id] = index
        eligibility.append([])
        bonus.append([])
        isFree.append(false)
        isHeldBack.append(false)
        lastPresence.append(agent.presence)
        workload.addAgent()
        reserve.append(0)
        recomputeEligibility(agent: index)
        refreshFree(index)
    }

    /// Presence change; becoming available starts the idle clock.
    public mutating func setPresence(agentID: String, _ presence: Presence, at now: Date) throws {
        let index = try agentIndex(agentID)
        workload.note(now.timeIntervalSince1970)
        let record = agents[Int(index)]
        if record.presence != presence, presence == .available {
            agents[Int(index)].idleSince = max(record.idleSince, now.timeIntervalSince1970)
        }
        agents[Int(index)].presence = presence
        refreshFree(index)
    }

    // MARK: Tickets

    /// Queues a ticket (new, or back from elsewhere). A ticket that already used its delivery
    /// attempts goes straight to review.
    @discardableResult
    public mutating func enqueue(_ ticket: RoutingTicket, atHead: Bool = false) throws -> [RoutingAction] {
        guard slotByID[ticket.id] == nil else {
            throw RoutingError(.duplicateTicket, "ticket \(ticket.id) is already routed")
        }
        guard !ticket.id.isEmpty else { throw RoutingError(.invalidInput, "ticket id must not be empty") }
        for requirement in ticket.requirements where !(1...5).contains(requirement.minLevel) {
            throw RoutingError(.invalidInput, "ticket \(ticket.id): min_level of \(requirement.skill) must be 1...5")
        }
        let signature = intern(signature: ticket)
        let slot = allocateSlot()
        var record = TicketRecord(ticket: ticket, signature: signature, configuration: configuration)
        record.preferred = ticket.preferredAgentID.flatMap { agentByID[$0] } ?? -1
        let excludedUntil = exclusionEnd(from: (ticket.excludedSince ?? ticket.waitingSince).timeIntervalSince1970)
        record.excluded = ticket.excludedAgentIDs.compactMap { agentByID[$0] }.map { Exclusion(agent: $0, until: excludedUntil) }
        record.generation = slots[Int(slot)].generation
        slots[Int(slot)] = record
        slotByID[ticket.id] = slot
        return requeueOrReview(slot: slot, atHead: atHead)
    }

    /// The agent takes the offered ticket: it is theirs under a lease until the returned date.
    @discardableResult
    public mutating func accept(ticketID: String, agentID: String, at now: Date) throws -> Date {
        let (slot, agent) = try holder(ticketID, agentID, offered: true)
        workload.note(now.timeIntervalSince1970)
        let expiresAt = now.timeIntervalSince1970 + configuration.leaseDuration
        setState(slot, .leased(agent: agent, expiresAt: expiresAt))
        leaseTimers.push(at: expiresAt, slot: slot, generation: slots[Int(slot)].generation)
        offerTimers.cleanTop(in: slots)  // so nextDeadline does not wake for the answered offer
        return Date(timeIntervalSince1970: expiresAt)
    }

    /// The agent declines the offer: the ticket is queued again (not at the head) without them
    /// for `exclusionExpiry`, or moves to review (`requeueOrReview`).
    public mutating func reject(ticketID: String, agentID: String, at now: Date) throws -> [RoutingAction] {
        let (slot, agent) = try holder(ticketID, agentID, offered: true)
        workload.note(now.timeIntervalSince1970)
        releaseLoad(slot: slot, agent: agent)
        exclude(slot: slot, agent: agent, now: max(now.timeIntervalSince1970, lastAdvance))
        return requeueOrReview(slot: slot, atHead: false)
    }

    /// Keeps the lease alive; returns the new expiry.
    @discardableResult
    public mutating func renewLease(ticketID: String, agentID: String, at now: Date) throws -> Date {
        let (slot, agent) = try holder(ticketID, agentID, offered: false)
        let expiresAt = now.timeIntervalSince1970 + configuration.leaseDuration
        // A new generation makes the old timer entry stale.
        setState(slot, .leased(agent: agent, expiresAt: expiresAt))
        leaseTimers.push(at: expiresAt, slot: slot, generation: slots[Int(slot)].generation)
        return Date(timeIntervalSince1970: expiresAt)
    }

    /// The holder finished the ticket (resolved, or handed it on outside routing): it leaves the
    /// engine and the agent's idle clock restarts.
    public mutating func complete(ticketID: String, agentID: String, at now: Date) throws {
        let (slot, agent) = try holder(ticketID, agentID, offered: false)
        workload.note(now.timeIntervalSince1970)
        releaseLoad(slot: slot, agent: agent)
        agents[Int(agent)].idleSince = now.timeIntervalSince1970
        freeSlot(slot)
        leaseTimers.cleanTop(in: slots)
    }

    /// The ticket leaves routing wherever it is (cancelled, closed elsewhere). Unknown: no-op.
    public mutating func withdraw(ticketID: String) {
        guard let slot = slotByID[ticketID] else { return }
        switch slots[Int(slot)].state {
        case .offered(let agent, _), .leased(let agent, _): releaseLoad(slot: slot, agent: agent)
        case .review: reviewTicketIDs.remove(ticketID)
        case .queued, .free: break
        }
        freeSlot(slot)
    }

    /// The agent put the ticket back (e.g. waiting on the customer with nobody holding it):
    /// queued at the head, delivery attempts unchanged.
    public mutating func release(ticketID: String, agentID: String, at now: Date) throws {
        let (slot, agent) = try holder(ticketID, agentID, offered: false)
        workload.note(now.timeIntervalSince1970)
        releaseLoad(slot: slot, agent: agent)
        agents[Int(agent)].idleSince = now.timeIntervalSince1970
        push(slot: slot, atHead: true)
    }

    /// A supervisor moves the ticket to other skills (a transfer): whoever held it is released,
    /// exclusions and delivery attempts reset, queued by its deadline.
    public mutating func transfer(ticketID: String, requirements: [SkillRequirement], at now: Date) throws {
        workload.note(now.timeIntervalSince1970)
        let slot = try requeueForChange(ticketID)
        var record = slots[Int(slot)]
        var ticket = record.ticket(engine: self)
        ticket.requirements = requirements
        record.signature = intern(signature: ticket)
        record.excluded = []
        record.attempts = 0
        slots[Int(slot)] = record
        push(slot: slot, atHead: false)
    }

    /// A supervisor raises the support tier (an escalation): released, queued at the head,
    /// delivery attempts reset.
    public mutating func escalate(ticketID: String, to tier: SupportTier, at now: Date) throws {
        workload.note(now.timeIntervalSince1970)
        let slot = try requeueForChange(ticketID)
        var record = slots[Int(slot)]
        var ticket = record.ticket(engine: self)
        ticket.supportTier = tier
        record.signature = intern(signature: ticket)
        record.attempts = 0
        slots[Int(slot)] = record
        push(slot: slot, atHead: true)
    }

    /// A supervisor assigns the ticket to an agent directly (from the queue, from review, or
    /// taking it from whoever had it offered or leased). The agent must exist; eligibility and
    /// capacity are the supervisor's call. The decision carries the score as it would have been.
    public mutating func assign(ticketID: String, to agentID: String, at now: Date) throws -> RoutingDecision {
        let agent = try agentIndex(agentID)
        guard let slot = slotByID[ticketID] else {
            throw RoutingError(.unknownTicket, "ticket \(ticketID) is not routed here")
        }
        workload.note(now.timeIntervalSince1970)
        switch slots[Int(slot)].state {
        case .offered(let holder, _), .leased(let holder, _): releaseLoad(slot: slot, agent: holder)
        case .review: reviewTicketIDs.remove(ticketID)
        case .queued, .free: break
        }
        let nowSeconds = now.timeIntervalSince1970
        let score = breakdown(slot: slot, agent: agent, now: nowSeconds,
                              level: configuration.level(waited: nowSeconds - slots[Int(slot)].waitingSince))
        let expiresAt = nowSeconds + configuration.leaseDuration
        setState(slot, .leased(agent: agent, expiresAt: expiresAt))
        agents[Int(agent)].load[slots[Int(slot)].channelIndex] += 1
        refreshFree(agent)
        leaseTimers.push(at: expiresAt, slot: slot, generation: slots[Int(slot)].generation)
        return RoutingDecision(kind: .manual, ticketID: ticketID, agentID: agentID, epoch: slots[Int(slot)].epoch,
                               decidedAt: now, expiresAt: Date(timeIntervalSince1970: expiresAt), score: score)
    }

    /// Where an adopted ticket already stands.
    public enum Holding: Sendable, Hashable {
        case offered(agentID: String, expiresAt: Date)
        case leased(agentID: String, expiresAt: Date)
    }

    /// Takes in a ticket that is already offered or held (a restart rebuilding the engine from
    /// stored tickets, or a change made outside routing). The agent's load counts it; the
    /// offer expires or the lease lapses as usual.
    public mutating func adopt(_ ticket: RoutingTicket, holding: Holding) throws {
        let (agentID, expiresAt, offered): (String, Date, Bool) = switch holding {
        case let .offered(agentID, expiresAt): (agentID, expiresAt, true)
        case let .leased(agentID, expiresAt): (agentID, expiresAt, false)
        }
        let agent = try agentIndex(agentID)
        guard slotByID[ticket.id] == nil else {
            throw RoutingError(.duplicateTicket, "ticket \(ticket.id) is already routed")
        }
        var adopted = ticket
        adopted.deliveryAttempts = 0  // never straight to review: it is held
        _ = try enqueue(adopted)
        let slot = slotByID[ticket.id]!
        slots[Int(slot)].attempts = Int32(clamping: ticket.deliveryAttempts)
        let at = expiresAt.timeIntervalSince1970
        setState(slot, offered ? .offered(agent: agent, expiresAt: at) : .leased(agent: agent, expiresAt: at))
        agents[Int(agent)].load[slots[Int(slot)].channelIndex] += 1
        refreshFree(agent)
        let generation = slots[Int(slot)].generation
        if offered { offerTimers.push(at: at, slot: slot, generation: generation) } else { leaseTimers.push(at: at, slot: slot, generation: generation) }
    }

    // MARK: Time

    /// Runs due timers, then matches waiting tickets to free agents. Returns every action to
    /// perform, in order. `now` must not go backwards (earlier values are treated as the last).
    public mutating func advance(to now: Date) -> [RoutingAction] {
        let nowSeconds = max(now.timeIntervalSince1970, lastAdvance)
        lastAdvance = nowSeconds
        workload.note(nowSeconds)
        var actions: [RoutingAction] = []
        while let due = offerTimers.popDue(at: nowSeconds, in: slots) {
            guard case .offered(let agent, _) = slots[Int(due.slot)].state else { continue }
            let ticketID = slots[Int(due.slot)].id
            releaseLoad(slot: due.slot, agent: agent)
            exclude(slot: due.slot, agent: agent, now: nowSeconds)
            actions.append(.offerExpired(ticketID: ticketID, agentID: agents[Int(agent)].id))
            actions += requeueOrReview(slot: due.slot, atHead: false)
        }
        while let due = leaseTimers.popDue(at: nowSeconds, in: slots) {
            guard case .leased(let agent, _) = slots[Int(due.slot)].state else { continue }
            let record = slots[Int(due.slot)]
            releaseLoad(slot: due.slot, agent: agent)
            actions.append(.leaseLapsed(ticketID: record.id, agentID: agents[Int(agent)].id, epoch: record.epoch))
            push(slot: due.slot, atHead: true)
        }
        match(now: nowSeconds, into: &actions)
        offerTimers.cleanTop(in: slots)
        leaseTimers.cleanTop(in: slots)
        relaxationTimers.cleanTop(in: slots)
        breachTimers.cleanTop(in: slots)
        reserveTimers.cleanTop(in: slots)
        exclusionTimers.cleanTop(in: slots)
        return actions
    }
}

/// Where a ticket stands in the engine.
public enum TicketRoutingState: Sendable, Hashable {
    case queued(level: RelaxationLevel, deliveryAttempts: Int)
    case offered(agentID: String, expiresAt: Date)
    case leased(agentID: String, expiresAt: Date)
    case review
}
