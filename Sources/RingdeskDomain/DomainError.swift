/// Error thrown by validation and lifecycle transitions. `code` is stable and opaque (the API
/// maps it to an HTTP status in one place); `message` is for humans; `field` names the offending
/// input field (snake_case JSON path) when there is one.
public struct DomainError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var field: String?

    public init(code: String, message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String {
        if let field { return "\(code) (\(field)): \(message)" }
        return "\(code): \(message)"
    }

    // MARK: Stable codes

    /// Input failed validation (400).
    public static let invalidFieldCode = "invalid_field"
    /// Command not allowed in the ticket's current status (409).
    public static let illegalTransitionCode = "illegal_transition"
    /// accept/reject by an agent the ticket is not offered to (409).
    public static let notOfferedToAgentCode = "not_offered_to_agent"
    /// accept after the offer's expiry (409).
    public static let offerExpiredCode = "offer_expired"
    /// offerExpired sent before the offer's expiry (409).
    public static let offerNotExpiredCode = "offer_not_expired"
    /// An agent acted on a ticket assigned to someone else (403).
    public static let notAssignedAgentCode = "not_assigned_agent"
    /// The actor's kind may not issue this command (403).
    public static let notPermittedCode = "not_permitted"
    /// Feedback was already given (409).
    public static let feedbackExistsCode = "feedback_exists"
    /// A follow-up ticket is already linked (409).
    public static let followUpExistsCode = "follow_up_exists"
    /// Escalation from the expert tier (409).
    public static let maxTierReachedCode = "max_tier_reached"
    /// Reopen after the policy's reopen window (409).
    public static let reopenWindowElapsedCode = "reopen_window_elapsed"
    /// Offer to an agent who already rejected or let this ticket's offer expire (409).
    public static let agentExcludedCode = "agent_excluded"
    /// Offer to a ticket that used up its delivery attempts (409; it is in supervisor review).
    public static let deliveryLimitReachedCode = "delivery_limit_reached"
    /// An idempotency key came back with a request other than the one that created its ticket (409).
    public static let idempotencyKeyReusedCode = "idempotency_key_reused"
    /// A create or transfer named a queue the policy does not know (400).
    public static let unknownQueueCode = "unknown_queue"
    /// A fenced command carried an epoch that is no longer current (409).
    public static let staleEpochCode = "stale_epoch"

    static func invalid(_ field: String, _ message: String) -> DomainError {
        DomainError(code: invalidFieldCode, message: "\(field): \(message)", field: field)
    }
}
