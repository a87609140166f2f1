import RingdeskDomain

/// Who may serve whom, outside the engine: the baselines' strict rule and the widest rule any
/// policy uses (the offline optimum's, so that it bounds every policy).
public enum Eligibility {
    /// Primary language subtag, lowercased ("de-CH" → "de"), as the engine compares them.
    public static func primaryLanguage(_ tag: String) -> String {
        String(tag.split(separator: "-", maxSplits: 1).first ?? Substring(tag)).lowercased()
    }

    /// Every required skill at `minLevel - relaxation` (never below 1), the customer's language,
    /// a support tier at least the ticket's. Regions are not a condition (any region may serve).
    public static func canServe(_ agent: TraceAgent, _ ticket: TraceTicket, proficiencyRelaxation: Int = 0) -> Bool {
        guard agent.tier >= ticket.tier else { return false }
        if !agent.languages.isEmpty {
            let language = primaryLanguage(ticket.language)
            guard agent.languages.contains(where: { primaryLanguage($0) == language }) else { return false }
        }
        for requirement in ticket.requiredSkills {
            let needed = max(1, requirement.minLevel - proficiencyRelaxation)
            guard (agent.skills[requirement.skill] ?? 0) >= needed else { return false }
        }
        return true
    }

    /// The baselines' rule: every minimum level met.
    public static func strict(_ agent: TraceAgent, _ ticket: TraceTicket) -> Bool {
        canServe(agent, ticket, proficiencyRelaxation: 0)
    }

    /// Whether the agent works in the ticket's region (no regions: at home everywhere).
    public static func inRegion(_ agent: TraceAgent, _ ticket: TraceTicket) -> Bool {
        agent.regions.isEmpty || agent.regions.contains(ticket.region)
    }

    /// What eligibility depends on (requirements, primary language, tier): tickets with the same
    /// class are served by the same agents, so policies queue and cache per class.
    struct TicketClass: Hashable {
        var requirements: [SkillRequirement]
        var language: String
        var tier: SupportTier

        init(_ ticket: TraceTicket) {
            requirements = ticket.requiredSkills.sorted { ($0.skill, $0.minLevel) < ($1.skill, $1.minLevel) }
            language = Eligibility.primaryLanguage(ticket.language)
            tier = ticket.tier
        }
    }
}
