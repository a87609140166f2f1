import Foundation

/// One entry in a ticket's history: who did what, when, and why.
public struct TicketEvent: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable, Hashable {
        case created
        case queued
        case offered
        case offerAccepted = "offer_accepted"
        case offerRejected = "offer_rejected"
        case offerExpired = "offer_expired"
        case workStarted = "work_started"
        case commented
        case customerInfoRequested = "customer_info_requested"
        case customerReplied = "customer_replied"
        case transferred
        case escalated
        case resolved
        case closed
        case reopened
        case cancelled
        case urgencyOverridden = "urgency_overridden"
        case urgencyOverrideCleared = "urgency_override_cleared"
        case urgencyEscalated = "urgency_escalated"
        case slaBreached = "sla_breached"
        case leaseExpired = "lease_expired"
        case deliveryLimitReached = "delivery_limit_reached"
        case feedbackReceived = "feedback_received"
        case followUpLinked = "follow_up_linked"
    }

    /// 1-based position in the history.
    public var seq: Int
    public var at: Date
    public var kind: Kind
    public var actor: TicketActor
    /// Status before the command (nil for creation).
    public var from: TicketStatus?
    public var to: TicketStatus
    /// Free text: the reason, note, comment or question.
    public var reason: String?
    /// Structured facts (e.g. "agent_id", "queue", "urgency", "tier", "epoch").
    public var details: [String: String]
    /// Internal notes and agent-only facts; never shown to the customer.
    public var isInternal: Bool

    public init(seq: Int, at: Date, kind: Kind, actor: TicketActor, from: TicketStatus?, to: TicketStatus,
                reason: String? = nil, details: [String: String] = [:], isInternal: Bool) {
        self.seq = seq
        self.at = at
        self.kind = kind
        self.actor = actor
        self.from = from
        self.to = to
        self.reason = reason
        self.details = details
        self.isInternal = isInternal
    }

    enum CodingKeys: String, CodingKey {
        case seq, at, kind, actor, from, to, reason, details
        case isInternal = "internal"
    }
}
