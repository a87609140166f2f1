import Foundation

/// One triage rule: all conditions that are set must hold (a list condition holds when the
/// ticket matches any entry); a rule with no conditions matches every ticket.
public struct TriageRule: Sendable, Codable, Hashable {
    /// Shown to supervisors as the reason for the colour.
    public var name: String
    public var categories: [TicketCategory]?
    public var tiers: [CustomerTier]?
    public var channels: [Channel]?
    /// Matches when the order value is known and ≥ this.
    public var minOrderValue: Double?
    /// Seconds: matches when the customer deadline is known and at most this far from `now`
    /// (a deadline already past also matches).
    public var deadlineWithin: TimeInterval?
    /// Case- and diacritic-insensitive substrings searched in subject and body; any one matches.
    public var keywords: [String]?
    public var urgency: Urgency

    public init(
        name: String,
        categories: [TicketCategory]? = nil,
        tiers: [CustomerTier]? = nil,
        channels: [Channel]? = nil,
        minOrderValue: Double? = nil,
        deadlineWithin: TimeInterval? = nil,
        keywords: [String]? = nil,
        urgency: Urgency
    ) {
        self.name = name
        self.categories = categories
        self.tiers = tiers
        self.channels = channels
        self.minOrderValue = minOrderValue
        self.deadlineWithin = deadlineWithin
        self.keywords = keywords
        self.urgency = urgency
    }

    enum CodingKeys: String, CodingKey {
        case name, categories, tiers, channels
        case minOrderValue = "min_order_value"
        case deadlineWithin = "deadline_within"
        case keywords, urgency
    }

    /// Whether this rule's conditions hold for the draft at `now`.
    public func matches(_ draft: TicketDraft, now: Date) -> Bool {
        if let categories, !categories.contains(draft.category) { return false }
        if let tiers, !tiers.contains(draft.customer.tier) { return false }
        if let channels, !channels.contains(draft.channel) { return false }
        if let minOrderValue {
            guard let value = draft.customer.orderValue, value >= minOrderValue else { return false }
        }
        if let deadlineWithin {
            guard let deadline = draft.customer.deadline,
                  deadline.timeIntervalSince(now) <= deadlineWithin else { return false }
        }
        if let keywords {
            let text = Self.folded(draft.subject + "\n" + draft.body)
            let hit = keywords.contains { keyword in
                !keyword.isEmpty && Self.contains(text, Self.folded(keyword))
            }
            if !hit { return false }
        }
        return true
    }

    /// Case- and accent-insensitive form as UTF-8 bytes. ASCII (the common case) is lower-cased
    /// byte by byte; anything else goes through Foundation's folding once per text.
    static func folded(_ text: String) -> [UInt8] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            return text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        }
        return Array(text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).utf8)
    }

    /// Substring search over bytes (needles are short keywords).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        let first = needle[0]
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var offset = 1
                while offset < needle.count && haystack[index + offset] == needle[offset] { offset += 1 }
                if offset == needle.count { return true }
            }
            index += 1
        }
        return false
    }
}

/// Configurable triage: a ticket's colour is the highest urgency among the rules that match,
/// or `defaultUrgency` when none does.
public struct TriageRules: Sendable, Codable, Hashable {
    public var rules: [TriageRule]
    public var defaultUrgency: Urgency

    public init(rules: [TriageRule], defaultUrgency: Urgency = .green) {
        self.rules = rules
        self.defaultUrgency = defaultUrgency
    }

    enum CodingKeys: String, CodingKey {
        case rules
        case defaultUrgency = "default_urgency"
    }

    /// E-commerce after-sales defaults.
    public static let defaults = TriageRules(rules: [
        TriageRule(name: "vip_complaint", categories: [.complaint], tiers: [.vip], urgency: .red),
        TriageRule(name: "deadline_within_24h", categories: [.refund, .return], deadlineWithin: 24 * 3600, urgency: .red),
        TriageRule(name: "risk_keywords",
                   keywords: ["fraud", "chargeback", "legal", "lawyer", "injury", "injured", "unsafe", "stolen"],
                   urgency: .red),
        TriageRule(name: "deadline_within_72h", categories: [.refund, .return, .exchange], deadlineWithin: 72 * 3600,
                   urgency: .yellow),
        TriageRule(name: "high_order_value", minOrderValue: 500, urgency: .yellow),
        TriageRule(name: "live_channel", channels: [.phone, .chat], urgency: .yellow),
        TriageRule(name: "vip", tiers: [.vip], urgency: .yellow),
        TriageRule(name: "complaint", categories: [.complaint], urgency: .yellow),
    ])

    /// The rules that match, in configuration order (the "why" of a colour).
    public func matchingRules(_ draft: TicketDraft, now: Date) -> [TriageRule] {
        rules.filter { $0.matches(draft, now: now) }
    }

    /// Highest urgency among matching rules, at least `defaultUrgency`.
    public func triage(_ draft: TicketDraft, now: Date) -> Urgency {
        var result = defaultUrgency
        for rule in rules where rule.urgency > result && rule.matches(draft, now: now) {
            result = rule.urgency
            if result == .red { break }
        }
        return result
    }
}
