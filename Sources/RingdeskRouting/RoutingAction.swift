import Foundation

/// An assignment the engine decided: an offer to make, or a supervisor's manual assignment.
public struct RoutingDecision: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, Hashable {
        /// Offer the ticket; the agent has until `expiresAt` to accept.
        case offer
        /// A supervisor assigned it; the lease runs until `expiresAt`.
        case manual
    }

    public var kind: Kind
    public var ticketID: String
    public var agentID: String
    /// The owner's epoch of the ticket when it was enqueued (fence the command with it).
    public var epoch: UInt64
    public var decidedAt: Date
    public var expiresAt: Date
    public var score: ScoreBreakdown

    enum CodingKeys: String, CodingKey {
        case kind
        case ticketID = "ticket_id"
        case agentID = "agent_id"
        case epoch
        case decidedAt = "decided_at"
        case expiresAt = "expires_at"
        case score
    }
}

/// What the owner must do after `RoutingEngine.advance(to:)` or a command.
public enum RoutingAction: Sendable, Hashable {
    /// Make this offer (or record this manual assignment).
    case decide(RoutingDecision)
    /// The offer lapsed unanswered; the ticket is queued again without that agent.
    case offerExpired(ticketID: String, agentID: String)
    /// The agent's lease lapsed; the ticket is back at the head of its queue.
    case leaseLapsed(ticketID: String, agentID: String, epoch: UInt64)
    /// The ticket goes to the supervisors' review queue, for `reason`.
    case movedToReview(ticketID: String, attempts: Int, reason: ReviewReason)
}

/// Why routing gave a ticket up to the supervisors' review queue (recorded on the ticket's event).
public enum ReviewReason: String, Sendable, Hashable, Codable {
    /// It was offered `max_delivery_attempts` times without being accepted.
    case deliveryLimit = "delivery_limit"
    /// Exclusions never age out (`exclusion_expiry` 0) and every agent who could take it declined
    /// or let an offer lapse.
    case noEligibleAgent = "no_eligible_agent"
}
