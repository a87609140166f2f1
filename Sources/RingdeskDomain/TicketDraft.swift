import Foundation

/// What intake sends to open a ticket. Decoded directly from the HTTP API's JSON (snake_case
/// keys); `validated()` must pass before a ticket is created from it.
public struct TicketDraft: Sendable, Codable, Hashable {
    public var category: TicketCategory
    public var channel: Channel
    public var customer: CustomerContext
    public var subject: String
    public var body: String
    public var requiredSkills: [SkillRequirement]
    /// Soft preference (the agent who handled this customer last).
    public var preferredAgentID: String?
    /// Department queue; `nil` means `category.defaultQueue`.
    public var queue: String?

    public static let maxSubjectLength = 200
    public static let maxBodyLength = 10_000
    public static let maxRequiredSkills = 16

    public init(
        category: TicketCategory,
        channel: Channel,
        customer: CustomerContext,
        subject: String,
        body: String = "",
        requiredSkills: [SkillRequirement] = [],
        preferredAgentID: String? = nil,
        queue: String? = nil
    ) {
        self.category = category
        self.channel = channel
        self.customer = customer
        self.subject = subject
        self.body = body
        self.requiredSkills = requiredSkills
        self.preferredAgentID = preferredAgentID
        self.queue = queue
    }

    enum CodingKeys: String, CodingKey {
        case category
        case channel
        case customer
        case subject
        case body
        case requiredSkills = "required_skills"
        case preferredAgentID = "preferred_agent_id"
        case queue
    }

    /// `body` defaults to "" and `required_skills` to [] when absent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        category = try c.decode(TicketCategory.self, forKey: .category)
        channel = try c.decode(Channel.self, forKey: .channel)
        customer = try c.decode(CustomerContext.self, forKey: .customer)
        subject = try c.decode(String.self, forKey: .subject)
        body = try c.decodeIfPresent(String.self, forKey: .body) ?? ""
        requiredSkills = try c.decodeIfPresent([SkillRequirement].self, forKey: .requiredSkills) ?? []
        preferredAgentID = try c.decodeIfPresent(String.self, forKey: .preferredAgentID)
        queue = try c.decodeIfPresent(String.self, forKey: .queue)
    }

    /// The queue this draft lands in.
    public var effectiveQueue: String { queue ?? category.defaultQueue }

    /// Checks every field; returns the draft with the subject trimmed of surrounding whitespace.
    /// Throws `DomainError(code: "invalid_field")` whose `field` is the snake_case JSON path.
    public func validated() throws -> TicketDraft {
        var draft = self
        draft.subject = subject.trimmingCharacters(in: .whitespacesAndNewlines)
        try Validate.text(draft.subject, field: "subject", min: 1, max: Self.maxSubjectLength, multiline: false)
        try Validate.text(body, field: "body", min: 0, max: Self.maxBodyLength, multiline: true)
        try customer.validate(field: "customer")
        if requiredSkills.count > Self.maxRequiredSkills {
            throw DomainError.invalid("required_skills", "must list at most \(Self.maxRequiredSkills) skills")
        }
        var seen = Set<String>()
        for (index, requirement) in requiredSkills.enumerated() {
            try requirement.validate(field: "required_skills[\(index)]")
            if !seen.insert(requirement.skill).inserted {
                throw DomainError.invalid("required_skills[\(index)].skill", "duplicate skill \"\(requirement.skill)\"")
            }
        }
        if let preferredAgentID { try Validate.identifier(preferredAgentID, field: "preferred_agent_id") }
        if let queue { try Validate.identifier(queue, field: "queue", maxLength: 64) }
        return draft
    }
}
