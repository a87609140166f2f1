import RingdeskShard

/// The JSON body of `POST /v1/replication/groups/{group}/commands`: one shard command. Times are
/// milliseconds since the Unix epoch, chosen by the caller (the state machine never reads a clock).
struct ShardCommandRequest: Decodable, Equatable {
    var op: String
    var ticketID: String
    var idempotencyKey: String?
    var payload: String?
    var at: Int64?
    var agent: String?
    var epoch: UInt64?
    var leaseUntil: Int64?
    var now: Int64?
    var kind: String?

    enum CodingKeys: String, CodingKey {
        case op, payload, at, agent, epoch, now, kind
        case ticketID = "ticket_id"
        case idempotencyKey = "idempotency_key"
        case leaseUntil = "lease_until"
    }

    /// The command, or a 400 naming the missing or invalid field.
    func command() throws -> ShardCommand {
        func required<T>(_ value: T?, _ field: String) throws -> T {
            guard let value else { throw APIError(status: 400, code: "invalid_field", message: "\(field) is required for op '\(op)'") }
            return value
        }
        guard !ticketID.isEmpty, ticketID.utf8.count <= ShardLimits.maxIdentifierBytes else {
            throw APIError(status: 400, code: "invalid_field", message: "ticket_id must be 1 to \(ShardLimits.maxIdentifierBytes) bytes")
        }
        if let key = idempotencyKey, key.isEmpty || key.utf8.count > ShardLimits.maxIdentifierBytes {
            throw APIError(status: 400, code: "invalid_field", message: "idempotency_key must be 1 to \(ShardLimits.maxIdentifierBytes) bytes")
        }
        if let agent, agent.isEmpty || agent.utf8.count > ShardLimits.maxIdentifierBytes {
            throw APIError(status: 400, code: "invalid_field", message: "agent must be 1 to \(ShardLimits.maxIdentifierBytes) bytes")
        }
        switch op {
        case "create":
            let bytes = Array((payload ?? "").utf8)
            guard bytes.count <= ShardLimits.maxPayloadBytes else {
                throw APIError(status: 400, code: "invalid_field", message: "payload must be at most \(ShardLimits.maxPayloadBytes) bytes")
            }
            return .create(ticketID: ticketID, idempotencyKey: idempotencyKey, payload: bytes, at: at ?? 0)
        case "claim":
            return .claim(ticketID: ticketID, agent: try required(agent, "agent"), expectedEpoch: try required(epoch, "epoch"),
                          leaseUntil: try required(leaseUntil, "lease_until"))
        case "renew":
            return .renew(ticketID: ticketID, agent: try required(agent, "agent"), epoch: try required(epoch, "epoch"),
                          leaseUntil: try required(leaseUntil, "lease_until"))
        case "expire":
            return .expire(ticketID: ticketID, epoch: try required(epoch, "epoch"), now: try required(now, "now"))
        case "requeue":
            return .requeue(ticketID: ticketID, epoch: try required(epoch, "epoch"))
        case "event":
            let name = try required(kind, "kind")
            guard let eventKind = ShardEventKind.allCases.first(where: { "\($0)" == name }) else {
                throw APIError(status: 400, code: "invalid_field",
                               message: "kind must be one of \(ShardEventKind.allCases.map { "\($0)" }.joined(separator: ", "))")
            }
            return .event(ticketID: ticketID, epoch: try required(epoch, "epoch"), kind: eventKind)
        default:
            throw APIError(status: 400, code: "invalid_field", message: "op must be one of create, claim, renew, expire, requeue, event")
        }
    }
}

/// The answer to a command: where it sits in the group's log and what it did.
struct ShardCommandResponse: Encodable {
    var group: UInt32
    var index: UInt64
    var result: ShardResultBody
}

struct ShardResultBody: Encodable {
    var outcome: String
    var ticketID: String?
    var epoch: UInt64?
    var leaseUntil: Int64?
    var status: String?
    var code: String?

    enum CodingKeys: String, CodingKey {
        case outcome, epoch, status, code
        case ticketID = "ticket_id"
        case leaseUntil = "lease_until"
    }

    init(_ result: ShardResult) {
        switch result {
        case .created(let id): outcome = "created"; ticketID = id
        case .duplicate(let id): outcome = "duplicate"; ticketID = id
        case .claimed(let epoch): outcome = "claimed"; self.epoch = epoch
        case .renewed(let epoch, let until): outcome = "renewed"; self.epoch = epoch; leaseUntil = until
        case .expired(let epoch): outcome = "expired"; self.epoch = epoch
        case .requeued(let epoch): outcome = "requeued"; self.epoch = epoch
        case .updated(let status, let epoch): outcome = "updated"; self.status = "\(status)"; self.epoch = epoch
        case .rejected(let code): outcome = "rejected"; self.code = code
        }
    }
}

/// A ticket as the shard's log decided it (`GET /v1/replication/groups/{group}/tickets/{id}`).
struct ShardTicketBody: Encodable {
    var id: String
    var idempotencyKey: String?
    var payload: String
    var createdAt: Int64
    var status: String
    var epoch: UInt64
    var holder: String?
    var leaseUntil: Int64
    var escalations: UInt32
    var reopens: UInt32

    enum CodingKeys: String, CodingKey {
        case id, payload, status, epoch, holder, escalations, reopens
        case idempotencyKey = "idempotency_key"
        case createdAt = "created_at"
        case leaseUntil = "lease_until"
    }

    init(_ ticket: ShardTicket) {
        id = ticket.id
        idempotencyKey = ticket.idempotencyKey
        payload = String(decoding: ticket.payload, as: UTF8.self)
        createdAt = ticket.createdAt
        status = "\(ticket.status)"
        epoch = ticket.epoch
        holder = ticket.holder
        leaseUntil = ticket.leaseUntil
        escalations = ticket.escalations
        reopens = ticket.reopens
    }
}
