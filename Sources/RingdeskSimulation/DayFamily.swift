import Foundation
import RingdeskDomain

/// A seeded family of random after-sales days, so that routing is judged on many days and not
/// tuned to the four reference scenarios. Day `index` of family `seed` is always the same trace.
/// Each day draws: offered load 0.5–1.6 (work offered over the agents' capacity-seconds), an
/// arrival shape (flat, a spike ×2–×5 of 15–90 minutes at any time, optionally followed by a ×1.2–×2
/// tail), 3–15 skills with Zipf-skewed demand, agent capacities 1–5, 1–4 languages and 1–4
/// regions (neighbours in a chain), shift patterns (all day, staggered early/late, a dip of
/// 20–50% of agents for 30–90 minutes), a share of tickets with a preferred agent, a VIP share,
/// first-response targets from the chat range (minutes) to email (hours) by channel mix, and
/// on some days agents who reject or ignore offers. One day in twenty is tiny (≤ 14 tickets), so
/// that the exact optimum can be computed for it. Pure: no I/O, no clock.
public struct DayFamily: Sendable, Hashable {
    public var seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// What a day was drawn with (reported beside its results).
    public struct Parameters: Sendable, Hashable, Codable {
        public var offeredLoad: Double
        public var shape: String
        public var skills: Int
        public var zipf: Double
        public var capacity: String
        public var languages: Int
        public var regions: Int
        public var shifts: String
        public var preferredShare: Double
        public var vipShare: Double
        public var chatShare: Double
        public var behaviour: AgentBehaviour
        public var tiny: Bool

        enum CodingKeys: String, CodingKey {
            case offeredLoad = "offered_load"
            case shape, skills, zipf, capacity, languages, regions, shifts
            case preferredShare = "preferred_share"
            case vipShare = "vip_share"
            case chatShare = "chat_share"
            case behaviour, tiny
        }
    }

    /// First-response targets (red, yellow, green) in seconds by channel: chat and phone from the
    /// chat platforms' range, social in between, email in hours.
    static func targets(_ channel: Channel) -> [Urgency: Double] {
        switch channel {
        case .chat, .phone, .app: [.red: 180, .yellow: 600, .green: 1800]
        case .social, .sms: [.red: 900, .yellow: 3600, .green: 4 * 3600]
        case .email: [.red: 3600, .yellow: 4 * 3600, .green: 24 * 3600]
        }
    }

    static let languageNames = ["en", "de", "fr", "es"]
    /// Most tickets a regular day has (the handling time grows instead).
    static let maxTickets = 1500.0

    /// Day `index` of the family and what it was drawn with.
    public func day(_ index: Int) -> (trace: Trace, parameters: Parameters) {
        var random = SeededGenerator(seed: SplitMix64.mix(seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index) &+ 1))
        let tiny = random.chance(0.05)
        let load = tiny ? 0.8 + random.unit() * 0.8 : 0.5 + random.unit() * 1.1
        let dayLength = tiny ? 3600.0 : [4.0, 6, 8][random.below(3)] * 3600
        let skillCount = tiny ? 1 + random.below(3) : 3 + random.below(13)
        let zipf = 0.6 + random.unit() * 0.9
        let languageCount = 1 + random.below(4)
        let regionCount = 1 + random.below(4)
        let regions = (1...regionCount).map { "r\($0)" }
        var neighbours: [String: [String]] = [:]
        for (i, region) in regions.enumerated() {
            neighbours[region] = [i > 0 ? regions[i - 1] : nil, i + 1 < regions.count ? regions[i + 1] : nil].compactMap { $0 }
        }
        let mainLanguage = regions.indices.map { Self.languageNames[$0 % languageCount] }
        let mixedCapacity = random.chance(0.3)
        let baseCapacity = 1 + random.below(5)
        let agentCount = tiny ? 1 + random.below(3) : 6 + random.below(25)
        let l2Share = random.chance(0.5) ? 0.15 + random.unit() * 0.2 : 0
        let misbehaving = random.chance(0.25)
        let behaviour = misbehaving
            ? AgentBehaviour(reject: random.unit() * 0.1, unanswered: random.unit() * 0.05) : .perfect
        let shiftKind = tiny ? 0 : random.below(3)
        let shiftName = ["all-day", "staggered", "dip"][shiftKind]
        let skills = (1...skillCount).map { "s\($0)" }
        let demand = skills.indices.map { 1 / pow(Double($0 + 1), zipf) }

        // Agents: skills drawn with the demand's skew, every skill held by at least two agents
        // at level ≥ 3 (one on tiny days), languages of their region plus often English.
        var agents: [TraceAgent] = []
        for a in 0..<agentCount {
            let region = regions[random.below(regions.count)]
            var languages = [mainLanguage[regions.firstIndex(of: region)!]]
            if languages[0] != "en", random.chance(0.6) { languages.append("en") }
            if languageCount > 1, random.chance(0.15) {
                let extra = Self.languageNames[random.below(languageCount)]
                if !languages.contains(extra) { languages.append(extra) }
            }
            var agentSkills: [String: Int] = [:]
            for _ in 0..<(1 + random.below(min(4, skillCount))) {
                agentSkills[skills[random.pick(weights: demand)]] = 1 + random.below(5)
            }
            let capacity = mixedCapacity ? 1 + random.below(5) : baseCapacity
            var shifts: [Shift]
            switch shiftKind {
            case 1:  // staggered: early and late halves overlapping in the middle
                shifts = a % 2 == 0 ? [Shift(0, dayLength * 0.6)] : [Shift(dayLength * 0.4, dayLength + 1800)]
            default:
                shifts = [Shift(0, dayLength + 1800)]
            }
            agents.append(TraceAgent(id: "a\(a + 1)", skills: agentSkills, languages: languages, regions: [region],
                                     tier: random.chance(l2Share) ? .l2 : .l1, capacity: capacity, shifts: shifts,
                                     behaviour: behaviour))
        }
        // Coverage: every skill in every language tickets may use (each region's and English) is
        // held at level ≥ 3 by at least two agents who speak it (one on tiny days), one of them
        // of tier l2 on days with l2 tickets. Some combinations stay thin, none is unservable.
        let ticketLanguages = Array(Set(mainLanguage + ["en"])).sorted()
        for skill in skills {
            for language in ticketLanguages {
                let speaks = agents.indices.filter { agents[$0].languages.contains(language) }
                var pool = speaks.isEmpty ? Array(agents.indices) : speaks
                if speaks.isEmpty { agents[pool[random.below(pool.count)]].languages.append(language); pool = agents.indices.filter { agents[$0].languages.contains(language) } }
                var holders = pool.filter { (agents[$0].skills[skill] ?? 0) >= 3 }
                while holders.count < min(tiny ? 1 : 2, pool.count) {
                    let candidates = pool.filter { !holders.contains($0) }
                    let a = candidates[random.below(candidates.count)]
                    agents[a].skills[skill] = 3 + random.below(3)
                    holders.append(a)
                }
                if l2Share > 0, !holders.contains(where: { agents[$0].tier == .l2 }) { agents[holders[0]].tier = .l2 }
            }
        }
        if shiftKind == 2 {
            // A staffing dip: some agents leave for a while in the middle of the day.
            let share = 0.2 + random.unit() * 0.3
            let length = (30 + Double(random.below(61))) * 60
            let start = dayLength * (0.2 + random.unit() * 0.5)
            for a in agents.indices where random.chance(share) {
                agents[a].shifts = [Shift(0, start), Shift(start + length, dayLength + 1800)]
            }
        }

        // Arrival shape: a rate multiplier over [0, dayLength).
        var spikes: [(start: Double, end: Double, factor: Double)] = []
        var shape = "flat"
        if !tiny, random.chance(0.6) {
            let factor = 2 + random.unit() * 3
            let length = (15 + Double(random.below(76))) * 60
            let start = random.unit() * max(0, dayLength - length)
            spikes.append((start, start + length, factor))
            shape = String(format: "spike x%.1f %.0f min at %.1f h", factor, length / 60, start / 3600)
            if random.chance(0.5) {
                let tail = 1.2 + random.unit() * 0.8
                let tailEnd = min(dayLength, start + length + (30 + Double(random.below(91))) * 60)
                spikes.append((start + length, tailEnd, tail))
                shape += String(format: " then x%.1f to %.1f h", tail, tailEnd / 3600)
            }
        }
        func multiplier(_ t: Double) -> Double { spikes.first { $0.start <= t && t < $0.end }?.factor ?? 1 }
        let weightedLength = dayLength + spikes.reduce(0) { $0 + ($1.end - $1.start) * ($1.factor - 1) }
        let capacitySeconds = agents.reduce(0.0) { sum, agent in
            sum + Double(agent.capacity) * agent.shifts.reduce(0) { $0 + max(0, min($1.end, dayLength) - $1.start) }
        }
        var meanHandling = 180 * pow(10, random.unit() * 0.9)  // 3 to ~24 minutes
        let expected = load * capacitySeconds / meanHandling
        let cap = tiny ? 8 + Double(random.below(7)) : Self.maxTickets
        if expected > cap { meanHandling *= expected / cap }
        let baseRate = load * capacitySeconds / (meanHandling * weightedLength)

        let chatShare = random.unit()
        let vipShare = random.chance(0.5) ? random.unit() * 0.3 : 0.02
        let preferredShare = random.chance(0.5) ? random.unit() * 0.4 : 0
        let regionWeights = regions.map { _ in 0.5 + random.unit() }
        var tickets: [TraceTicket] = []
        var time = 0.0
        while true {
            // Thinning: candidate arrivals at the peak rate, kept in proportion to the shape.
            let peak = spikes.map(\.factor).max() ?? 1
            time += random.exponential(mean: 1 / (baseRate * peak))
            guard time < dayLength else { break }
            guard random.chance(multiplier(time) / peak) else { continue }
            if tiny, tickets.count >= Int(cap) { break }
            let regionIndex = random.pick(weights: regionWeights)
            let region = regions[regionIndex]
            let language = random.chance(0.8) ? mainLanguage[regionIndex] : "en"
            let vip = random.chance(vipShare)
            let urgency: Urgency = vip ? (random.chance(0.7) ? .red : .yellow)
                : random.pick([(.red, 0.1), (.yellow, 0.4), (.green, 0.5)])
            let channel: Channel = random.chance(chatShare) ? .chat : (random.chance(0.3) ? .social : .email)
            var required = [SkillRequirement(skill: skills[random.pick(weights: demand)], minLevel: random.pick([(1, 0.3), (2, 0.4), (3, 0.25), (4, 0.05)]))]
            if skillCount > 1, random.chance(0.15) {
                let second = skills[random.pick(weights: demand)]
                if second != required[0].skill { required.append(SkillRequirement(skill: second, minLevel: 1 + random.below(3))) }
            }
            let handling = max(30, (meanHandling * (0.4 + 0.6 * random.exponential(mean: 1))).rounded())
            let firstResponse = Self.targets(channel)[urgency]!
            var ticket = TraceTicket(
                id: "T\(tickets.count + 1)", arrival: time.rounded(.down), urgency: urgency, category: .inquiry,
                channel: channel, region: region, language: language,
                tier: vip && l2Share > 0 && random.chance(0.5) ? .l2 : .l1, customerTier: vip ? .vip : .standard,
                requiredSkills: required, handling: handling, firstResponseTarget: firstResponse,
                resolutionTarget: firstResponse * 4 + handling * 2)
            if random.chance(preferredShare) {
                let candidates = agents.filter { Eligibility.canServe($0, ticket, proficiencyRelaxation: 1) }
                if !candidates.isEmpty { ticket.preferredAgent = candidates[random.below(candidates.count)].id }
            }
            tickets.append(ticket)
        }
        if tickets.isEmpty {
            tickets.append(TraceTicket(id: "T1", arrival: 0, urgency: .yellow, category: .inquiry, region: regions[0],
                                       language: mainLanguage[0], requiredSkills: [SkillRequirement(skill: skills[0], minLevel: 1)],
                                       handling: meanHandling.rounded(), firstResponseTarget: 600))
        }
        let parameters = Parameters(
            offeredLoad: (load * 1000).rounded() / 1000, shape: shape, skills: skillCount, zipf: (zipf * 100).rounded() / 100,
            capacity: mixedCapacity ? "1-5 mixed" : "\(baseCapacity)", languages: languageCount, regions: regionCount,
            shifts: shiftName, preferredShare: (preferredShare * 100).rounded() / 100, vipShare: (vipShare * 100).rounded() / 100,
            chatShare: (chatShare * 100).rounded() / 100, behaviour: behaviour, tiny: tiny)
        let trace = Trace(name: "family \(seed) day \(index)", agents: agents, tickets: tickets, neighbourRegions: neighbours)
        return (trace, parameters)
    }
}
