import RingdeskDomain

/// Reference days of e-commerce after-sales, generated from a name and a seed (same seed, same
/// trace). Arrivals are Poisson over an 8-hour day; every agent is on shift from 0 to 8 h 30 min
/// (the last half hour drains the queue); arrivals and handling times are whole minutes (the
/// optimum script is then exact when its MILP closes). Regions eu-west (en), eu-central (de),
/// eu-south (fr), us-east (en); the eu-* regions neighbour each other. See docs/routing.md.
public enum Scenario: String, Sendable, CaseIterable {
    /// ~80% utilisation, the usual mix.
    case normal
    /// A big sale: arrivals ×3 from 2 h to 4 h, mostly returns and refunds; 12 temps join for
    /// the sale shift (1 h 30 – 8 h 30) and everyone works until 9 h 30. Hard but recoverable.
    case peak
    /// Region outage: eu-central's agents are offline from 2 h to 3 h.
    case outage
    /// Scarce skills: few repair technicians, many VIP complaints (tier l2 only).
    case scarce

    public static let day: Double = 8 * 3600
    public static let neighbours: [String: [String]] = [
        "eu-west": ["eu-central", "eu-south"], "eu-central": ["eu-west", "eu-south"], "eu-south": ["eu-west", "eu-central"],
    ]

    /// A trace; `scale` multiplies the number of agents and the arrival rate (0.5 for quick runs).
    public func trace(seed: UInt64, scale: Double = 1) -> Trace {
        var random = SeededGenerator(seed: seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(Scenario.allCases.firstIndex(of: self)!))
        let agents = makeAgents(scale: scale)
        let tickets = makeTickets(agents: agents, scale: scale, random: &random)
        return Trace(name: "\(rawValue) seed \(seed)\(scale == 1 ? "" : " scale \(scale)")", agents: agents,
                     tickets: tickets, neighbourRegions: Self.neighbours)
    }

    // MARK: Agents

    enum Profile: CaseIterable {
        case generalist, billing, technician, care

        var skills: [String: Int] {
            switch self {
            case .generalist: ["returns": 3, "refunds": 2, "logistics": 3, "general": 3]
            case .billing: ["refunds": 4, "returns": 3, "logistics": 2, "general": 2, "complaints": 2]
            case .technician: ["repairs": 4, "returns": 2, "general": 3]
            case .care: ["complaints": 4, "refunds": 3, "returns": 3, "general": 2]
            }
        }

        var tier: SupportTier { self == .technician || self == .care ? .l2 : .l1 }
    }

    struct Team {
        var region: String
        var languages: [String]
        var counts: [Profile: Int]
    }

    var teams: [Team] {
        switch self {
        case .normal, .outage, .peak:
            [Team(region: "eu-west", languages: ["en"], counts: [.generalist: 3, .billing: 2, .technician: 2, .care: 2]),
             Team(region: "eu-west", languages: ["en", "de"], counts: [.generalist: 1, .technician: 1]),
             Team(region: "eu-west", languages: ["en", "fr"], counts: [.billing: 1]),
             Team(region: "eu-central", languages: ["de", "en"], counts: [.generalist: 3, .billing: 1, .technician: 2, .care: 2]),
             Team(region: "eu-south", languages: ["fr", "en"], counts: [.generalist: 2, .billing: 1, .technician: 1, .care: 1]),
             Team(region: "us-east", languages: ["en"], counts: [.generalist: 3, .billing: 2, .technician: 2, .care: 1])]
        case .scarce:
            [Team(region: "eu-west", languages: ["en"], counts: [.generalist: 3, .billing: 2, .technician: 1, .care: 3]),
             Team(region: "eu-west", languages: ["en", "de"], counts: [.generalist: 1, .care: 1]),
             Team(region: "eu-west", languages: ["en", "fr"], counts: [.billing: 1]),
             Team(region: "eu-central", languages: ["de", "en"], counts: [.generalist: 3, .billing: 1, .technician: 1, .care: 3]),
             Team(region: "eu-south", languages: ["fr", "en"], counts: [.generalist: 2, .billing: 1, .care: 2]),
             Team(region: "us-east", languages: ["en"], counts: [.generalist: 3, .billing: 2, .technician: 1, .care: 2])]
        }
    }

    func makeAgents(scale: Double) -> [TraceAgent] {
        let end = Self.day + 1800
        var agents: [TraceAgent] = []
        for team in teams {
            for profile in Profile.allCases {
                let count = Int((Double(team.counts[profile] ?? 0) * scale).rounded())
                for _ in 0..<count {
                    var shifts = [Shift(0, self == .peak ? end + 3600 : end)]
                    if self == .outage, team.region == "eu-central" { shifts = [Shift(0, 2 * 3600), Shift(3 * 3600, end)] }
                    agents.append(TraceAgent(
                        id: "\(team.region)-\(profile)-\(agents.count + 1)", skills: profile.skills, languages: team.languages,
                        regions: [team.region], tier: profile.tier, capacity: 1, shifts: shifts))
                }
            }
        }
        if self == .peak {
            // Temps for the sale shift: returns and refunds, English and German.
            let temps: [(String, [String], Int)] = [("eu-west", ["en"], 5), ("eu-central", ["de", "en"], 4), ("us-east", ["en"], 3)]
            for (region, languages, count) in temps {
                for _ in 0..<Int((Double(count) * scale).rounded()) {
                    agents.append(TraceAgent(
                        id: "\(region)-temp-\(agents.count + 1)", skills: ["returns": 3, "refunds": 3, "logistics": 2, "general": 2],
                        languages: languages, regions: [region], tier: .l1, capacity: 1, shifts: [Shift(5400, end + 3600)]))
                }
            }
        }
        return agents
    }

    // MARK: Tickets

    /// Tickets per second at scale 1 outside the peak.
    var baseRate: Double {
        switch self {
        case .normal, .outage, .peak: 0.84 * 32 / 440
        case .scarce: 0.82 * 32 / 460
        }
    }

    func mix(at time: Double) -> [(TicketCategory, Double)] {
        if self == .peak, (2 * 3600..<4 * 3600).contains(time) {
            return [(.return, 0.42), (.refund, 0.30), (.logistics, 0.12), (.inquiry, 0.06), (.repair, 0.05), (.complaint, 0.05)]
        }
        if self == .scarce {
            return [(.return, 0.26), (.refund, 0.17), (.logistics, 0.15), (.inquiry, 0.10), (.repair, 0.10), (.complaint, 0.22)]
        }
        return [(.return, 0.28), (.refund, 0.18), (.logistics, 0.18), (.inquiry, 0.12), (.repair, 0.12), (.complaint, 0.12)]
    }

    func makeTickets(agents: [TraceAgent], scale: Double, random: inout SeededGenerator) -> [TraceTicket] {
        var tickets: [TraceTicket] = []
        var time = 0.0
        let rate = baseRate * scale
        let vipShare = self == .scarce ? 0.25 : 0.10
        while true {
            let peak = self == .peak && (2 * 3600..<4 * 3600).contains(time)
            time += random.exponential(mean: 1 / (rate * (peak ? 3 : 1)))
            guard time < Self.day else { break }
            let arrival = (time / 60).rounded(.down) * 60
            let region = random.pick([("eu-west", 0.35), ("eu-central", 0.25), ("eu-south", 0.15), ("us-east", 0.25)])
            let language = switch region {
            case "eu-central": random.chance(0.85) ? "de" : "en"
            case "eu-south": random.chance(0.75) ? "fr" : "en"
            default: "en"
            }
            let category = random.pick(mix(at: arrival))
            let vip = random.chance(category == .complaint ? vipShare * 4 : vipShare)
            var tier = SupportTier.l1
            let (skill, minLevel, meanMinutes, urgencies): (String, Int, Double, [(Urgency, Double)]) = switch category {
            case .return, .exchange: ("returns", random.chance(0.3) ? 3 : 2, 6, [(.red, 0.08), (.yellow, 0.42), (.green, 0.5)])
            case .refund: ("refunds", random.chance(0.3) ? 3 : 2, 7, [(.red, 0.15), (.yellow, 0.5), (.green, 0.35)])
            case .logistics: ("logistics", 2, 5, [(.red, 0.08), (.yellow, 0.37), (.green, 0.55)])
            case .inquiry: ("general", 1, 4, [(.yellow, 0.2), (.green, 0.8)])
            case .repair: ("repairs", 3, 14, [(.red, 0.15), (.yellow, 0.6), (.green, 0.25)])
            case .complaint: ("complaints", vip ? 3 : 2, 11, vip ? [(.red, 1)] : [(.red, 0.2), (.yellow, 0.7), (.green, 0.1)])
            }
            if category == .complaint, vip { tier = .l2 }
            let urgency = random.pick(urgencies)
            let minutes = min(4 * meanMinutes, max(2, (meanMinutes * (0.4 + 0.6 * random.exponential(mean: 1))).rounded()))
            tickets.append(TraceTicket(
                id: "T\(tickets.count + 1)", arrival: arrival, urgency: urgency, category: category,
                channel: random.chance(0.6) ? .chat : .email, region: region, language: language, tier: tier,
                customerTier: vip ? .vip : .standard, requiredSkills: [SkillRequirement(skill: skill, minLevel: minLevel)],
                handling: minutes * 60))
        }
        return tickets
    }
}
