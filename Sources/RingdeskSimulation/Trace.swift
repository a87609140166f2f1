import Foundation
import RingdeskDomain

/// A day to replay: agents with shifts and skills, tickets with arrival time, attributes and
/// handling time. Virtual time is seconds from 0 on a 24/7 clock (no business calendars).
/// The JSON form (snake_case) is documented in docs/routing.md.
public struct Trace: Sendable, Codable, Hashable {
    public var version: Int
    /// A label, e.g. the scenario name and seed it was generated from.
    public var name: String
    public var agents: [TraceAgent]
    public var tickets: [TraceTicket]
    /// Neighbouring regions of each region (the engine's second-to-last relaxation level).
    public var neighbourRegions: [String: [String]]

    public init(name: String, agents: [TraceAgent], tickets: [TraceTicket], neighbourRegions: [String: [String]] = [:]) {
        version = 1
        self.name = name
        self.agents = agents
        self.tickets = tickets
        self.neighbourRegions = neighbourRegions
    }

    enum CodingKeys: String, CodingKey {
        case version, name, agents, tickets
        case neighbourRegions = "neighbour_regions"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 1
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "trace"
        agents = try c.decode([TraceAgent].self, forKey: .agents)
        tickets = try c.decode([TraceTicket].self, forKey: .tickets)
        neighbourRegions = try c.decodeIfPresent([String: [String]].self, forKey: .neighbourRegions) ?? [:]
    }

    /// When the day is over: the last shift end or the last arrival, whichever is later.
    /// Waits of tickets never started are counted up to here.
    public var horizon: Double {
        max(agents.flatMap { $0.shifts.map(\.end) }.max() ?? 0, tickets.map(\.arrival).max() ?? 0)
    }
}

/// An agent: skills 1–5, languages (primary subtags; empty speaks all), home regions, tier,
/// how many tickets at once, shifts (sorted, non-overlapping [start, end) in seconds) and how
/// the agent answers offers (`behaviour`; perfect when left out).
public struct TraceAgent: Sendable, Codable, Hashable {
    public var id: String
    public var skills: [String: Int]
    public var languages: [String]
    public var regions: [String]
    public var tier: SupportTier
    public var capacity: Int
    public var shifts: [Shift]
    public var behaviour: AgentBehaviour

    public init(id: String, skills: [String: Int], languages: [String], regions: [String], tier: SupportTier = .l1,
                capacity: Int = 1, shifts: [Shift], behaviour: AgentBehaviour = .perfect) {
        self.id = id
        self.skills = skills
        self.languages = languages
        self.regions = regions
        self.tier = tier
        self.capacity = capacity
        self.shifts = shifts
        self.behaviour = behaviour
    }

    enum CodingKeys: String, CodingKey {
        case id, skills, languages, regions, tier, capacity, shifts, behaviour
    }

    /// `behaviour` is written only when it is not perfect, so perfect traces keep their old form.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(skills, forKey: .skills)
        try c.encode(languages, forKey: .languages)
        try c.encode(regions, forKey: .regions)
        try c.encode(tier, forKey: .tier)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(shifts, forKey: .shifts)
        if behaviour != .perfect { try c.encode(behaviour, forKey: .behaviour) }
    }

    /// Seconds on shift over the day.
    public var shiftSeconds: Double { shifts.reduce(0) { $0 + $1.end - $1.start } }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        skills = try c.decodeIfPresent([String: Int].self, forKey: .skills) ?? [:]
        languages = try c.decodeIfPresent([String].self, forKey: .languages) ?? []
        regions = try c.decodeIfPresent([String].self, forKey: .regions) ?? []
        tier = try c.decodeIfPresent(SupportTier.self, forKey: .tier) ?? .l1
        capacity = try c.decodeIfPresent(Int.self, forKey: .capacity) ?? 1
        shifts = try c.decode([Shift].self, forKey: .shifts)
        behaviour = try c.decodeIfPresent(AgentBehaviour.self, forKey: .behaviour) ?? .perfect
    }
}

/// How a simulated agent answers the engine's offers, as shares drawn per offer from the run's
/// seed: `reject` declines at once, `unanswered` leaves the offer until the engine's
/// `offer_timeout`, `lease_lapse` accepts but its client never renews the lease, so the ticket
/// is not started and comes back when the lease lapses (`lease_duration`). The rest accept.
/// Only the engine policy models it (the baselines are assignment rules, not offers).
public struct AgentBehaviour: Sendable, Codable, Hashable {
    public var reject: Double
    public var unanswered: Double
    public var leaseLapse: Double

    public init(reject: Double = 0, unanswered: Double = 0, leaseLapse: Double = 0) {
        self.reject = reject
        self.unanswered = unanswered
        self.leaseLapse = leaseLapse
    }

    public static let perfect = AgentBehaviour()

    enum CodingKeys: String, CodingKey {
        case reject, unanswered
        case leaseLapse = "lease_lapse"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reject = try c.decodeIfPresent(Double.self, forKey: .reject) ?? 0
        unanswered = try c.decodeIfPresent(Double.self, forKey: .unanswered) ?? 0
        leaseLapse = try c.decodeIfPresent(Double.self, forKey: .leaseLapse) ?? 0
    }
}

/// `[start_s, end_s]` in JSON.
public struct Shift: Sendable, Codable, Hashable {
    public var start: Double
    public var end: Double

    public init(_ start: Double, _ end: Double) {
        self.start = start
        self.end = end
    }

    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        start = try c.decode(Double.self)
        end = try c.decode(Double.self)
        if !c.isAtEnd {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a shift is [start_s, end_s]")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(start)
        try c.encode(end)
    }
}

/// A ticket: when it arrives, what it needs, how long it takes, and its SLA targets (seconds
/// after arrival). The first response is the start of work; resolution is start + handling.
public struct TraceTicket: Sendable, Codable, Hashable {
    public var id: String
    public var arrival: Double
    public var urgency: Urgency
    public var category: TicketCategory
    public var channel: Channel
    public var region: String
    public var language: String
    public var tier: SupportTier
    public var customerTier: CustomerTier
    public var requiredSkills: [SkillRequirement]
    public var handling: Double
    public var firstResponseTarget: Double
    public var resolutionTarget: Double
    public var preferredAgent: String?

    public init(id: String, arrival: Double, urgency: Urgency, category: TicketCategory, channel: Channel = .chat,
                region: String, language: String, tier: SupportTier = .l1, customerTier: CustomerTier = .standard,
                requiredSkills: [SkillRequirement], handling: Double, firstResponseTarget: Double? = nil,
                resolutionTarget: Double? = nil, preferredAgent: String? = nil) {
        let defaults = SLAPolicy.defaults.targets[urgency]
        self.id = id
        self.arrival = arrival
        self.urgency = urgency
        self.category = category
        self.channel = channel
        self.region = region
        self.language = language
        self.tier = tier
        self.customerTier = customerTier
        self.requiredSkills = requiredSkills
        self.handling = handling
        self.firstResponseTarget = firstResponseTarget ?? defaults?.firstResponse ?? 3600
        self.resolutionTarget = resolutionTarget ?? defaults?.resolution ?? 86400
        self.preferredAgent = preferredAgent
    }

    enum CodingKeys: String, CodingKey {
        case id
        case arrival = "arrival_s"
        case urgency, category, channel, region, language, tier
        case customerTier = "customer_tier"
        case requiredSkills = "required_skills"
        case handling = "handling_s"
        case firstResponseTarget = "first_response_target_s"
        case resolutionTarget = "resolution_target_s"
        case preferredAgent = "preferred_agent"
    }

    /// Targets left out default to the domain's SLA policy for the urgency.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let urgency = try c.decode(Urgency.self, forKey: .urgency)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            arrival: try c.decode(Double.self, forKey: .arrival),
            urgency: urgency,
            category: try c.decodeIfPresent(TicketCategory.self, forKey: .category) ?? .inquiry,
            channel: try c.decodeIfPresent(Channel.self, forKey: .channel) ?? .chat,
            region: try c.decode(String.self, forKey: .region),
            language: try c.decode(String.self, forKey: .language),
            tier: try c.decodeIfPresent(SupportTier.self, forKey: .tier) ?? .l1,
            customerTier: try c.decodeIfPresent(CustomerTier.self, forKey: .customerTier) ?? .standard,
            requiredSkills: try c.decodeIfPresent([SkillRequirement].self, forKey: .requiredSkills) ?? [],
            handling: try c.decode(Double.self, forKey: .handling),
            firstResponseTarget: try c.decodeIfPresent(Double.self, forKey: .firstResponseTarget),
            resolutionTarget: try c.decodeIfPresent(Double.self, forKey: .resolutionTarget),
            preferredAgent: try c.decodeIfPresent(String.self, forKey: .preferredAgent))
    }

    /// First-response due time (absolute).
    public var firstResponseDue: Double { arrival + firstResponseTarget }
    /// Resolution due time (absolute).
    public var resolutionDue: Double { arrival + resolutionTarget }
}

extension Trace {
    /// Reads and validates a trace from JSON.
    /// Refuses keys the format does not have (a misspelt `first_response_target` would otherwise
    /// silently keep the default) and an empty trace (no tickets or no agents: nothing to compare).
    public static func decode(_ data: Data) throws -> Trace {
        let trace: Trace
        do {
            trace = try JSONDecoder().decode(Trace.self, from: data)
        } catch let error as DecodingError {
            throw SimulationError(.invalidTrace, Self.describe(error))
        }
        if let object = try? JSONSerialization.jsonObject(with: data) { try checkKeys(object) }
        try trace.validate()
        guard !trace.tickets.isEmpty else { throw SimulationError(.invalidTrace, "the trace has no tickets", field: "tickets") }
        guard !trace.agents.isEmpty else { throw SimulationError(.invalidTrace, "the trace has no agents", field: "agents") }
        return trace
    }

    static let traceKeys = ["version", "name", "agents", "tickets", "neighbour_regions"]
    static let agentKeys = ["id", "skills", "languages", "regions", "tier", "capacity", "shifts", "behaviour"]
    static let behaviourKeys = ["reject", "unanswered", "lease_lapse"]
    static let ticketKeys = ["id", "arrival_s", "urgency", "category", "channel", "region", "language", "tier", "customer_tier",
                             "required_skills", "handling_s", "first_response_target_s", "resolution_target_s", "preferred_agent"]
    static let requirementKeys = ["skill", "min_level"]

    /// Throws `invalid_trace` for the first key not in the format, with the allowed ones.
    static func checkKeys(_ object: Any) throws {
        func check(_ value: Any?, _ allowed: [String], _ path: String) throws {
            guard let dictionary = value as? [String: Any] else { return }
            for key in dictionary.keys.sorted() where !allowed.contains(key) {
                throw SimulationError(.invalidTrace, "unknown key; allowed keys: \(allowed.joined(separator: ", "))",
                                      field: path.isEmpty ? key : "\(path).\(key)")
            }
        }
        try check(object, traceKeys, "")
        let root = object as? [String: Any]
        for (i, agent) in ((root?["agents"] as? [Any]) ?? []).enumerated() {
            try check(agent, agentKeys, "agents[\(i)]")
            try check((agent as? [String: Any])?["behaviour"], behaviourKeys, "agents[\(i)].behaviour")
        }
        for (i, ticket) in ((root?["tickets"] as? [Any]) ?? []).enumerated() {
            try check(ticket, ticketKeys, "tickets[\(i)]")
            for (k, requirement) in (((ticket as? [String: Any])?["required_skills"] as? [Any]) ?? []).enumerated() {
                try check(requirement, requirementKeys, "tickets[\(i)].required_skills[\(k)]")
            }
        }
    }

    /// Pretty, stable JSON (sorted keys).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Throws `invalid_trace` naming the first bad field.
    public func validate() throws {
        func fail(_ field: String, _ message: String) -> SimulationError {
            SimulationError(.invalidTrace, message, field: field)
        }
        guard version == 1 else { throw fail("version", "only version 1 is known") }
        var agentIDs = Set<String>()
        for (i, agent) in agents.enumerated() {
            let path = "agents[\(i)]"
            guard !agent.id.isEmpty else { throw fail("\(path).id", "must not be empty") }
            guard agentIDs.insert(agent.id).inserted else { throw fail("\(path).id", "duplicate agent id \(agent.id)") }
            for (skill, level) in agent.skills where skill.isEmpty || !(1...5).contains(level) {
                throw fail("\(path).skills.\(skill)", "level must be 1...5")
            }
            guard (1...1000).contains(agent.capacity) else { throw fail("\(path).capacity", "must be 1...1000") }
            let b = agent.behaviour
            for (key, share) in [("reject", b.reject), ("unanswered", b.unanswered), ("lease_lapse", b.leaseLapse)]
            where !(share.isFinite && (0...1).contains(share)) {
                throw fail("\(path).behaviour.\(key)", "must be a share in 0...1")
            }
            guard b.reject + b.unanswered + b.leaseLapse <= 1 else {
                throw fail("\(path).behaviour", "reject + unanswered + lease_lapse must be <= 1")
            }
            var last = -Double.infinity
            for (k, shift) in agent.shifts.enumerated() {
                guard shift.start.isFinite, shift.end.isFinite, shift.start >= 0, shift.start < shift.end else {
                    throw fail("\(path).shifts[\(k)]", "must be [start_s, end_s] with 0 <= start < end")
                }
                guard shift.start >= last else { throw fail("\(path).shifts[\(k)]", "shifts must be sorted and not overlap") }
                last = shift.end
            }
        }
        var ticketIDs = Set<String>()
        for (i, ticket) in tickets.enumerated() {
            let path = "tickets[\(i)]"
            guard !ticket.id.isEmpty else { throw fail("\(path).id", "must not be empty") }
            guard ticketIDs.insert(ticket.id).inserted else { throw fail("\(path).id", "duplicate ticket id \(ticket.id)") }
            guard ticket.arrival.isFinite, ticket.arrival >= 0 else { throw fail("\(path).arrival_s", "must be a finite number >= 0") }
            guard ticket.handling.isFinite, ticket.handling > 0 else { throw fail("\(path).handling_s", "must be > 0") }
            guard ticket.firstResponseTarget.isFinite, ticket.firstResponseTarget >= 0 else {
                throw fail("\(path).first_response_target_s", "must be a finite number >= 0")
            }
            guard ticket.resolutionTarget.isFinite, ticket.resolutionTarget >= 0 else {
                throw fail("\(path).resolution_target_s", "must be a finite number >= 0")
            }
            guard !ticket.region.isEmpty else { throw fail("\(path).region", "must not be empty") }
            guard !ticket.language.isEmpty else { throw fail("\(path).language", "must not be empty") }
            for (k, requirement) in ticket.requiredSkills.enumerated()
            where requirement.skill.isEmpty || !(1...5).contains(requirement.minLevel) {
                throw fail("\(path).required_skills[\(k)]", "skill must be named and min_level 1...5")
            }
            if let preferred = ticket.preferredAgent, !agentIDs.contains(preferred) {
                throw fail("\(path).preferred_agent", "unknown agent \(preferred)")
            }
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : String(keys.drop { $0 == "." }) + ": "
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context))missing key \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context))\(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
