import Foundation
import RingdeskDomain
import RingdeskRouting

/// Ringdesk's policy: drives the real `RoutingEngine` (no re-implementation). Arrivals are
/// enqueued with the first-response due date as the deadline; shift starts and ends are presence
/// changes; `advance(to:)` runs at every event and at the engine's `nextDeadline`; offers are
/// answered as each agent's `behaviour` says (seeded: rejected, left to expire, accepted with a
/// lease that lapses, or accepted — after `acceptDelay`; `rejectProbability` rejects on top);
/// finished work is `complete`d. When some agent lets leases lapse, leases last the engine's
/// `lease_duration` and every other held ticket is renewed at half of it (a healthy client). The trace's per-agent capacity is given to the engine on a single channel (chat)
/// and every ticket is routed on that channel, so the engine's per-channel load equals the
/// agent's total load.
public struct EnginePolicy: RoutingPolicy {
    public struct Options: Sendable, Hashable {
        /// Seconds between an offer and its acceptance (the agent is reserved meanwhile).
        public var acceptDelay: Double
        /// Chance that an agent rejects an offer (the engine re-offers to someone else).
        public var rejectProbability: Double
        public var seed: UInt64

        public init(acceptDelay: Double = 0, rejectProbability: Double = 0, seed: UInt64 = 1) {
            self.acceptDelay = acceptDelay
            self.rejectProbability = rejectProbability
            self.seed = seed
        }
    }

    public let name: String
    /// The engine's relaxation ladder with its timers, from the configuration it runs with.
    public let eligibility: String
    let trace: Trace
    let options: Options
    public private(set) var engine: RoutingEngine
    var random: SeededGenerator
    let ticketIndex: [String: Int]
    let agentIndex: [String: Int]
    var known: [Bool]
    var onShift: [Bool]
    /// Accepted offers waiting for their acceptance instant (only with an accept delay).
    var pending: [(ticket: Int, agent: Int, at: Double)] = []
    /// Assignments per relaxation level the ticket had reached (why this agent).
    public private(set) var levelCounts: [RelaxationLevel: Int] = [:]
    /// Offers rejected by the simulated agents, and tickets the engine moved to review.
    public private(set) var rejections = 0
    public private(set) var reviewed = 0
    /// Offers made, left unanswered (expired), and accepted ones whose lease lapsed.
    public private(set) var offers = 0
    public private(set) var unanswered = 0
    public private(set) var expired = 0
    public private(set) var lapsed = 0
    /// Per ticket index: the score breakdown of the last decision made for it.
    public private(set) var scoreBreakdowns: [Int: ScoreBreakdown] = [:]
    /// Tickets in work under a lease to renew: ticket → (agent, next renewal).
    var renewals: [Int: (agent: Int, at: Double)] = [:]
    /// Whether leases are modelled (some agent lets them lapse).
    let modelsLeases: Bool

    /// The configuration the simulator uses by default: the engine's defaults, the trace's
    /// neighbouring regions, and a lease long enough that a perfect client never lets it lapse
    /// (unless some agent's behaviour lets leases lapse: then renewals are modelled).
    public static func simulationConfiguration(for trace: Trace, base: RoutingConfiguration = .defaults) -> RoutingConfiguration {
        var configuration = base
        if configuration.neighbourRegions.isEmpty { configuration.neighbourRegions = trace.neighbourRegions }
        if !trace.agents.contains(where: { $0.behaviour.leaseLapse > 0 }) {
            configuration.leaseDuration = max(configuration.leaseDuration, 30 * 86400)
        }
        return configuration
    }

    public init(trace: Trace, configuration: RoutingConfiguration? = nil, options: Options = Options(), name: String = "engine") throws {
        self.trace = trace
        self.options = options
        self.name = name
        let used = configuration ?? Self.simulationConfiguration(for: trace)
        engine = try RoutingEngine(configuration: used)
        eligibility = Self.describeEligibility(used)
        random = SeededGenerator(seed: options.seed)
        ticketIndex = Dictionary(uniqueKeysWithValues: trace.tickets.enumerated().map { ($1.id, $0) })
        agentIndex = Dictionary(uniqueKeysWithValues: trace.agents.enumerated().map { ($1.id, $0) })
        known = Array(repeating: false, count: trace.agents.count)
        onShift = Array(repeating: false, count: trace.agents.count)
        modelsLeases = trace.agents.contains { $0.behaviour.leaseLapse > 0 }
    }

    /// "relaxing: exact skills in region, min_level-1 after 10 s, neighbours after 20 s, any region after 40 s".
    static func describeEligibility(_ c: RoutingConfiguration) -> String {
        let steps = c.relaxationSteps.map { String(format: "%.0f", $0) }
        func at(_ i: Int) -> String { i < steps.count ? steps[i] : "?" }
        return "relaxing: exact skills in region (or wider at once when nobody on duty can take it), "
            + "skills down to min_level-\(c.proficiencyRelaxation) after \(at(1)) s, neighbouring regions after \(at(2)) s, "
            + "any region after \(at(3)) s; language, tier"
    }

    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    public var nextWakeUp: Double? {
        let deadline = engine.nextDeadline?.timeIntervalSince1970 ?? .infinity
        let accept = pending.map(\.at).min() ?? .infinity
        let renew = renewals.values.lazy.map(\.at).min() ?? .infinity
        let next = min(deadline, accept, renew)
        return next.isFinite ? next : nil
    }

    public mutating func ticketArrived(_ index: Int, at now: Double) throws {
        let ticket = trace.tickets[index]
        let actions = try engine.enqueue(RoutingTicket(
            id: ticket.id, requirements: ticket.requiredSkills, language: ticket.language, region: ticket.region,
            channel: .chat, urgency: ticket.urgency, supportTier: ticket.tier, waitingSince: Self.date(ticket.arrival),
            dueAt: Self.date(ticket.firstResponseDue), preferredAgentID: ticket.preferredAgent))
        note(actions)
    }

    public mutating func agentOnShift(_ index: Int, at now: Double) throws {
        onShift[index] = true
        if known[index] {
            try engine.setPresence(agentID: trace.agents[index].id, .available, at: Self.date(now))
            return
        }
        known[index] = true
        let agent = trace.agents[index]
        try engine.upsertAgent(RoutingAgent(
            id: agent.id, skills: agent.skills, languages: agent.languages, regions: agent.regions,
            supportTier: agent.tier, capacity: [.chat: agent.capacity], presence: .available, idleSince: Self.date(now)))
    }

    public mutating func agentOffShift(_ index: Int, at now: Double) throws {
        onShift[index] = false
        try engine.setPresence(agentID: trace.agents[index].id, .offline, at: Self.date(now))
    }

    public mutating func workFinished(ticket: Int, agent: Int, at now: Double) throws {
        renewals[ticket] = nil
        try engine.complete(ticketID: trace.tickets[ticket].id, agentID: trace.agents[agent].id, at: Self.date(now))
    }

    public mutating func idleEligible(at now: Double) -> [IdleEligible]? {
        engine.idleEligibleTickets(at: Self.date(now)).compactMap { entry in
            ticketIndex[entry.ticketID].map { IdleEligible(ticket: $0, behindExcludedHead: entry.behindExcludedHead) }
        }
    }

    public var counters: [String: Int] {
        var counts = ["offers": offers, "rejected": rejections, "unanswered": unanswered, "offers_expired": expired,
                      "leases_lapsed": lapsed, "reviewed": reviewed]
        // Offers per relaxation level the ticket had reached (level 0 is no relaxation).
        for level in RelaxationLevel.allCases { counts["offers_at_\(level.name)"] = levelCounts[level] ?? 0 }
        return counts
    }

    /// How the agent answers one offer.
    enum Answer { case accept, reject, unanswered, lapse }

    mutating func answer(by agent: Int) -> Answer {
        if options.rejectProbability > 0, random.chance(options.rejectProbability) { return .reject }
        let behaviour = trace.agents[agent].behaviour
        guard behaviour != .perfect else { return .accept }  // no draw: perfect runs stay as they were
        let draw = random.unit()
        if draw < behaviour.reject { return .reject }
        if draw < behaviour.reject + behaviour.unanswered { return .unanswered }
        if draw < behaviour.reject + behaviour.unanswered + behaviour.leaseLapse { return .lapse }
        return .accept
    }

    public mutating func assignments(_ view: SimulationView) throws -> [Assignment] {
        let now = view.now
        var result: [Assignment] = []
        // Acceptances now due (an agent who left meanwhile rejects).
        let due = pending.filter { $0.at <= now }
        pending.removeAll { $0.at <= now }
        for offer in due {
            try settle(offer.ticket, offer.agent, accept: onShift[offer.agent], now: now, into: &result)
        }
        // A healthy client renews the lease of the work in hand.
        for (ticket, held) in renewals where held.at <= now {
            let expiry = try engine.renewLease(ticketID: trace.tickets[ticket].id, agentID: trace.agents[held.agent].id, at: Self.date(now))
            renewals[ticket] = (held.agent, now + (expiry.timeIntervalSince1970 - now) / 2)
        }
        // New decisions; a rejection frees the agent, so advance again until nothing changes.
        var rounds = 0
        while true {
            rounds += 1
            var rejected = false
            for action in engine.advance(to: Self.date(now)) {
                guard case .decide(let decision) = action else { note([action]); continue }
                guard let t = ticketIndex[decision.ticketID], let a = agentIndex[decision.agentID] else {
                    throw SimulationError(.policyViolation, "engine offered unknown \(decision.ticketID) → \(decision.agentID)")
                }
                levelCounts[decision.score.level, default: 0] += 1
                scoreBreakdowns[t] = decision.score
                offers += 1
                switch answer(by: a) {
                case .reject:
                    try settle(t, a, accept: false, now: now, into: &result)
                    rejected = true
                case .unanswered:
                    unanswered += 1  // the engine expires it after offer_timeout
                case .lapse:
                    // Accepted, but the client dies: nothing starts, the lease is never renewed.
                    lapsed += 1
                    try engine.accept(ticketID: decision.ticketID, agentID: decision.agentID, at: Self.date(now))
                case .accept where options.acceptDelay <= 0:
                    try settle(t, a, accept: true, now: now, into: &result)
                case .accept:
                    pending.append((t, a, now + options.acceptDelay))
                }
            }
            if !rejected || rounds > 64 { return result }
        }
    }

    mutating func settle(_ ticket: Int, _ agent: Int, accept: Bool, now: Double, into result: inout [Assignment]) throws {
        let (ticketID, agentID) = (trace.tickets[ticket].id, trace.agents[agent].id)
        if accept {
            // An acceptance after the offer timed out is refused by the engine: the ticket was
            // already re-queued, so the agent simply does not get it.
            guard let expiry = try? engine.accept(ticketID: ticketID, agentID: agentID, at: Self.date(now)) else { return }
            result.append(Assignment(ticket: ticket, agent: agent))
            if modelsLeases { renewals[ticket] = (agent, now + (expiry.timeIntervalSince1970 - now) / 2) }
        } else {
            rejections += 1
            note(try engine.reject(ticketID: ticketID, agentID: agentID, at: Self.date(now)))
        }
    }

    mutating func note(_ actions: [RoutingAction]) {
        for action in actions {
            switch action {
            case .movedToReview: reviewed += 1
            case .offerExpired: expired += 1
            case .decide, .leaseLapsed: break
            }
        }
    }
}
