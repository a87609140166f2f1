/// A failure of a service call. `code` is stable for clients; the node maps codes to HTTP statuses
/// in one place. Domain rule violations arrive as `RingdeskDomain.DomainError` instead.
public struct ServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func ticketNotFound(_ id: String) -> ServiceError {
        ServiceError(code: "ticket_not_found", message: "no ticket with id '\(id)'")
    }
    public static func agentNotFound(_ id: String) -> ServiceError {
        ServiceError(code: "agent_not_found", message: "no agent with id '\(id)'")
    }
    public static func conflict(_ message: String) -> ServiceError {
        ServiceError(code: "conflict", message: message)
    }
    /// A command decided on this node's copy of a ticket that lagged the store's (the service
    /// decides again on a linearizable read; clients do not see it).
    public static let staleViewCode = "stale_view"

    public static func unavailable(_ message: String) -> ServiceError {
        ServiceError(code: "storage_unavailable", message: message)
    }
}
