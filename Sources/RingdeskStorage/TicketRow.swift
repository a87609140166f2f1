import Foundation

/// One row of `tickets`: the indexed columns the store filters on, plus the caller's encoded document.
///
/// Storage never interprets `doc`; the domain module encodes and decodes it.
public struct TicketRow: Sendable, Hashable {
    public var id: String
    /// Intake's idempotency key; unique when present.
    public var idempotencyKey: String?
    public var status: String
    public var urgency: String
    public var category: String
    public var channel: String
    public var region: String
    public var language: String
    public var queue: String
    public var agentID: String?
    public var customerID: String
    /// Seconds since 1970 (UTC). Listing order and paging key, with `id`.
    public var createdAt: Double
    /// Seconds since 1970 (UTC).
    public var updatedAt: Double
    /// Optimistic-concurrency version, checked by `StorageWrite.updateTicket`.
    public var version: Int
    /// The caller-encoded document (e.g. JSON).
    public var doc: Data

    public init(
        id: String, idempotencyKey: String?, status: String, urgency: String, category: String,
        channel: String, region: String, language: String, queue: String, agentID: String?,
        customerID: String, createdAt: Double, updatedAt: Double, version: Int, doc: Data
    ) {
        self.id = id
        self.idempotencyKey = idempotencyKey
        self.status = status
        self.urgency = urgency
        self.category = category
        self.channel = channel
        self.region = region
        self.language = language
        self.queue = queue
        self.agentID = agentID
        self.customerID = customerID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
        self.doc = doc
    }
}
