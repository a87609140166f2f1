/// Where a ticket stands in its shard. The shard keeps only the states that decide who may hold
/// it; richer lifecycle detail (offers, waiting on customer, SLA clocks) lives above the log.
public enum ShardTicketStatus: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Waiting for an agent; a claim at the current epoch may take it.
    case queued = 0
    /// Held by one agent under a lease, fenced by the epoch.
    case assigned = 1
    /// Work done; may be closed or reopened.
    case resolved = 2
    /// Finished (or cancelled); may be reopened.
    case closed = 3

    public var description: String {
        switch self {
        case .queued: "queued"
        case .assigned: "assigned"
        case .resolved: "resolved"
        case .closed: "closed"
        }
    }
}

/// One ticket row of a shard: exactly what the replicated log decides about it.
public struct ShardTicket: Sendable, Hashable {
    public var id: String
    /// The intake's idempotency key, if it sent one (a second create with it returns this ticket).
    public var idempotencyKey: String?
    /// The ticket's body as the intake encoded it; the shard never looks inside.
    public var payload: [UInt8]
    /// Proposer's clock at creation, in milliseconds since the epoch.
    public var createdAt: Int64
    public var status: ShardTicketStatus
    /// Fencing token: bumped by every change of who may act on the ticket; never decreases.
    public var epoch: UInt64
    /// The agent holding the ticket; set exactly while `status == .assigned`.
    public var holder: String?
    /// End of the holder's lease in milliseconds (0 when nobody holds it).
    public var leaseUntil: Int64
    /// Times the ticket was escalated to a higher support tier.
    public var escalations: UInt32
    /// Times the ticket was reopened after resolution or closing.
    public var reopens: UInt32

    public init(id: String, idempotencyKey: String?, payload: [UInt8], createdAt: Int64, status: ShardTicketStatus = .queued,
                epoch: UInt64 = 0, holder: String? = nil, leaseUntil: Int64 = 0, escalations: UInt32 = 0, reopens: UInt32 = 0) {
        self.id = id
        self.idempotencyKey = idempotencyKey
        self.payload = payload
        self.createdAt = createdAt
        self.status = status
        self.epoch = epoch
        self.holder = holder
        self.leaseUntil = leaseUntil
        self.escalations = escalations
        self.reopens = reopens
    }
}
