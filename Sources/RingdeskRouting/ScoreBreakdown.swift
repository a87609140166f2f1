import Foundation

/// Why an agent got a ticket: every term of the matching score, in seconds of priority.
/// `total` is their sum; the engine picks the highest total. Shown to supervisors on the ticket.
public struct ScoreBreakdown: Sendable, Codable, Hashable {
    /// Seconds past the first-response deadline (negative: seconds left). Earliest deadline first.
    public var slack: Double
    /// `urgencyLead` × urgency rank.
    public var urgency: Double
    /// `waitWeight` × seconds waited.
    public var waited: Double
    /// Skill fit: full bonus for an exact fit, less when over-qualified, negative below a minimum.
    public var skillFit: Double
    /// `proficiencyBonus` × mean level in the required skills / 5.
    public var proficiency: Double
    /// `regionBonus` for the customer's region, half for a neighbour, 0 otherwise.
    public var region: Double
    /// `idleWeight` × seconds the agent has been idle (capped): longest-idle fairness.
    public var idle: Double
    /// `preferredAgentBonus` when the agent handled this customer last.
    public var stickiness: Double
    /// `scarcityBonus` / agents eligible for the ticket's signature: scarce skills go first to
    /// the tickets that need them.
    public var scarcity: Double
    /// The relaxation level the ticket had reached.
    public var level: RelaxationLevel
    public var total: Double

    public init(slack: Double, urgency: Double, waited: Double, skillFit: Double, proficiency: Double,
                region: Double, idle: Double, stickiness: Double, scarcity: Double = 0, level: RelaxationLevel) {
        self.slack = slack
        self.urgency = urgency
        self.waited = waited
        self.skillFit = skillFit
        self.proficiency = proficiency
        self.region = region
        self.idle = idle
        self.stickiness = stickiness
        self.scarcity = scarcity
        self.level = level
        self.total = slack + urgency + waited + skillFit + proficiency + region + idle + stickiness + scarcity
    }

    enum CodingKeys: String, CodingKey {
        case slack, urgency, waited
        case skillFit = "skill_fit"
        case proficiency, region, idle, stickiness, scarcity, level, total
    }

    /// Flat string form for event details ("why this agent" on the ticket's history).
    public var details: [String: String] {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        return [
            "score_total": f(total), "score_slack": f(slack), "score_urgency": f(urgency),
            "score_waited": f(waited), "score_skill_fit": f(skillFit), "score_proficiency": f(proficiency),
            "score_region": f(region), "score_idle": f(idle), "score_stickiness": f(stickiness), "score_scarcity": f(scarcity),
            "relaxation_level": level.name,
        ]
    }
}

extension RelaxationLevel {
    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let level = Self.allCases.first(where: { $0.name == name }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown level \(name)"))
        }
        self = level
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}
