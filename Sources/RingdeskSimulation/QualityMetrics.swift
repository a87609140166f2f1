import RingdeskDomain

/// Routing quality of one run. Waits are arrival → start of work; a ticket never started counts
/// as waiting until the trace's horizon and misses both SLAs. Attainments are shares of all
/// tickets in [0, 1]. Utilisation is an agent's handling seconds / (capacity × shift seconds).
public struct QualityMetrics: Sendable, Codable, Hashable {
    public var policy: String
    /// Who may serve whom under the policy (comparisons name each policy's eligibility).
    public var eligibility: String
    public var tickets: Int
    public var started: Int
    public var meanWait: Double
    public var p90Wait: Double
    public var redP90Wait: Double
    /// Longest wait of any ticket, and of a ticket that missed its first response (breached).
    public var maxWait: Double
    public var maxBreachedWait: Double
    /// First-response SLA attainment overall.
    public var firstResponseAttainment: Double
    /// Met tickets (first response) — the number the optimum maximises.
    public var firstResponseMet: Int
    public var firstResponseByUrgency: [String: Double]
    public var resolutionAttainment: Double
    /// Share of assignments where the agent met every minimum level.
    public var skillFit: Double
    /// Mean over assignments of (agent level − minimum level), averaged over requirements.
    public var meanLevelExcess: Double
    /// Share of assignments to an agent outside the customer's region.
    public var crossRegionShare: Double
    /// Tickets with a preferred agent, and how many of them that agent took.
    public var preferredTickets: Int
    public var preferredHits: Int
    public var meanUtilisation: Double
    public var maxUtilisation: Double
    /// max / mean − 1: how much more the busiest agent worked than the average.
    public var utilisationSpread: Double
    /// Idle-eligible waiting (policies that report it): per ticket, the seconds it waited while
    /// a free agent who may take it (at its current relaxation level, not excluded from it, not
    /// holding back for scarcer work) sat idle. Percentiles over all tickets, nearest rank.
    public var idleEligibleP50: Double?
    public var idleEligibleP99: Double?
    public var idleEligibleMax: Double?
    /// Tickets with any idle-eligible waiting.
    public var idleEligibleTickets: Int?
    /// Tickets that waited idle-eligible only because their queue's head excluded that agent.
    public var starvedBehindExcludedHead: Int?
    /// The policy's own counts (the engine: offers, rejected, unanswered, offers_expired, …).
    public var counters: [String: Int]?

    enum CodingKeys: String, CodingKey {
        case policy, eligibility, tickets, started
        case meanWait = "mean_wait_s"
        case p90Wait = "p90_wait_s"
        case redP90Wait = "red_p90_wait_s"
        case maxWait = "max_wait_s"
        case maxBreachedWait = "max_breached_wait_s"
        case firstResponseAttainment = "fr_sla"
        case firstResponseMet = "fr_met"
        case firstResponseByUrgency = "fr_sla_by_urgency"
        case resolutionAttainment = "resolution_sla"
        case skillFit = "skill_fit"
        case meanLevelExcess = "mean_level_excess"
        case crossRegionShare = "cross_region_share"
        case preferredTickets = "preferred_tickets"
        case preferredHits = "preferred_hits"
        case meanUtilisation = "utilisation_mean"
        case maxUtilisation = "utilisation_max"
        case utilisationSpread = "utilisation_spread"
        case idleEligibleP50 = "idle_eligible_p50_s"
        case idleEligibleP99 = "idle_eligible_p99_s"
        case idleEligibleMax = "idle_eligible_max_s"
        case idleEligibleTickets = "idle_eligible_tickets"
        case starvedBehindExcludedHead = "starved_behind_excluded_head"
        case counters
    }

    public init(trace: Trace, outcome: SimulationOutcome) {
        policy = outcome.policy
        eligibility = outcome.eligibility
        tickets = trace.tickets.count
        var waits: [Double] = []
        var redWaits: [Double] = []
        var met = 0
        var resolved = 0
        var byUrgency: [Urgency: (met: Int, all: Int)] = [:]
        var assigned = 0
        var fit = 0
        var excess = 0.0
        var crossRegion = 0
        var breachedMax = 0.0
        var preferred = 0, hits = 0
        for (i, ticket) in trace.tickets.enumerated() {
            let start = outcome.start[i]
            let wait = (start ?? max(outcome.horizon, ticket.arrival)) - ticket.arrival
            waits.append(wait)
            if ticket.urgency == .red { redWaits.append(wait) }
            let onTime = start.map { $0 <= ticket.firstResponseDue } ?? false
            if onTime { met += 1 } else { breachedMax = max(breachedMax, wait) }
            byUrgency[ticket.urgency, default: (0, 0)].all += 1
            if onTime { byUrgency[ticket.urgency, default: (0, 0)].met += 1 }
            if let start, start + ticket.handling <= ticket.resolutionDue { resolved += 1 }
            if ticket.preferredAgent != nil { preferred += 1 }
            guard let a = outcome.agent[i] else { continue }
            let agent = trace.agents[a]
            if ticket.preferredAgent == agent.id { hits += 1 }
            assigned += 1
            if Eligibility.strict(agent, ticket) { fit += 1 }
            if !ticket.requiredSkills.isEmpty {
                let sum = ticket.requiredSkills.reduce(0) { $0 + (agent.skills[$1.skill] ?? 0) - $1.minLevel }
                excess += Double(sum) / Double(ticket.requiredSkills.count)
            }
            if !Eligibility.inRegion(agent, ticket) { crossRegion += 1 }
        }
        let n = Double(max(1, tickets))
        started = assigned
        meanWait = waits.isEmpty ? 0 : waits.reduce(0, +) / Double(waits.count)
        p90Wait = Self.percentile(waits, 0.9)
        redP90Wait = Self.percentile(redWaits, 0.9)
        maxWait = waits.max() ?? 0
        maxBreachedWait = breachedMax
        preferredTickets = preferred
        preferredHits = hits
        firstResponseMet = met
        firstResponseAttainment = Double(met) / n
        firstResponseByUrgency = Dictionary(uniqueKeysWithValues: byUrgency.map { ($0.key.rawValue, Double($0.value.met) / Double(max(1, $0.value.all))) })
        resolutionAttainment = Double(resolved) / n
        skillFit = assigned == 0 ? 1 : Double(fit) / Double(assigned)
        meanLevelExcess = assigned == 0 ? 0 : excess / Double(assigned)
        crossRegionShare = assigned == 0 ? 0 : Double(crossRegion) / Double(assigned)
        var utilisations: [Double] = []
        for (a, agent) in trace.agents.enumerated() where agent.shiftSeconds > 0 {
            utilisations.append(outcome.busySeconds[a] / (Double(agent.capacity) * agent.shiftSeconds))
        }
        meanUtilisation = utilisations.isEmpty ? 0 : utilisations.reduce(0, +) / Double(utilisations.count)
        maxUtilisation = utilisations.max() ?? 0
        utilisationSpread = meanUtilisation > 0 ? maxUtilisation / meanUtilisation - 1 : 0
        if let idle = outcome.idleEligibleWait {
            idleEligibleP50 = Self.percentile(idle, 0.5)
            idleEligibleP99 = Self.percentile(idle, 0.99)
            idleEligibleMax = idle.max() ?? 0
            idleEligibleTickets = idle.filter { $0 > 0 }.count
            starvedBehindExcludedHead = outcome.starvedBehindExcludedHead.filter { $0 }.count
        }
        counters = outcome.counters.isEmpty ? nil : outcome.counters
    }

    /// Nearest-rank percentile (0 for an empty list).
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }
}
