import Foundation
import RingdeskAPI
import RingdeskDomain

/// The demo's data, computed purely from the seed: the agents, and for each ticket its draft and
/// what will happen to it (does the agent ask the customer for info, what rating follows).
struct DemoScript: Sendable {
    struct TicketPlan: Sendable {
        /// 1-based position in the burst.
        var number: Int
        var idempotencyKey: String
        var draft: TicketDraft
        var asksForInfo: Bool
        /// The customer's rating after resolution; nil when the customer does not rate.
        var rating: Int?
        var comment: String
    }

    let seed: UInt64
    let agents: [AgentProfile]
    let tickets: [TicketPlan]

    static let regions = ["eu-west", "eu-central", "us-east"]

    /// The skill each category needs (inquiries need none).
    static func skill(for category: TicketCategory) -> String? {
        switch category {
        case .return, .exchange: "returns"
        case .refund: "refunds"
        case .repair: "repairs"
        case .complaint: "complaints"
        case .logistics: "logistics"
        case .inquiry: nil
        }
    }

    /// Six agents with different skills, languages, regions, tiers and channels; Farah is the
    /// generalist who can take any demo ticket, so nothing is left without an eligible agent.
    static let demoAgents: [AgentProfile] = [
        AgentProfile(id: "demo-a1", name: "Ana Lopes", regions: ["eu-west"], languages: ["en", "fr"],
                     skills: ["refunds": 4, "returns": 3, "complaints": 3], supportTier: .l2,
                     channelCapacity: [.phone: 1, .chat: 3, .email: 5, .social: 3, .sms: 0, .app: 0]),
        AgentProfile(id: "demo-a2", name: "Bruno Keller", regions: ["eu-central"], languages: ["de", "en"],
                     skills: ["repairs": 4, "logistics": 3, "returns": 3], supportTier: .l1,
                     channelCapacity: [.phone: 1, .chat: 3, .email: 5, .app: 3, .social: 0, .sms: 0]),
        AgentProfile(id: "demo-a3", name: "Chloé Martin", regions: ["eu-west"], languages: ["fr", "en"],
                     skills: ["complaints": 4, "refunds": 3, "logistics": 3], supportTier: .expert,
                     channelCapacity: [.phone: 2, .chat: 3, .social: 3, .email: 0, .sms: 0, .app: 0]),
        AgentProfile(id: "demo-a4", name: "Dieter Brandt", regions: ["eu-central"], languages: ["de"],
                     skills: ["returns": 4, "refunds": 3, "repairs": 3, "complaints": 3], supportTier: .l2,
                     channelCapacity: [.phone: 1, .email: 5, .sms: 3, .chat: 3, .social: 0, .app: 0]),
        AgentProfile(id: "demo-a5", name: "Evan Brooks", regions: ["us-east"], languages: ["en"],
                     skills: ["logistics": 4, "repairs": 3, "returns": 3, "refunds": 3], supportTier: .l1,
                     channelCapacity: [.phone: 1, .chat: 3, .email: 5, .social: 3, .sms: 3, .app: 3]),
        AgentProfile(id: "demo-a6", name: "Farah Haddad", regions: ["us-east", "eu-west"], languages: ["en", "fr", "de"],
                     skills: ["refunds": 3, "returns": 3, "repairs": 3, "logistics": 3, "complaints": 3], supportTier: .l2,
                     channelCapacity: [.phone: 1, .chat: 3, .email: 5, .social: 3, .sms: 3, .app: 3]),
    ]

    static let subjects: [TicketCategory: [String]] = [
        .return: ["Return a pair of boots that do not fit", "Return label missing from parcel", "Return window question for a jacket"],
        .exchange: ["Exchange a blender for another colour", "Swap a size M shirt for L", "Exchange a damaged lamp"],
        .refund: ["Refund not received after return", "Refund for a cancelled order", "Partial refund for a missing item"],
        .repair: ["Coffee machine leaks water", "Laptop hinge broke within warranty", "Phone screen flickers after update"],
        .complaint: ["Courier was rude at delivery", "Third late delivery in a row", "Wrong item sent twice"],
        .inquiry: ["Do you ship to the Canary Islands?", "How do I use my gift card?", "Is this vacuum compatible with bags?"],
        .logistics: ["Parcel stuck in transit for a week", "Tracking shows delivered but nothing came", "Change delivery address"],
    ]

    static let riskSubjects = ["Possible fraud: order I never placed", "Charger unsafe: it sparked", "Parcel stolen from the doorstep"]

    init(seed: UInt64, count: Int, now: Date) {
        self.seed = seed
        self.agents = Self.demoAgents
        var rng = SeededGenerator(seed: seed)
        let categories = TicketCategory.allCases
        let channels = Channel.allCases.shuffled(using: &rng)
        // A couple of clearly unhappy customers, so call-back tickets open.
        let lowCount = count >= 2 ? max(2, count / 15) : count
        let lowRated = Set(Array(1...count).shuffled(using: &rng).prefix(lowCount))

        var plans: [TicketPlan] = []
        for n in 1...count {
            let category = n <= categories.count ? categories[n - 1] : categories.randomElement(using: &rng)!
            let channel = n <= channels.count ? channels[n - 1] : channels.randomElement(using: &rng)!
            let region = Self.regions.randomElement(using: &rng)!
            let language: String
            switch region {
            case "eu-west": language = Bool.random(using: &rng) ? "en" : "fr"
            case "eu-central": language = Int.random(in: 0..<4, using: &rng) == 0 ? "en" : "de"
            default: language = "en"
            }
            let tier: CustomerTier = Int.random(in: 0..<5, using: &rng) == 0 ? .vip : .standard
            let orderValue = (Double(Int.random(in: 1_500...120_000, using: &rng)) / 100).rounded(toPlaces: 2)
            var deadline: Date?
            if [.return, .refund, .exchange].contains(category), Int.random(in: 0..<5, using: &rng) < 3 {
                deadline = now.addingTimeInterval(Double([6, 30, 60, 120, 240].randomElement(using: &rng)!) * 3600)
            }
            var subject = Self.subjects[category]!.randomElement(using: &rng)!
            if Int.random(in: 0..<20, using: &rng) == 0 { subject = Self.riskSubjects.randomElement(using: &rng)! }
            let skills = Self.skill(for: category).map { [SkillRequirement(skill: $0, minLevel: Int.random(in: 2...3, using: &rng))] } ?? []
            let customer = CustomerContext(id: "demo-cust-\(seed)-\(n)", tier: tier, orderID: "ORD-\(seed)-\(10_000 + n)",
                                           orderValue: orderValue, language: language, region: region, deadline: deadline)
            let draft = TicketDraft(category: category, channel: channel, customer: customer, subject: subject,
                                    body: "Demo ticket \(n) (seed \(seed)): \(subject).", requiredSkills: skills)
            let asks = Int.random(in: 0..<4, using: &rng) == 0
            var rating: Int?
            if lowRated.contains(n) {
                rating = Int.random(in: 1...2, using: &rng)
            } else {
                let roll = Int.random(in: 0..<100, using: &rng)
                rating = roll < 10 ? nil : roll < 25 ? 3 : roll < 55 ? 4 : 5
            }
            let comment = switch rating {
            case 1: "Nobody solved my problem."
            case 2: "Took too long and I had to repeat myself."
            case 3: "Okay in the end."
            case 4: "Quick and friendly."
            default: "Excellent help, thank you!"
            }
            plans.append(TicketPlan(number: n, idempotencyKey: "demo-\(seed)-\(n)", draft: draft, asksForInfo: asks,
                                    rating: rating, comment: comment))
        }
        self.tickets = plans
    }

    /// Call-back tickets end well: rated 4 or 5, decided by the seed and the original's number.
    func followUpRating(forTicket number: Int) -> Int {
        var rng = SeededGenerator(seed: seed ^ (UInt64(number) &* 0x2545_F491_4F6C_DD1D))
        return Int.random(in: 4...5, using: &rng)
    }

    /// Tickets (and their would-be call-backs: phone, complaint, same skills) that no demo agent
    /// could ever take: wrong skills, language or channel. Empty by design.
    func unhandleable() -> [String] {
        let now = Date()
        let agents = self.agents.compactMap { try? Agent(profile: $0, presence: .available, at: now) }
        func served(_ channel: Channel, _ skills: [SkillRequirement], _ language: String) -> Bool {
            agents.contains { $0.capacity(for: channel) > 0 && $0.satisfies(skills) && $0.speaks(language) }
        }
        var problems: [String] = []
        for plan in tickets {
            let d = plan.draft
            if !served(d.channel, d.requiredSkills, d.customer.language) {
                problems.append("#\(plan.number) \(d.category.rawValue)/\(d.channel.rawValue) \(d.customer.language) needs \(TicketRendering.skills(d.requiredSkills))")
            }
            if let rating = plan.rating, rating <= 2, !served(.phone, d.requiredSkills, d.customer.language) {
                problems.append("call-back of #\(plan.number) (phone, \(d.customer.language)) needs \(TicketRendering.skills(d.requiredSkills))")
            }
        }
        return problems
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let factor = Foundation.pow(10, Double(places))
        return (self * factor).rounded() / factor
    }
}
