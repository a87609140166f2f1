/// A skill a ticket needs, with the minimum proficiency (1...5) an agent must have in it.
public struct SkillRequirement: Sendable, Codable, Hashable {
    public var skill: String
    public var minLevel: Int

    public init(skill: String, minLevel: Int) {
        self.skill = skill
        self.minLevel = minLevel
    }

    enum CodingKeys: String, CodingKey {
        case skill
        case minLevel = "min_level"
    }

    /// Skill names share the identifier rules (≤ 64 characters); levels are 1...5.
    func validate(field: String) throws {
        try Validate.identifier(skill, field: "\(field).skill", maxLength: 64)
        if !(1...5).contains(minLevel) {
            throw DomainError.invalid("\(field).min_level", "must be between 1 and 5")
        }
    }
}
