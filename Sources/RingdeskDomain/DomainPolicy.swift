import Foundation

/// Everything the lifecycle needs to decide: triage rules, SLA policy, escalation, offer and
/// delivery limits. A documented `Sendable` configuration with `defaults`.
public struct DomainPolicy: Sendable, Codable, Hashable {
    public var triage: TriageRules
    public var sla: SLAPolicy
    public var escalation: UrgencyEscalation
    /// Seconds an agent has to accept an offer (used by assigners to set `expiresAt`).
    public var offerTimeout: TimeInterval
    /// Offers a ticket may receive before it goes to `reviewQueue` instead of being re-offered.
    public var maxDeliveryAttempts: Int
    /// A resolved or closed ticket may be reopened for this long after it was resolved/closed.
    public var reopenWindow: TimeInterval
    /// The supervisors' review queue for tickets that used up their delivery attempts.
    public var reviewQueue: String
    /// Most recent agents remembered as excluded from re-offers of one ticket.
    public var maxExcludedAgents: Int
    /// Department queues beyond the categories' default queues and `reviewQueue`: the queues a
    /// ticket may be created into or transferred to are exactly these three sets (`knownQueues`).
    public var queues: [String]
    /// Seconds after a reject or a lapsed offer before that agent may be offered the ticket again
    /// (0: not until a transfer, escalation or reopen). Routing follows the same value.
    public var exclusionExpiry: TimeInterval

    public init(
        triage: TriageRules = .defaults,
        sla: SLAPolicy = .defaults,
        escalation: UrgencyEscalation = .defaults,
        offerTimeout: TimeInterval = 30,
        maxDeliveryAttempts: Int = 5,
        reopenWindow: TimeInterval = 7 * 86_400,
        reviewQueue: String = "supervisor_review",
        maxExcludedAgents: Int = 16,
        queues: [String] = [],
        exclusionExpiry: TimeInterval = 120
    ) {
        self.triage = triage
        self.sla = sla
        self.escalation = escalation
        self.offerTimeout = offerTimeout
        self.maxDeliveryAttempts = maxDeliveryAttempts
        self.reopenWindow = reopenWindow
        self.reviewQueue = reviewQueue
        self.maxExcludedAgents = maxExcludedAgents
        self.queues = queues
        self.exclusionExpiry = exclusionExpiry
    }

    public static let defaults = DomainPolicy()

    /// Keys left out of a configuration keep their defaults, so a config file can change one thing.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = DomainPolicy.defaults
        triage = try c.decodeIfPresent(TriageRules.self, forKey: .triage) ?? defaults.triage
        sla = try c.decodeIfPresent(SLAPolicy.self, forKey: .sla) ?? defaults.sla
        escalation = try c.decodeIfPresent(UrgencyEscalation.self, forKey: .escalation) ?? defaults.escalation
        offerTimeout = try c.decodeIfPresent(TimeInterval.self, forKey: .offerTimeout) ?? defaults.offerTimeout
        maxDeliveryAttempts = try c.decodeIfPresent(Int.self, forKey: .maxDeliveryAttempts) ?? defaults.maxDeliveryAttempts
        reopenWindow = try c.decodeIfPresent(TimeInterval.self, forKey: .reopenWindow) ?? defaults.reopenWindow
        reviewQueue = try c.decodeIfPresent(String.self, forKey: .reviewQueue) ?? defaults.reviewQueue
        maxExcludedAgents = try c.decodeIfPresent(Int.self, forKey: .maxExcludedAgents) ?? defaults.maxExcludedAgents
        queues = try c.decodeIfPresent([String].self, forKey: .queues) ?? defaults.queues
        exclusionExpiry = try c.decodeIfPresent(TimeInterval.self, forKey: .exclusionExpiry) ?? defaults.exclusionExpiry
    }

    /// Every queue a ticket may be in: the categories' default queues, `queues`, `reviewQueue`.
    public var knownQueues: [String] {
        var known: [String] = []
        for queue in TicketCategory.allCases.map(\.defaultQueue) + queues + [reviewQueue] where !known.contains(queue) {
            known.append(queue)
        }
        return known
    }

    /// Refuses a queue that is not in `knownQueues` (`unknown_queue`, naming `field`).
    public func checkQueue(_ queue: String, field: String) throws {
        guard !knownQueues.contains(queue) else { return }
        throw DomainError(code: DomainError.unknownQueueCode,
                          message: "\(field): no queue named '\(queue)'; known queues: \(knownQueues.joined(separator: ", "))",
                          field: field)
    }

    enum CodingKeys: String, CodingKey {
        case triage, sla, escalation
        case offerTimeout = "offer_timeout"
        case maxDeliveryAttempts = "max_delivery_attempts"
        case reopenWindow = "reopen_window"
        case reviewQueue = "review_queue"
        case maxExcludedAgents = "max_excluded_agents"
        case queues
        case exclusionExpiry = "exclusion_expiry"
    }
}
