import RingdeskPrimitives

/// The tickets of one shard as a pure, deterministic state machine: every replica applies the
/// same committed commands in the same order and ends with the same rows (compare `digest`).
///
/// Invariants: at most one holder per ticket (`holder` is set exactly while assigned), and a
/// ticket's `epoch` strictly increases with every change of who may act on it, so a stale claim,
/// renewal or expiry (one decided on an older view) is refused instead of applied twice.
public struct ShardStateMachine: Sendable {
    /// Ticket rows by id.
    public private(set) var tickets: [String: ShardTicket] = [:]
    /// Idempotency key → the ticket its first create made.
    public private(set) var idempotencyKeys: [String: String] = [:]
    /// Order-independent sum of the rows' hashes, kept up to date on every change.
    private var rowHashSum: UInt64 = 0

    public init() {}

    public func ticket(_ id: String) -> ShardTicket? { tickets[id] }

    /// A cheap fingerprint of the whole state (every row and key), equal on replicas that applied
    /// the same commands; O(1), maintained incrementally.
    public var digest: UInt64 {
        ShardHash.mix(rowHashSum ^ ShardHash.mix(UInt64(tickets.count) << 32 | UInt64(idempotencyKeys.count)))
    }

    /// Applies one committed command. Rejections leave the state exactly as it was.
    public mutating func apply(_ command: ShardCommand) -> ShardResult {
        switch command {
        case let .create(ticketID, key, payload, at):
            if let key, let existing = idempotencyKeys[key] { return .duplicate(ticketID: existing) }
            guard tickets[ticketID] == nil else { return .rejected(code: ShardRejection.duplicateTicketID) }
            let ticket = ShardTicket(id: ticketID, idempotencyKey: key, payload: payload, createdAt: at)
            store(ticket)
            if let key {
                idempotencyKeys[key] = ticketID
                rowHashSum &+= ShardHash.key(key, ticketID)
            }
            return .created(ticketID: ticketID)

        case let .claim(ticketID, agent, expectedEpoch, leaseUntil):
            guard var ticket = tickets[ticketID] else { return .rejected(code: ShardRejection.unknownTicket) }
            guard ticket.epoch == expectedEpoch else { return .rejected(code: ShardRejection.staleEpoch) }
            guard ticket.status == .queued else { return .rejected(code: ShardRejection.notQueued) }
            ticket.status = .assigned
            ticket.epoch += 1
            ticket.holder = agent
            ticket.leaseUntil = leaseUntil
            store(ticket)
            return .claimed(epoch: ticket.epoch)

        case let .renew(ticketID, agent, epoch, leaseUntil):
            guard var ticket = tickets[ticketID] else { return .rejected(code: ShardRejection.unknownTicket) }
            guard ticket.epoch == epoch else { return .rejected(code: ShardRejection.staleEpoch) }
            guard ticket.status == .assigned, ticket.holder == agent else { return .rejected(code: ShardRejection.notHolder) }
            // A lease never shrinks: a delayed renewal must not cut a newer one short.
            ticket.leaseUntil = max(ticket.leaseUntil, leaseUntil)
            store(ticket)
            return .renewed(epoch: ticket.epoch, leaseUntil: ticket.leaseUntil)

        case let .expire(ticketID, epoch, now):
            guard var ticket = tickets[ticketID] else { return .rejected(code: ShardRejection.unknownTicket) }
            guard ticket.epoch == epoch else { return .rejected(code: ShardRejection.staleEpoch) }
            guard ticket.status == .assigned else { return .rejected(code: ShardRejection.invalidTransition) }
            guard ticket.leaseUntil <= now else { return .rejected(code: ShardRejection.leaseNotExpired) }
            release(&ticket, to: .queued)
            store(ticket)
            return .expired(epoch: ticket.epoch)

        case let .requeue(ticketID, epoch):
            guard var ticket = tickets[ticketID] else { return .rejected(code: ShardRejection.unknownTicket) }
            guard ticket.epoch == epoch else { return .rejected(code: ShardRejection.staleEpoch) }
            guard ticket.status == .assigned else { return .rejected(code: ShardRejection.invalidTransition) }
            release(&ticket, to: .queued)
            store(ticket)
            return .requeued(epoch: ticket.epoch)

        case let .event(ticketID, epoch, kind):
            guard var ticket = tickets[ticketID] else { return .rejected(code: ShardRejection.unknownTicket) }
            guard ticket.epoch == epoch else { return .rejected(code: ShardRejection.staleEpoch) }
            guard let next = Self.transition(from: ticket.status, kind) else {
                return .rejected(code: ShardRejection.invalidTransition)
            }
            switch kind {
            case .escalate: ticket.escalations &+= 1
            case .reopen: ticket.reopens &+= 1
            case .resolve, .close, .cancel: break
            }
            release(&ticket, to: next)
            store(ticket)
            return .updated(status: next, epoch: ticket.epoch)
        }
    }

    /// The status an event leads to from `status`, or nil when the transition is not allowed.
    public static func transition(from status: ShardTicketStatus, _ kind: ShardEventKind) -> ShardTicketStatus? {
        switch (kind, status) {
        case (.resolve, .assigned): .resolved
        case (.close, .resolved): .closed
        case (.reopen, .resolved), (.reopen, .closed): .queued
        case (.escalate, .queued), (.escalate, .assigned): .queued
        case (.cancel, .queued), (.cancel, .assigned): .closed
        default: nil
        }
    }

    /// The rows a store writes after `command` was applied (the command's ticket and, for a create
    /// with a key, the key). Harmless to write for a rejected command: the rows are unchanged.
    public func rows(touchedBy command: ShardCommand) -> [ShardRowChange] {
        var rows: [ShardRowChange] = []
        if case .create(_, let key?, _, _) = command, let id = idempotencyKeys[key] {
            rows.append(.idempotencyKey(key: key, ticketID: id))
            if let ticket = tickets[id] { rows.append(.ticket(ticket)) }
            return rows
        }
        if let ticket = tickets[command.ticketID] { rows.append(.ticket(ticket)) }
        return rows
    }

    /// Every row, sorted (for a store that replaces its rows after a snapshot was installed).
    public func allRows() -> [ShardRowChange] {
        tickets.keys.sorted().map { .ticket(tickets[$0]!) }
            + idempotencyKeys.keys.sorted().map { .idempotencyKey(key: $0, ticketID: idempotencyKeys[$0]!) }
    }

    /// Moves to `status` at the next epoch, releasing any holder.
    private func release(_ ticket: inout ShardTicket, to status: ShardTicketStatus) {
        ticket.status = status
        ticket.epoch += 1
        ticket.holder = nil
        ticket.leaseUntil = 0
    }

    private mutating func store(_ ticket: ShardTicket) {
        if let old = tickets[ticket.id] { rowHashSum &-= ShardHash.ticket(old) }
        tickets[ticket.id] = ticket
        rowHashSum &+= ShardHash.ticket(ticket)
    }

    /// Rebuilds the state from decoded rows (used by the snapshot decoder after validation).
    init(validatedTickets: [String: ShardTicket], keys: [String: String]) {
        tickets = validatedTickets
        idempotencyKeys = keys
        for ticket in validatedTickets.values { rowHashSum &+= ShardHash.ticket(ticket) }
        for (key, id) in keys { rowHashSum &+= ShardHash.key(key, id) }
    }
}

/// FNV-1a over a row's canonical encoding, finished with a SplitMix64 mix so sums spread well.
enum ShardHash {
    static func fnv(_ bytes: [UInt8]) -> UInt64 { FNV1a.hash(bytes) }

    static func mix(_ value: UInt64) -> UInt64 { SplitMix64.mix(value) }

    static func ticket(_ ticket: ShardTicket) -> UInt64 {
        var writer = ShardWriter()
        writer.byte(1)
        writer.encode(ticket)
        return mix(fnv(writer.bytes))
    }

    static func key(_ key: String, _ id: String) -> UInt64 {
        var writer = ShardWriter()
        writer.byte(2)
        writer.string(key)
        writer.string(id)
        return mix(fnv(writer.bytes))
    }
}
