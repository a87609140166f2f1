import Foundation
import RingdeskDomain
import RingdeskPrimitives
import RingdeskRaft

/// The tickets of one shard with the domain's own lifecycle, as a deterministic replicated state
/// machine: the same `Ticket.create` / `Ticket.apply` the single node runs (all statuses, offers
/// and delivery attempts, exclusions, queue and tier, urgency and overrides, SLA clocks, history
/// with actor and time, CSAT and follow-up links), applied from log entries that carry their time,
/// actor, policy version and the proposer's urgency and due dates.
///
/// A refused entry leaves the state exactly as it was and says why in its result. Effects
/// (re-queue, free an agent, open a follow-up) are returned to the proposer, never performed here.
public struct TicketShardMachine: Sendable {
    /// Tickets by id (open and terminal: eviction of old terminal tickets is the store's read model's job).
    public private(set) var tickets: [String: Ticket] = [:]
    /// Idempotency key → the ticket its first create made.
    public private(set) var idempotencyKeys: [String: String] = [:]
    /// The policy commands are applied with, and its version (0 with the defaults before any `setPolicy`).
    public private(set) var policy: DomainPolicy = .defaults
    public private(set) var policyVersion: UInt64 = 0
    /// Order-independent sum of the tickets' summary hashes, kept up to date on every change.
    private var ticketHashSum: UInt64 = 0

    public init() {}

    /// A cheap fingerprint of the state (every ticket's status, epoch, holder, offer, queue,
    /// urgency, clocks and history length, and the policy version), equal on replicas that applied
    /// the same entries; O(1), maintained incrementally. Snapshots compare everything.
    public var digest: UInt64 {
        SplitMix64.mix(ticketHashSum ^ SplitMix64.mix(UInt64(tickets.count) << 32 ^ policyVersion))
    }

    public func ticket(_ id: String) -> Ticket? { tickets[id] }

    /// Applies one committed entry.
    public mutating func apply(_ entry: TicketLogEntry) -> TicketLogResult {
        switch entry {
        case let .setPolicy(version, newPolicy):
            guard version > policyVersion else {
                return .rejected(TicketLogRejection(code: TicketLogRejection.stalePolicy,
                                                    message: "policy version \(version) is not newer than \(policyVersion)"))
            }
            policy = newPolicy
            policyVersion = version
            return .policySet(version: version)

        case .create(let ticket):
            if let key = ticket.idempotencyKey, let existing = idempotencyKeys[key], let first = tickets[existing] {
                return .duplicate(first)
            }
            guard tickets[ticket.id] == nil else {
                return .rejected(TicketLogRejection(code: TicketLogRejection.duplicateTicketID, message: "ticket \(ticket.id) exists"))
            }
            guard ticket.status == .queued || ticket.status == .new, ticket.history.count >= 1 else {
                return .rejected(TicketLogRejection(code: TicketLogRejection.invalidCreate,
                                                    message: "a created ticket starts new or queued with its creation event"))
            }
            store(ticket)
            if let key = ticket.idempotencyKey { idempotencyKeys[key] = ticket.id }
            return .created(ticket)

        case .command(let entry):
            guard var ticket = tickets[entry.ticketID] else {
                return .rejected(TicketLogRejection(code: TicketLogRejection.unknownTicket, message: "no ticket \(entry.ticketID) in this shard"))
            }
            guard entry.policyVersion == policyVersion else {
                return .rejected(TicketLogRejection(code: TicketLogRejection.policyChanged,
                                                    message: "decided under policy \(entry.policyVersion), the shard holds \(policyVersion)"))
            }
            if let expected = entry.expectedEpoch, expected != ticket.epoch {
                return .rejected(TicketLogRejection(code: TicketLogRejection.staleEpoch,
                                                    message: "ticket \(ticket.id) is at epoch \(ticket.epoch), the command expected \(expected)"))
            }
            do {
                // A ticket's time never runs backwards: a command decided on an older view (or by
                // a proposer whose clock lags) is stamped at the ticket's last change instead.
                let at = max(entry.at, ticket.updatedAt)
                let effects = try ticket.apply(entry.command, by: entry.actor, at: at, policy: policy)
                if let derived = entry.derived {
                    ticket.urgency = derived.urgency
                    ticket.sla = derived.sla
                }
                store(ticket)
                return .applied(ticket, effects: effects)
            } catch let error as DomainError {
                return .rejected(TicketLogRejection(code: error.code, message: error.message, field: error.field))
            } catch {
                return .rejected(TicketLogRejection(code: TicketLogRejection.invalidTransition, message: "\(error)"))
            }
        }
    }

    /// The rows a store writes after `entry` was applied: the ticket it names (or, for a create
    /// that met its idempotency key, the first ticket), or the policy.
    public func rows(touchedBy entry: TicketLogEntry) -> [TicketShardRow] {
        switch entry {
        case .setPolicy:
            return [.policy(version: policyVersion, policy)]
        case .create(let ticket):
            let id = ticket.idempotencyKey.flatMap { idempotencyKeys[$0] } ?? ticket.id
            return tickets[id].map { [.ticket($0)] } ?? []
        case .command(let command):
            return tickets[command.ticketID].map { [.ticket($0)] } ?? []
        }
    }

    /// Adds a decoded ticket (rows or a snapshot); refuses a ticket twice or a key held by two tickets.
    mutating func install(_ ticket: Ticket) throws(ShardCodecError) {
        guard tickets[ticket.id] == nil else { throw .malformed("ticket \(ticket.id) stored twice") }
        store(ticket)
        if let key = ticket.idempotencyKey {
            guard idempotencyKeys.updateValue(ticket.id, forKey: key) == nil else { throw .malformed("key \(key) held by two tickets") }
        }
    }

    mutating func restore(policy: DomainPolicy, version: UInt64) {
        self.policy = policy
        policyVersion = version
    }

    private mutating func store(_ ticket: Ticket) {
        if let old = tickets[ticket.id] { ticketHashSum &-= Self.summaryHash(old) }
        tickets[ticket.id] = ticket
        ticketHashSum &+= Self.summaryHash(ticket)
    }

    static func summaryHash(_ ticket: Ticket) -> UInt64 {
        var writer = ByteWriter()
        writer.string(ticket.id)
        writer.string(ticket.status.rawValue)
        writer.varint(ticket.epoch)
        writer.varint(UInt64(ticket.history.count))
        writer.u64(ticket.updatedAt.timeIntervalSinceReferenceDate.bitPattern)
        writer.optionalString(ticket.assignedAgentID)
        writer.optionalString(ticket.offer?.agentID)
        writer.string(ticket.queue)
        writer.string(ticket.urgency.rawValue)
        writer.varint(UInt64(clamping: ticket.deliveryAttempts))
        writer.varint(UInt64(ticket.excludedAgentIDs.count))
        writer.u64(ticket.sla.firstResponseDue.timeIntervalSinceReferenceDate.bitPattern)
        writer.varint(UInt64(clamping: ticket.feedback?.rating ?? 0))
        writer.optionalString(ticket.followUpTicketID)
        return SplitMix64.mix(FNV1a.hash(writer.bytes))
    }

    /// Every row, tickets sorted by id, then the policy.
    public func allRows() -> [TicketShardRow] {
        tickets.keys.sorted().map { .ticket(tickets[$0]!) } + [.policy(version: policyVersion, policy)]
    }
}

/// What applying one entry did.
public enum TicketLogResult: Sendable, Hashable {
    case created(Ticket)
    /// The idempotency key was seen before: the ticket the first create made, unchanged.
    case duplicate(Ticket)
    /// The command's new ticket state and the effects its proposer must perform.
    case applied(Ticket, effects: [TicketEffect])
    case policySet(version: UInt64)
    case rejected(TicketLogRejection)

    public var rejection: TicketLogRejection? {
        if case .rejected(let rejection) = self { return rejection }
        return nil
    }
}

/// Why an entry changed nothing. Domain refusals keep the domain's code and field.
public struct TicketLogRejection: Sendable, Hashable, Error, CustomStringConvertible {
    public var code: String
    public var message: String
    public var field: String?

    public init(code: String, message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { "\(code): \(message)" }

    public static let unknownTicket = "ticket_not_found"
    public static let staleEpoch = "stale_epoch"
    public static let policyChanged = "policy_changed"
    public static let stalePolicy = "stale_policy"
    public static let duplicateTicketID = "duplicate_ticket_id"
    public static let invalidCreate = "invalid_create"
    public static let invalidTransition = "invalid_transition"
}

/// A row of a ticket shard's read model: a ticket (with its history) or the shard's policy.
public enum TicketShardRow: Sendable, Hashable {
    case ticket(Ticket)
    case policy(version: UInt64, DomainPolicy)
}
