/// What an agent client declares about itself when it connects; validated like a ticket draft.
public struct AgentProfile: Sendable, Codable, Hashable {
    public var id: String
    public var name: String
    /// Region keys the agent serves (region affinity); may be empty.
    public var regions: [String]
    /// Language tags the agent speaks; empty means no language restriction.
    public var languages: [String]
    /// Skill name → proficiency 1...5.
    public var skills: [String: Int]
    public var supportTier: SupportTier
    /// Per-channel capacity; channels not listed get `Channel.defaultCapacity`; 0 disables one.
    public var channelCapacity: [Channel: Int]

    public static let maxNameLength = 200
    public static let maxListLength = 32
    public static let maxSkills = 64
    public static let maxCapacityPerChannel = 100

    public init(id: String, name: String, regions: [String] = [], languages: [String] = [],
                skills: [String: Int] = [:], supportTier: SupportTier = .l1, channelCapacity: [Channel: Int] = [:]) {
        self.id = id
        self.name = name
        self.regions = regions
        self.languages = languages
        self.skills = skills
        self.supportTier = supportTier
        self.channelCapacity = channelCapacity
    }

    enum CodingKeys: String, CodingKey {
        case id, name, regions, languages, skills
        case supportTier = "support_tier"
        case channelCapacity = "channel_capacity"
    }

    /// Missing lists default to empty, `support_tier` to l1.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        regions = try c.decodeIfPresent([String].self, forKey: .regions) ?? []
        languages = try c.decodeIfPresent([String].self, forKey: .languages) ?? []
        skills = try c.decodeIfPresent([String: Int].self, forKey: .skills) ?? [:]
        supportTier = try c.decodeIfPresent(SupportTier.self, forKey: .supportTier) ?? .l1
        if c.contains(.channelCapacity), try !c.decodeNil(forKey: .channelCapacity) {
            channelCapacity = try Channel.decodeKeyedObject(c, forKey: CodingKeys.channelCapacity)
        } else {
            channelCapacity = [:]
        }
    }

    /// The full capacity table: declared values over the defaults.
    public var effectiveCapacity: [Channel: Int] {
        Channel.defaultCapacities.merging(channelCapacity) { _, declared in declared }
    }

    /// Checks every field; throws `invalid_field` naming the snake_case path.
    public func validated() throws -> AgentProfile {
        try Validate.identifier(id, field: "id")
        try Validate.text(name, field: "name", min: 1, max: Self.maxNameLength, multiline: false)
        if regions.count > Self.maxListLength {
            throw DomainError.invalid("regions", "must list at most \(Self.maxListLength) regions")
        }
        for (i, region) in regions.enumerated() {
            try Validate.identifier(region, field: "regions[\(i)]", maxLength: 64)
        }
        if languages.count > Self.maxListLength {
            throw DomainError.invalid("languages", "must list at most \(Self.maxListLength) languages")
        }
        for (i, language) in languages.enumerated() { try Validate.language(language, field: "languages[\(i)]") }
        if skills.count > Self.maxSkills { throw DomainError.invalid("skills", "must list at most \(Self.maxSkills) skills") }
        for (skill, level) in skills.sorted(by: { $0.key < $1.key }) {
            try Validate.identifier(skill, field: "skills.\(skill)", maxLength: 64)
            if !(1...5).contains(level) { throw DomainError.invalid("skills.\(skill)", "must be between 1 and 5") }
        }
        for (channel, capacity) in channelCapacity.sorted(by: { $0.key.rawValue < $1.key.rawValue })
        where !(0...Self.maxCapacityPerChannel).contains(capacity) {
            throw DomainError.invalid("channel_capacity.\(channel.rawValue)",
                                      "must be between 0 and \(Self.maxCapacityPerChannel)")
        }
        return self
    }
}
