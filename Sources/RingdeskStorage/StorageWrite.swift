/// One state change submitted to the group-commit writer.
public enum StorageWrite: Sendable, Hashable {
    /// Inserts a ticket and its first events, unless a ticket with the same idempotency key
    /// exists: then nothing is written and the result is `.duplicate(existingID:)`.
    case createTicket(TicketRow, events: [TicketEventRow])
    /// Replaces a ticket row and appends events if the stored version equals `expectedVersion`;
    /// otherwise nothing is written and the result is `.versionConflict` or `.notFound`.
    /// The row's own `version` is stored as given (normally `expectedVersion + 1`).
    case updateTicket(TicketRow, expectedVersion: Int, newEvents: [TicketEventRow])
    /// Inserts or replaces an agent.
    case upsertAgent(AgentRow)
    /// Inserts or replaces one `meta` entry.
    case setMeta(key: String, value: String)
}

/// The outcome of a committed write: applied, or refused with nothing written.
public enum StorageWriteResult: Sendable, Hashable {
    /// Every operation was applied and the transaction is durable.
    case applied
    /// A ticket with the same idempotency key exists (its id is given).
    case duplicate(existingID: String)
    /// The stored ticket's version differs from the expected one.
    case versionConflict(ticketID: String, expected: Int, actual: Int)
    /// `updateTicket` named a ticket that does not exist.
    case notFound(ticketID: String)
}
