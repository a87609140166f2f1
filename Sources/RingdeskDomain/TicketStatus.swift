/// Lifecycle state of a ticket. `resolved`, `closed` and `cancelled` are terminal for work
/// (a resolved or closed ticket can still be reopened within the policy's window).
public enum TicketStatus: String, Sendable, Codable, CaseIterable, Hashable, CodingKeyRepresentable {
    case new
    case queued
    case offered
    case assigned
    case inProgress = "in_progress"
    case waitingOnCustomer = "waiting_on_customer"
    case resolved
    case closed
    case cancelled

    /// Work is still owed to the customer (counts as backlog).
    public var isOpen: Bool {
        switch self {
        case .new, .queued, .offered, .assigned, .inProgress, .waitingOnCustomer: true
        case .resolved, .closed, .cancelled: false
        }
    }

    /// Resolved or closed: counts as a resolution in KPIs.
    public var isResolution: Bool { self == .resolved || self == .closed }
}
