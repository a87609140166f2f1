import Foundation

/// Why an agent got a ticket: every term of the matching score, in seconds of priority.
/// `total` is their sum; the engine picks the highest total. Shown to supervisors on the ticket.
public struct ScoreBreakdown: Sendable, Codable, Hashable {
    /// Seconds past the first-response deadline (negative: seconds left). Earliest deadline first.
    public var slack: Double
    /// Minus `breachDemotion` once the deadline passed while the ticket was queued: breached
    /// tickets stop crowding out tickets that can still make their deadline.
    public var breach: Double
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
    /// `balanceWeight` × (pooled utilisation − the agent's) so far: work goes to the less busy.
    public var balance: Double
    /// `preferredAgentBonus` when the agent handled this customer last.
    public var stickiness: Double
    /// `scarcityBonus` / agents eligible for the ticket's signature: scarce skills go first to
    /// the tickets that need them.
    public var scarcity: Double
    /// The relaxation level the ticket had reached.
    public var level: RelaxationLevel
    public var total: Double

    public init(slack: Double, breach: Double = 0, urgency: Double, waited: Double, skillFit: Double, proficiency: Double,
                region: Double, idle: Double, balance: Double = 0, stickiness: Double, scarcity: Double = 0, level: RelaxationLevel) {
        self.slack = slack
        self.breach = breach
        self.urgency = urgency
        self.waited = waited
        self.skillFit = skillFit
        self.proficiency = proficiency
        self.region = region
        self.idle = idle
        self.balance = balance
        self.stickiness = stickiness
        self.scarcity = scarcity
        self.level = level
        self.total = slack + breach + urgency + waited + skillFit + proficiency + region + idle + balance + stickiness + scarcity
    }

    enum CodingKeys: String, CodingKey {
        case slack, breach, urgency, waited
        case skillFit = "skill_fit"
        case proficiency, region, idle, balance, stickiness, scarcity, level, total
    }

    /// Decisions recorded before a term existed decode with that term at 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        slack = try c.decode(Double.self, forKey: .slack)
        breach = try c.decodeIfPresent(Double.self, forKey: .breach) ?? 0
        urgency = try c.decode(Double.self, forKey: .urgency)
        waited = try c.decode(Double.self, forKey: .waited)
        skillFit = try c.decode(Double.self, forKey: .skillFit)
        proficiency = try c.decode(Double.self, forKey: .proficiency)
        region = try c.decode(Double.self, forKey: .region)
        idle = try c.decode(Double.self, forKey: .idle)
        balance = try c.decodeIfPresent(Double.self, forKey: .balance) ?? 0
        stickiness = try c.decode(Double.self, forKey: .stickiness)
        scarcity = try c.decodeIfPresent(Double.self, forKey: .scarcity) ?? 0
        level = try c.decode(RelaxationLevel.self, forKey: .level)
        total = try c.decode(Double.self, forKey: .total)
    }

    /// Flat string form for event details ("why this agent" on the ticket's history).
    public var details: [String: String] {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        return [
            "score_total": f(total), "score_slack": f(slack), "score_breach": f(breach), "score_urgency": f(urgency),
            "score_waited": f(waited), "score_skill_fit": f(skillFit), "score_proficiency": f(proficiency),
            "score_region": f(region), "score_idle": f(idle), "score_balance": f(balance), "score_stickiness": f(stickiness), "score_scarcity": f(scarcity),
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
