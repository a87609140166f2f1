import Foundation
import RingdeskDomain

/// How wide the set of agents who may take a waiting ticket is. Each level includes the previous
/// ones; a ticket moves up as it waits (`RoutingConfiguration.relaxationSteps`).
public enum RelaxationLevel: Int, Sendable, Codable, Hashable, Comparable, CaseIterable {
    /// Every required skill at its minimum level, an agent of the customer's region.
    case exactSkillsInRegion = 0
    /// Skills down to `minLevel - proficiencyRelaxation` (never below 1), same region.
    case lowerProficiency = 1
    /// As `lowerProficiency`, also agents of the region's neighbours.
    case neighbouringRegions = 2
    /// As `lowerProficiency`, agents of any region.
    case anyQualified = 3

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var name: String {
        switch self {
        case .exactSkillsInRegion: "exact_skills_in_region"
        case .lowerProficiency: "lower_proficiency"
        case .neighbouringRegions: "neighbouring_regions"
        case .anyQualified: "any_qualified"
        }
    }
}

/// The routing engine's policy: score weights, relaxation timers, offer and lease durations,
/// delivery limit. Every score term is expressed in seconds of deadline, so a weight reads as
/// "worth moving this ticket N seconds earlier in the queue".
public struct RoutingConfiguration: Sendable, Codable, Hashable {
    /// Seconds added to a ticket's priority per urgency rank (green 0, yellow 1, red 2).
    public var urgencyLead: TimeInterval
    /// Seconds of priority per second waited (0.1: ten minutes of waiting is worth one minute).
    public var waitWeight: Double
    /// Bonus for an agent of the customer's own region; half of it for a neighbouring region.
    public var regionBonus: TimeInterval
    /// Bonus for an exact skill fit, shrinking as the agent is over-qualified (keeps experts free).
    public var skillFitBonus: TimeInterval
    /// Bonus proportional to the agent's mean proficiency in the required skills (level / 5).
    public var proficiencyBonus: TimeInterval
    /// Penalty per proficiency level below a requirement (only after relaxation allows it).
    public var underQualifiedPenalty: TimeInterval
    /// Bonus for the customer's previous agent (soft stickiness).
    public var preferredAgentBonus: TimeInterval
    /// Scarcity: a free agent prefers tickets few agents can serve; the bonus is this divided by
    /// the number of agents eligible for the ticket's signature (keeps scarce skills for the
    /// tickets that need them).
    public var scarcityBonus: TimeInterval
    /// Bonus per second an agent has been idle, capped at `idleCap` (longest-idle fairness).
    public var idleWeight: Double
    public var idleCap: TimeInterval
    /// Load balance: seconds of score per unit of utilisation an agent is below the pooled
    /// utilisation so far (negative above it), so work goes to whoever has had least of it.
    public var balanceWeight: Double
    /// Seconds a queued ticket drops back by once its first-response deadline has passed (0: never).
    /// A breached ticket can no longer meet its SLA, so it stops crowding out tickets that still
    /// can (where a skill is overloaded, serving breached tickets first makes every later one
    /// miss too). Breached tickets keep their order among themselves and are served whenever an
    /// agent has nothing that can still make it; the default (a day) puts them behind every
    /// ticket that is on time, a smaller value lets them catch up after that many seconds.
    public var breachDemotion: TimeInterval
    /// The same for red tickets (at least 1 s when `breachDemotion` is on; default two hours). Red tickets are the
    /// ones a supervisor watches: a short drop-back lets on-time work go first for a while and
    /// then serves a late red ticket before the long tail of late work (issue 18: with a day of
    /// demotion, red p90 waits were longer than under FIFO on 72 of 200 random days).
    public var redBreachDemotion: TimeInterval
    /// Reservation pays only when someone else takes the ticket meanwhile: an agent holds back
    /// only while another free agent who is not itself a reserve for the ticket may take it now
    /// (false: the issue-4 rule alone, which idles scarce agents next to waiting work under overload).
    public var reserveOnlyWithCover: Bool
    /// Reservation: an agent holds back from a ticket that many others can serve when some
    /// signature it serves has more than `reserveRatio` times fewer eligible agents (a scarcity
    /// term that many times larger), so scarce skills are free when their tickets arrive.
    /// 0 turns reservation off.
    public var reserveRatio: Double
    /// A held-back agent still takes the ticket from this many seconds before its first-response
    /// deadline on (and after it): the scarce agent is the overflow when nobody else came.
    public var reserveLead: TimeInterval
    /// Reservation applies only while the agent's utilisation so far is more than this above the
    /// pooled utilisation of all agents (utilisation points; -1: always). Keeps an agent whose
    /// scarce work is light busy with common work, so load stays even.
    public var reserveMargin: Double
    /// Nobody holds back from tickets that fewer than this many agents can serve: they are
    /// scarce work themselves.
    public var reserveCommonAgents: Int
    /// Seconds after which a free agent that held back from waiting work is looked at again: its
    /// utilisation falls while it idles, so the hold-back can end without any event.
    public var reserveRecheck: TimeInterval
    /// Seconds waited before each level opens, in level order; the first must be 0.
    public var relaxationSteps: [TimeInterval]
    /// Proficiency levels a requirement drops by from `lowerProficiency` on.
    public var proficiencyRelaxation: Int
    /// Neighbouring regions of each region (symmetric pairs need both entries).
    public var neighbourRegions: [String: [String]]
    /// Seconds an agent has to accept an offer.
    public var offerTimeout: TimeInterval
    /// Seconds an accepted assignment is held without a renewal from the agent's client.
    public var leaseDuration: TimeInterval
    /// Offers a ticket may receive before it goes to the supervisors' review queue.
    public var maxDeliveryAttempts: Int
    /// Most recent agents remembered as excluded from re-offers of one ticket.
    public var maxExcludedAgents: Int
    /// Seconds an agent who declined a ticket or let its offer lapse is kept from re-offers of
    /// it. Afterwards the agent may be offered it again (when nobody better took it), so a
    /// ticket only one agent can take is re-offered until `maxDeliveryAttempts` rather than
    /// reviewed at the first refusal. 0: exclusions last until the ticket is transferred,
    /// escalated or reopened, and a ticket every eligible agent refused goes to review at once
    /// (`no_eligible_agent`).
    public var exclusionExpiry: TimeInterval

    public init(
        urgencyLead: TimeInterval = 120,
        waitWeight: Double = 0.1,
        regionBonus: TimeInterval = 60,
        skillFitBonus: TimeInterval = 30,
        proficiencyBonus: TimeInterval = 20,
        underQualifiedPenalty: TimeInterval = 60,
        preferredAgentBonus: TimeInterval = 90,
        scarcityBonus: TimeInterval = 600,
        idleWeight: Double = 0.05,
        idleCap: TimeInterval = 1800,
        balanceWeight: Double = 1200,
        breachDemotion: TimeInterval = 86_400,
        redBreachDemotion: TimeInterval = 7200,
        reserveOnlyWithCover: Bool = false,
        reserveRatio: Double = 4,
        reserveLead: TimeInterval = 60,
        reserveMargin: Double = -0.03,
        reserveCommonAgents: Int = 4,
        reserveRecheck: TimeInterval = 5,
        relaxationSteps: [TimeInterval] = [0, 10, 20, 40],
        proficiencyRelaxation: Int = 1,
        neighbourRegions: [String: [String]] = [:],
        offerTimeout: TimeInterval = 30,
        leaseDuration: TimeInterval = 600,
        maxDeliveryAttempts: Int = 5,
        maxExcludedAgents: Int = 16,
        exclusionExpiry: TimeInterval = 120
    ) {
        self.urgencyLead = urgencyLead
        self.waitWeight = waitWeight
        self.regionBonus = regionBonus
        self.skillFitBonus = skillFitBonus
        self.proficiencyBonus = proficiencyBonus
        self.underQualifiedPenalty = underQualifiedPenalty
        self.preferredAgentBonus = preferredAgentBonus
        self.scarcityBonus = scarcityBonus
        self.idleWeight = idleWeight
        self.idleCap = idleCap
        self.balanceWeight = balanceWeight
        self.breachDemotion = breachDemotion
        self.redBreachDemotion = redBreachDemotion
        self.reserveOnlyWithCover = reserveOnlyWithCover
        self.reserveRatio = reserveRatio
        self.reserveLead = reserveLead
        self.reserveMargin = reserveMargin
        self.reserveCommonAgents = reserveCommonAgents
        self.reserveRecheck = reserveRecheck
        self.relaxationSteps = relaxationSteps
        self.proficiencyRelaxation = proficiencyRelaxation
        self.neighbourRegions = neighbourRegions
        self.offerTimeout = offerTimeout
        self.leaseDuration = leaseDuration
        self.maxDeliveryAttempts = maxDeliveryAttempts
        self.maxExcludedAgents = maxExcludedAgents
        self.exclusionExpiry = exclusionExpiry
    }

    public static let defaults = RoutingConfiguration()

    /// Keys left out keep their defaults, so a config file can change one thing.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RoutingConfiguration.defaults
        urgencyLead = try c.decodeIfPresent(TimeInterval.self, forKey: .urgencyLead) ?? d.urgencyLead
        waitWeight = try c.decodeIfPresent(Double.self, forKey: .waitWeight) ?? d.waitWeight
        regionBonus = try c.decodeIfPresent(TimeInterval.self, forKey: .regionBonus) ?? d.regionBonus
        skillFitBonus = try c.decodeIfPresent(TimeInterval.self, forKey: .skillFitBonus) ?? d.skillFitBonus
        proficiencyBonus = try c.decodeIfPresent(TimeInterval.self, forKey: .proficiencyBonus) ?? d.proficiencyBonus
        underQualifiedPenalty = try c.decodeIfPresent(TimeInterval.self, forKey: .underQualifiedPenalty) ?? d.underQualifiedPenalty
        preferredAgentBonus = try c.decodeIfPresent(TimeInterval.self, forKey: .preferredAgentBonus) ?? d.preferredAgentBonus
        scarcityBonus = try c.decodeIfPresent(TimeInterval.self, forKey: .scarcityBonus) ?? d.scarcityBonus
        idleWeight = try c.decodeIfPresent(Double.self, forKey: .idleWeight) ?? d.idleWeight
        idleCap = try c.decodeIfPresent(TimeInterval.self, forKey: .idleCap) ?? d.idleCap
        balanceWeight = try c.decodeIfPresent(Double.self, forKey: .balanceWeight) ?? d.balanceWeight
        breachDemotion = try c.decodeIfPresent(TimeInterval.self, forKey: .breachDemotion) ?? d.breachDemotion
        redBreachDemotion = try c.decodeIfPresent(TimeInterval.self, forKey: .redBreachDemotion) ?? d.redBreachDemotion
        reserveOnlyWithCover = try c.decodeIfPresent(Bool.self, forKey: .reserveOnlyWithCover) ?? d.reserveOnlyWithCover
        reserveRatio = try c.decodeIfPresent(Double.self, forKey: .reserveRatio) ?? d.reserveRatio
        reserveLead = try c.decodeIfPresent(TimeInterval.self, forKey: .reserveLead) ?? d.reserveLead
        reserveMargin = try c.decodeIfPresent(Double.self, forKey: .reserveMargin) ?? d.reserveMargin
        reserveCommonAgents = try c.decodeIfPresent(Int.self, forKey: .reserveCommonAgents) ?? d.reserveCommonAgents
        reserveRecheck = try c.decodeIfPresent(TimeInterval.self, forKey: .reserveRecheck) ?? d.reserveRecheck
        relaxationSteps = try c.decodeIfPresent([TimeInterval].self, forKey: .relaxationSteps) ?? d.relaxationSteps
        proficiencyRelaxation = try c.decodeIfPresent(Int.self, forKey: .proficiencyRelaxation) ?? d.proficiencyRelaxation
        neighbourRegions = try c.decodeIfPresent([String: [String]].self, forKey: .neighbourRegions) ?? d.neighbourRegions
        offerTimeout = try c.decodeIfPresent(TimeInterval.self, forKey: .offerTimeout) ?? d.offerTimeout
        leaseDuration = try c.decodeIfPresent(TimeInterval.self, forKey: .leaseDuration) ?? d.leaseDuration
        maxDeliveryAttempts = try c.decodeIfPresent(Int.self, forKey: .maxDeliveryAttempts) ?? d.maxDeliveryAttempts
        maxExcludedAgents = try c.decodeIfPresent(Int.self, forKey: .maxExcludedAgents) ?? d.maxExcludedAgents
        exclusionExpiry = try c.decodeIfPresent(TimeInterval.self, forKey: .exclusionExpiry) ?? d.exclusionExpiry
    }

    enum CodingKeys: String, CodingKey {
        case urgencyLead = "urgency_lead"
        case waitWeight = "wait_weight"
        case regionBonus = "region_bonus"
        case skillFitBonus = "skill_fit_bonus"
        case proficiencyBonus = "proficiency_bonus"
        case underQualifiedPenalty = "under_qualified_penalty"
        case preferredAgentBonus = "preferred_agent_bonus"
        case scarcityBonus = "scarcity_bonus"
        case idleWeight = "idle_weight"
        case idleCap = "idle_cap"
        case balanceWeight = "balance_weight"
        case breachDemotion = "breach_demotion"
        case redBreachDemotion = "red_breach_demotion"
        case reserveOnlyWithCover = "reserve_only_with_cover"
        case reserveRatio = "reserve_ratio"
        case reserveLead = "reserve_lead"
        case reserveMargin = "reserve_margin"
        case reserveCommonAgents = "reserve_common_agents"
        case reserveRecheck = "reserve_recheck"
        case relaxationSteps = "relaxation_steps"
        case proficiencyRelaxation = "proficiency_relaxation"
        case neighbourRegions = "neighbour_regions"
        case offerTimeout = "offer_timeout"
        case leaseDuration = "lease_duration"
        case maxDeliveryAttempts = "max_delivery_attempts"
        case maxExcludedAgents = "max_excluded_agents"
        case exclusionExpiry = "exclusion_expiry"
    }

    /// Throws `RoutingError.invalidConfiguration` naming the first bad key.
    public func validated() throws -> RoutingConfiguration {
        func check(_ ok: Bool, _ key: String, _ why: String) throws {
            if !ok { throw RoutingError(.invalidConfiguration, "routing.\(key) \(why)") }
        }
        for (key, value) in [("urgency_lead", urgencyLead), ("wait_weight", waitWeight), ("region_bonus", regionBonus),
                             ("skill_fit_bonus", skillFitBonus), ("proficiency_bonus", proficiencyBonus),
                             ("under_qualified_penalty", underQualifiedPenalty),
                             ("preferred_agent_bonus", preferredAgentBonus), ("scarcity_bonus", scarcityBonus), ("idle_weight", idleWeight),
                             ("idle_cap", idleCap), ("balance_weight", balanceWeight), ("breach_demotion", breachDemotion),
                             ("red_breach_demotion", redBreachDemotion),
                             ("reserve_ratio", reserveRatio), ("reserve_lead", reserveLead), ("exclusion_expiry", exclusionExpiry)] {
            try check(value.isFinite && value >= 0, key, "must be a finite number ≥ 0")
        }
        try check(relaxationSteps.count == RelaxationLevel.allCases.count, "relaxation_steps",
                  "must list \(RelaxationLevel.allCases.count) timers (one per level)")
        try check(relaxationSteps.first == 0, "relaxation_steps", "must start with 0")
        try check(zip(relaxationSteps, relaxationSteps.dropFirst()).allSatisfy { $0 <= $1 && $1.isFinite },
                  "relaxation_steps", "must be finite and non-decreasing")
        try check(reserveCommonAgents >= 0, "reserve_common_agents", "must be ≥ 0")
        try check(reserveRecheck.isFinite && reserveRecheck > 0, "reserve_recheck", "must be > 0")
        try check(reserveMargin.isFinite && reserveMargin >= -1, "reserve_margin", "must be a finite number ≥ -1")
        try check((0...4).contains(proficiencyRelaxation), "proficiency_relaxation", "must be between 0 and 4")
        try check(offerTimeout.isFinite && offerTimeout > 0, "offer_timeout", "must be > 0")
        try check(leaseDuration.isFinite && leaseDuration > 0, "lease_duration", "must be > 0")
        try check(maxDeliveryAttempts >= 1, "max_delivery_attempts", "must be ≥ 1")
        try check(maxExcludedAgents >= 0, "max_excluded_agents", "must be ≥ 0")
        return self
    }

    /// Seconds a breached ticket of this urgency drops back by (0: never; never 0 for red
    /// tickets while demotion is on, since a demotion of 0 marks a ticket as not yet demoted).
    func demotion(for urgency: Urgency) -> TimeInterval {
        guard breachDemotion > 0 else { return 0 }
        return urgency == .red ? max(1, redBreachDemotion) : breachDemotion
    }

    /// The widest level open to a ticket that has waited `waited` seconds.
    func level(waited: TimeInterval) -> RelaxationLevel {
        var level = RelaxationLevel.exactSkillsInRegion
        for (index, after) in relaxationSteps.enumerated() where waited >= after {
            level = RelaxationLevel(rawValue: index) ?? .anyQualified
        }
        return level
    }
}
