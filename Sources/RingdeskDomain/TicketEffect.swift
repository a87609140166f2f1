import Foundation

/// What the owner of a ticket must do after a successful command. The core never acts itself.
public enum TicketEffect: Sendable, Hashable {
    /// Put the ticket (back) in its queue; `atHead` means ahead of tickets of equal urgency.
    case requeue(atHead: Bool)
    /// The agent no longer holds (or is no longer offered) this ticket: free their capacity.
    case releaseAgent(String)
    /// Arm an expiry timer for the offer (then send `.offerExpired`).
    case scheduleOfferExpiry(agentID: String, at: Date)
    /// The agent now holds the ticket at `epoch`: start the lease it must keep alive.
    case startLease(agentID: String, epoch: UInt64)
    /// Delivery attempts used up: the ticket moved to the supervisor review queue and must not
    /// be re-offered automatically.
    case deliveryLimitReached
    /// Open a call-back ticket from this draft with `Ticket.createFollowUp`, then send
    /// `.linkFollowUp` to this ticket.
    case openFollowUp(TicketDraft)
    case slaBreached(SLAKind)
    case urgencyChanged(from: Urgency, to: Urgency)
}
