import Foundation

/// The customer-facing view of a ticket: status in customer terms, the next step, due dates and
/// the public conversation. Never contains internal notes, agent ids, queues, epochs or scores.
public struct CustomerProgressView: Sendable, Codable, Hashable {
    public enum Stage: String, Sendable, Codable, CaseIterable, Hashable {
        case received
        case waitingForAgent = "waiting_for_agent"
        case beingHandled = "being_handled"
        case waitingForYou = "waiting_for_you"
        case resolved
        case closed
        case cancelled
    }

    public struct Message: Sendable, Codable, Hashable {
        public enum Author: String, Sendable, Codable, Hashable {
            case customer
            case support
        }

        public var at: Date
        public var author: Author
        public var text: String
    }

    public var id: String
    public var stage: Stage
    public var category: TicketCategory
    public var channel: Channel
    public var subject: String
    public var nextStep: String
    public var createdAt: Date
    public var updatedAt: Date
    /// Set until the first response has been given.
    public var firstResponseDue: Date?
    /// Set while the ticket is open and not waiting on the customer.
    public var resolutionDue: Date?
    public var resolvedAt: Date?
    public var messages: [Message]
    public var canGiveFeedback: Bool
    public var rating: Int?

    enum CodingKeys: String, CodingKey {
        case id, stage, category, channel, subject
        case nextStep = "next_step"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case firstResponseDue = "first_response_due"
        case resolutionDue = "resolution_due"
        case resolvedAt = "resolved_at"
        case messages
        case canGiveFeedback = "can_give_feedback"
        case rating
    }

    public init(ticket: Ticket) {
        id = ticket.id
        category = ticket.category
        channel = ticket.channel
        subject = ticket.subject
        createdAt = ticket.createdAt
        updatedAt = ticket.updatedAt
        resolvedAt = ticket.resolvedAt
        rating = ticket.feedback?.rating
        canGiveFeedback = ticket.status.isResolution && ticket.feedback == nil
        firstResponseDue = ticket.status.isOpen && ticket.firstResponseAt == nil ? ticket.sla.firstResponseDue : nil
        resolutionDue = ticket.status.isOpen && !ticket.sla.isPaused ? ticket.sla.resolutionDue : nil
        switch ticket.status {
        case .new:
            stage = .received
            nextStep = "We have received your request."
        case .queued, .offered:
            stage = .waitingForAgent
            nextStep = "Your request is in line for the next available specialist."
        case .assigned, .inProgress:
            stage = .beingHandled
            nextStep = "A specialist is working on your request."
        case .waitingOnCustomer:
            stage = .waitingForYou
            nextStep = "We need more information from you; please reply to continue."
        case .resolved:
            stage = .resolved
            nextStep = ticket.feedback == nil
                ? "Your request is resolved. Please rate our help, or reply to reopen it."
                : "Your request is resolved. Thank you for your feedback."
        case .closed:
            stage = .closed
            nextStep = "Your request is closed."
        case .cancelled:
            stage = .cancelled
            nextStep = "Your request was cancelled."
        }
        messages = ticket.history.compactMap { event in
            guard !event.isInternal, let text = event.reason, !text.isEmpty else { return nil }
            switch event.kind {
            case .commented:
                let author: Message.Author = event.actor.kind == .customer || event.actor.kind == .intake
                    ? .customer : .support
                return Message(at: event.at, author: author, text: text)
            case .customerInfoRequested, .resolved:
                return Message(at: event.at, author: .support, text: text)
            case .customerReplied:
                return Message(at: event.at, author: .customer, text: text)
            default:
                return nil
            }
        }
    }
}
