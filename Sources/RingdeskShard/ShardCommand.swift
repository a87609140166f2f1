/// A lifecycle event that is not a claim, renewal, expiry or requeue.
public enum ShardEventKind: UInt8, Sendable, Hashable, CaseIterable {
    /// assigned → resolved (the holder finished the work).
    case resolve = 1
    /// resolved → closed.
    case close = 2
    /// resolved or closed → queued (the customer came back).
    case reopen = 3
    /// queued or assigned → queued with one more escalation (a higher tier must take it).
    case escalate = 4
    /// queued or assigned → closed without resolution.
    case cancel = 5
}

/// One change to a shard, as proposed through its Raft log. Every time value comes inside the
/// command, from the proposer's clock, so every replica applies it to the same result.
public enum ShardCommand: Sendable, Hashable {
    /// Creates a queued ticket at epoch 0 (or returns the ticket an earlier create with the same key made).
    case create(ticketID: String, idempotencyKey: String?, payload: [UInt8], at: Int64)
    /// Fenced compare-and-set: queued at `expectedEpoch` → assigned to `agent` at `expectedEpoch + 1`.
    case claim(ticketID: String, agent: String, expectedEpoch: UInt64, leaseUntil: Int64)
    /// The holder extends its lease at the current epoch.
    case renew(ticketID: String, agent: String, epoch: UInt64, leaseUntil: Int64)
    /// The lease lapsed (`leaseUntil ≤ now`): back to queued at `epoch + 1`.
    case expire(ticketID: String, epoch: UInt64, now: Int64)
    /// The holder (or a supervisor) gives the ticket back: queued at `epoch + 1`.
    case requeue(ticketID: String, epoch: UInt64)
    /// A lifecycle event at the current epoch; moves to `epoch + 1`.
    case event(ticketID: String, epoch: UInt64, kind: ShardEventKind)

    /// The ticket the command is about.
    public var ticketID: String {
        switch self {
        case .create(let id, _, _, _), .claim(let id, _, _, _), .renew(let id, _, _, _), .expire(let id, _, _),
             .requeue(let id, _), .event(let id, _, _):
            id
        }
    }
}

/// What applying a command did. Rejections change nothing and name why in `code`.
public enum ShardResult: Sendable, Hashable, CustomStringConvertible {
    case created(ticketID: String)
    /// The idempotency key was seen before: this is the ticket the first create made.
    case duplicate(ticketID: String)
    case claimed(epoch: UInt64)
    case renewed(epoch: UInt64, leaseUntil: Int64)
    case expired(epoch: UInt64)
    case requeued(epoch: UInt64)
    case updated(status: ShardTicketStatus, epoch: UInt64)
    case rejected(code: String)

    public var isRejection: Bool {
        if case .rejected = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .created(let id): "created(\(id))"
        case .duplicate(let id): "duplicate(\(id))"
        case .claimed(let epoch): "claimed(e\(epoch))"
        case .renewed(let epoch, let until): "renewed(e\(epoch), \(until))"
        case .expired(let epoch): "expired(e\(epoch))"
        case .requeued(let epoch): "requeued(e\(epoch))"
        case .updated(let status, let epoch): "updated(\(status), e\(epoch))"
        case .rejected(let code): "rejected(\(code))"
        }
    }
}

/// Stable codes of `ShardResult.rejected`.
public enum ShardRejection {
    public static let staleEpoch = "stale_epoch"
    public static let notQueued = "not_queued"
    public static let notHolder = "not_holder"
    public static let unknownTicket = "unknown_ticket"
    public static let leaseNotExpired = "lease_not_expired"
    public static let invalidTransition = "invalid_transition"
    public static let duplicateTicketID = "duplicate_ticket_id"
}

/// A row a store writes in the same transaction as the applied index.
public enum ShardRowChange: Sendable, Hashable {
    /// Insert or replace the ticket row.
    case ticket(ShardTicket)
    /// Insert the idempotency key (keys are never removed).
    case idempotencyKey(key: String, ticketID: String)
}

/// Why bytes are not a command or a snapshot. `code` is stable and opaque.
public struct ShardCodecError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func malformed(_ message: String) -> ShardCodecError {
        ShardCodecError(code: "shard_malformed", message: message)
    }
}
