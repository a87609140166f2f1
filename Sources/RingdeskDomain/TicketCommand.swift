import Foundation

/// One event for the ticket lifecycle state machine (`Ticket.apply`). Codable so that it can be
/// written to a replicated log (synthesized form: `{"offer":{"agentID":…,"expiresAt":…}}`).
public enum TicketCommand: Sendable, Codable, Hashable {
    /// queued → offered: reserve for `agentID` until `expiresAt`. `why` (the router's score
    /// breakdown) is recorded on the `offered` event: "why this agent".
    case offer(agentID: String, expiresAt: Date, why: [String: String] = [:])
    /// offered → assigned; the first response (see `Ticket`).
    case acceptOffer(agentID: String)
    /// offered → queued; the agent is excluded from re-offers.
    case rejectOffer(agentID: String)
    /// offered → queued once `expiresAt` has passed; the agent is excluded from re-offers.
    case offerExpired
    /// assigned → in_progress.
    case startWork
    /// A note on any ticket that is not cancelled; internal notes never reach the customer.
    case comment(text: String, internal: Bool)
    /// assigned/in_progress → waiting_on_customer; pauses the resolution SLA.
    case requestCustomerInfo(question: String)
    /// waiting_on_customer → in_progress (or queued when nobody holds it); resumes the SLA.
    /// On other open tickets it is recorded as a customer message.
    case customerReply(text: String)
    /// Move to another queue (department), optionally with new required skills; → queued.
    /// `reason` (a code such as routing's `no_eligible_agent`) is recorded in the event's details.
    case transfer(queue: String, requiredSkills: [SkillRequirement]?, reason: String? = nil)
    /// Raise the support tier (l1 → l2 → expert); → queued at the head.
    case escalate(reason: String)
    /// assigned/in_progress/waiting_on_customer → resolved.
    case resolve(note: String)
    /// resolved → closed.
    case close
    /// resolved/closed → queued at the head, within the reopen window.
    case reopen(reason: String)
    /// Any open status → cancelled.
    case cancel(reason: String)
    /// Supervisor fixes the urgency (floor and ceiling) until cleared with nil; clearing when no
    /// override is set is a no-op (no event).
    case overrideUrgency(Urgency?)
    /// The holder's lease lapsed (fenced by `epoch`): assigned/in_progress → queued at the head.
    case leaseExpired(epoch: UInt64)
    /// Customer rating on a resolved/closed ticket, once.
    case feedback(rating: Int, comment: String)
    /// Records the follow-up ticket opened after a low rating.
    case linkFollowUp(ticketID: String)
    /// Periodic check: marks SLA breaches and raises urgency; no event when nothing changed,
    /// and a no-op (not an error) on resolved, closed or cancelled tickets.
    case slaCheck

    /// What the command does, in words, for error messages ("reply as the customer").
    public var phrase: String {
        switch self {
        case .offer: "offer a ticket"
        case .acceptOffer: "accept an offer"
        case .rejectOffer: "reject an offer"
        case .offerExpired: "expire an offer"
        case .startWork: "start work on a ticket"
        case .comment: "comment on a ticket"
        case .requestCustomerInfo: "ask the customer for information"
        case .customerReply: "reply as the customer"
        case .transfer: "transfer a ticket"
        case .escalate: "escalate a ticket"
        case .resolve: "resolve a ticket"
        case .close: "close a ticket"
        case .reopen: "reopen a ticket"
        case .cancel: "cancel a ticket"
        case .overrideUrgency: "override a ticket's urgency"
        case .leaseExpired: "expire a lease"
        case .feedback: "give feedback on a ticket"
        case .linkFollowUp: "link a follow-up ticket"
        case .slaCheck: "check a ticket's SLA"
        }
    }

    /// snake_case name used in error messages and events.
    public var name: String {
        switch self {
        case .offer: "offer"
        case .acceptOffer: "accept_offer"
        case .rejectOffer: "reject_offer"
        case .offerExpired: "offer_expired"
        case .startWork: "start_work"
        case .comment: "comment"
        case .requestCustomerInfo: "request_customer_info"
        case .customerReply: "customer_reply"
        case .transfer: "transfer"
        case .escalate: "escalate"
        case .resolve: "resolve"
        case .close: "close"
        case .reopen: "reopen"
        case .cancel: "cancel"
        case .overrideUrgency: "override_urgency"
        case .leaseExpired: "lease_expired"
        case .feedback: "feedback"
        case .linkFollowUp: "link_follow_up"
        case .slaCheck: "sla_check"
        }
    }
}
