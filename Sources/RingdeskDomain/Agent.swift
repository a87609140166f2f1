import Foundation

/// A customer-service agent as the router sees it. Current load is not stored here: it is
/// derived from tickets (`Agent.loads(from:)`).
public struct Agent: Sendable, Codable, Hashable, Identifiable {
    public var id: String
    public var name: String
    public var regions: [String]
    public var languages: [String]
    public var skills: [String: Int]
    public var supportTier: SupportTier
    public var channelCapacity: [Channel: Int]
    public var presence: Presence
    public var presenceSince: Date
    /// When the agent last finished (or was released from) a ticket.
    public var lastAssignmentEndedAt: Date?

    public init(id: String, name: String, regions: [String] = [], languages: [String] = [],
                skills: [String: Int] = [:], supportTier: SupportTier = .l1,
                channelCapacity: [Channel: Int] = Channel.defaultCapacities,
                presence: Presence = .offline, presenceSince: Date, lastAssignmentEndedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.regions = regions
        self.languages = languages
        self.skills = skills
        self.supportTier = supportTier
        self.channelCapacity = channelCapacity
        self.presence = presence
        self.presenceSince = presenceSince
        self.lastAssignmentEndedAt = lastAssignmentEndedAt
    }

    /// An agent from a validated profile (capacity defaults filled in).
    public init(profile: AgentProfile, presence: Presence = .offline, at now: Date) throws {
        let profile = try profile.validated()
        self.init(id: profile.id, name: profile.name, regions: profile.regions, languages: profile.languages,
                  skills: profile.skills, supportTier: profile.supportTier,
                  channelCapacity: profile.effectiveCapacity, presence: presence, presenceSince: now)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, regions, languages, skills
        case supportTier = "support_tier"
        case channelCapacity = "channel_capacity"
        case presence
        case presenceSince = "presence_since"
        case lastAssignmentEndedAt = "last_assignment_ended_at"
    }

    /// Profile fields replaced (presence kept), after validation.
    public mutating func update(profile: AgentProfile) throws {
        let profile = try profile.validated()
        name = profile.name
        regions = profile.regions
        languages = profile.languages
        skills = profile.skills
        supportTier = profile.supportTier
        channelCapacity = profile.effectiveCapacity
    }

    /// Changes presence; `presenceSince` moves only when the presence actually changes.
    public mutating func setPresence(_ presence: Presence, at now: Date) {
        guard presence != self.presence else { return }
        self.presence = presence
        presenceSince = now
    }

    /// Records the end of an assignment (`.releaseAgent` effect) for longest-idle fairness.
    public mutating func assignmentEnded(at now: Date) {
        lastAssignmentEndedAt = now
    }

    /// Since when the agent has been available without finishing work: the later of becoming
    /// available and the last assignment end. Earlier means idle for longer.
    public var idleSince: Date {
        max(presenceSince, lastAssignmentEndedAt ?? .distantPast)
    }

    public func capacity(for channel: Channel) -> Int { channelCapacity[channel] ?? 0 }

    /// Whether the agent speaks `language`: true when they list none; otherwise the primary
    /// subtags must match case-insensitively (`en` serves `en-GB`).
    public func speaks(_ language: String) -> Bool {
        if languages.isEmpty { return true }
        let wanted = Validate.primaryLanguage(language)
        return languages.contains { Validate.primaryLanguage($0) == wanted }
    }

    /// Whether the agent has every required skill at or above its minimum level.
    public func satisfies(_ requirements: [SkillRequirement]) -> Bool {
        requirements.allSatisfy { (skills[$0.skill] ?? 0) >= $0.minLevel }
    }

    /// Per-agent, per-channel load: open tickets held (assigned, in progress, waiting on the
    /// customer) plus outstanding offers.
    public static func loads(from tickets: some Sequence<Ticket>) -> [String: [Channel: Int]] {
        var result: [String: [Channel: Int]] = [:]
        for ticket in tickets where ticket.status.isOpen {
            if let agent = ticket.assignedAgentID { result[agent, default: [:]][ticket.channel, default: 0] += 1 }
            if let offer = ticket.offer { result[offer.agentID, default: [:]][ticket.channel, default: 0] += 1 }
        }
        return result
    }
}
