import Foundation

/// First-response and resolution targets, in seconds of business time.
public struct SLATarget: Sendable, Codable, Hashable {
    public var firstResponse: TimeInterval
    public var resolution: TimeInterval

    public init(firstResponse: TimeInterval, resolution: TimeInterval) {
        self.firstResponse = firstResponse
        self.resolution = resolution
    }

    enum CodingKeys: String, CodingKey {
        case firstResponse = "first_response"
        case resolution
    }
}

/// A target adjustment for tickets matching every condition that is set. Matching overrides
/// are applied in list order, each replacing the fields it sets (later wins).
public struct SLAOverride: Sendable, Codable, Hashable {
    public var urgency: Urgency?
    public var category: TicketCategory?
    public var tier: CustomerTier?
    public var channel: Channel?
    public var firstResponse: TimeInterval?
    public var resolution: TimeInterval?

    public init(urgency: Urgency? = nil, category: TicketCategory? = nil, tier: CustomerTier? = nil,
                channel: Channel? = nil, firstResponse: TimeInterval? = nil, resolution: TimeInterval? = nil) {
        self.urgency = urgency
        self.category = category
        self.tier = tier
        self.channel = channel
        self.firstResponse = firstResponse
        self.resolution = resolution
    }

    enum CodingKeys: String, CodingKey {
        case urgency, category, tier, channel
        case firstResponse = "first_response"
        case resolution
    }

    func matches(urgency: Urgency, category: TicketCategory, tier: CustomerTier, channel: Channel) -> Bool {
        (self.urgency == nil || self.urgency == urgency)
            && (self.category == nil || self.category == category)
            && (self.tier == nil || self.tier == tier)
            && (self.channel == nil || self.channel == channel)
    }
}

/// Service-level policy: targets per urgency, overrides, and business calendars per region.
public struct SLAPolicy: Sendable, Codable, Hashable {
    public var targets: [Urgency: SLATarget]
    public var overrides: [SLAOverride]
    /// Calendar per region key (e.g. "eu-west"); regions not listed use `defaultCalendar`.
    public var calendars: [String: BusinessCalendar]
    public var defaultCalendar: BusinessCalendar

    public init(targets: [Urgency: SLATarget], overrides: [SLAOverride] = [],
                calendars: [String: BusinessCalendar] = [:], defaultCalendar: BusinessCalendar = .alwaysOpen) {
        self.targets = targets
        self.overrides = overrides
        self.calendars = calendars
        self.defaultCalendar = defaultCalendar
    }

    enum CodingKeys: String, CodingKey {
        case targets, overrides, calendars
        case defaultCalendar = "default_calendar"
    }

    /// red 5 min / 4 h, yellow 30 min / 24 h, green 4 h / 72 h; chat first response ≤ 5 min,
    /// phone ≤ 2 min; always-open calendar until regions are configured.
    public static let defaults = SLAPolicy(
        targets: [
            .red: SLATarget(firstResponse: 5 * 60, resolution: 4 * 3600),
            .yellow: SLATarget(firstResponse: 30 * 60, resolution: 24 * 3600),
            .green: SLATarget(firstResponse: 4 * 3600, resolution: 72 * 3600),
        ],
        overrides: [
            SLAOverride(channel: .chat, firstResponse: 5 * 60),
            SLAOverride(channel: .phone, firstResponse: 2 * 60),
        ]
    )

    /// Fallback when `targets` lacks an urgency: the green defaults.
    static let fallbackTarget = SLATarget(firstResponse: 4 * 3600, resolution: 72 * 3600)

    /// The target for a ticket with these attributes.
    public func target(urgency: Urgency, category: TicketCategory, tier: CustomerTier, channel: Channel) -> SLATarget {
        var target = targets[urgency] ?? Self.fallbackTarget
        for override in overrides where override.matches(urgency: urgency, category: category, tier: tier, channel: channel) {
            if let fr = override.firstResponse { target.firstResponse = fr }
            if let res = override.resolution { target.resolution = res }
        }
        return target
    }

    /// The business calendar of a region.
    public func calendar(forRegion region: String) -> BusinessCalendar {
        calendars[region] ?? defaultCalendar
    }
}
