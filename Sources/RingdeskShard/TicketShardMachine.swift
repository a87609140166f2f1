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
    /// Tickets by id: every open one, and terminal ones until `terminalRetention` after their last
    /// change (then only the store's read model keeps them).
    public private(set) var tickets: [String: Ticket] = [:]
    /// Idempotency key → the ticket its first create made, for as long as that ticket is held.
    public private(set) var idempotencyKeys: [String: String] = [:]
    /// The policy commands are applied with, and its version (0 with the defaults before any `setPolicy`).
    public private(set) var policy: DomainPolicy = .defaults
    public private(set) var policyVersion: UInt64 = 0
    /// Order-independent sum of the tickets' summary hashes, kept up to date on every change.
    private var ticketHashSum: UInt64 = 0
    /// Terminal tickets by `(updatedAt, id)`, the next to leave memory first, from `retiringHead`
    /// on. Pairs go stale when their ticket changes again (reopened, rated, closed): eviction
    /// checks each against its ticket. Derived state: rebuilt the same from rows or a snapshot.
    private var retiring: [RetiringTicket] = []
    private var retiringHead = 0
    /// Tickets the last `apply` removed from memory (their shard rows go with them).
    public private(set) var evicted: [String] = []

    /// How long a terminal ticket (resolved, closed, cancelled) stays in memory after its last
    /// change: the KPI window (7 days), and never less than a day past the policy's reopen window,
    /// so a ticket can be reopened or rated for as long as the policy allows. Its idempotency key
    /// expires with it: a create with that key afterwards makes a new ticket. Part of the
    /// replicated semantics (every replica evicts at the same entry), so it is no setting.
    public static let terminalRetention: TimeInterval = 7 * 86_400

    public var effectiveTerminalRetention: TimeInterval { max(Self.terminalRetention, policy.reopenWindow + 86_400) }

    struct RetiringTicket: Sendable, Comparable {
        var at: Date
        var id: String
        static func < (a: RetiringTicket, b: RetiringTicket) -> Bool { (a.at, a.id) < (b.at, b.id) }
    }

    public init() {}

    /// A cheap fingerprint of the state (every ticket's status, epoch, holder, offer, queue,
    /// urgency, clocks and history length, and the policy version), equal on replicas that applied
    /// the same entries; O(1), maintained incrementally. Snapshots compare everything.
    public var digest: UInt64 {
        SplitMix64.mix(ticketHashSum ^ SplitMix64.mix(UInt64(tickets.count) << 32 ^ policyVersion))
    }

    public func ticket(_ id: String) -> Ticket? { tickets[id] }

    /// Applies one committed entry, then lets terminal tickets older than the retention (by the
    /// entry's own time, the same on every replica) leave memory.
    public mutating func apply(_ entry: TicketLogEntry) -> TicketLogResult {
        evicted = []
        let result = applyEntry(entry)
        switch entry {
        case .create(let ticket): evictTerminal(before: ticket.createdAt.addingTimeInterval(-effectiveTerminalRetention))
        case .importTicket: break
        case .command(let command): evictTerminal(before: command.at.addingTimeInterval(-effectiveTerminalRetention))
        case .setPolicy: break
        }
        return result
    }

    private mutating func evictTerminal(before cutoff: Date) {
        while retiringHead < retiring.count, retiring[retiringHead].at < cutoff {
            let candidate = retiring[retiringHead]
            retiringHead += 1
            guard let ticket = tickets[candidate.id], !ticket.status.isOpen, ticket.updatedAt == candidate.at else { continue }
            ticketHashSum &-= Self.summaryHash(ticket)
            tickets[candidate.id] = nil
            if let key = ticket.idempotencyKey, idempotencyKeys[key] == ticket.id { idempotencyKeys[key] = nil }
            evicted.append(candidate.id)
        }
        if retiringHead > 1024, retiringHead * 2 > retiring.count {
            retiring.removeFirst(retiringHead)
            retiringHead = 0
        }
    }

    /// Orders the terminal tickets for eviction after the state was loaded as a whole.
    mutating func rebuildRetiring() {
        retiring = tickets.values.filter { !$0.status.isOpen }.map { RetiringTicket(at: $0.updatedAt, id: $0.id) }.sorted()
        retiringHead = 0
    }

    private mutating func applyEntry(_ entry: TicketLogEntry) -> TicketLogResult {
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

        case .importTicket(let ticket):
            if let held = tickets[ticket.id] { return .duplicate(held) }
            if let key = ticket.idempotencyKey, let existing = idempotencyKeys[key], let first = tickets[existing] {
                return .duplicate(first)
            }
            guard ticket.history.count >= 1 else {
                return .rejected(TicketLogRejection(code: TicketLogRejection.invalidCreate, message: "an imported ticket has its history"))
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
            if let basedOn = entry.basedOnEvents, basedOn != ticket.history.count {
                return .rejected(TicketLogRejection(code: TicketLogRejection.staleView,
                                                    message: "ticket \(ticket.id) has \(ticket.history.count) events, the command was decided on \(basedOn)"))
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
        let gone = evicted.map(TicketShardRow.evicted)
        switch entry {
        case .setPolicy:
            return [.policy(version: policyVersion, policy)]
        case .create(let ticket):
            let id = ticket.idempotencyKey.flatMap { idempotencyKeys[$0] } ?? ticket.id
            return (tickets[id].map { [.ticket($0)] } ?? []) + gone
        case .command(let command):
            return (tickets[command.ticketID].map { [.ticket($0)] } ?? []) + gone
        case .importTicket(let ticket):
            return (tickets[ticket.id].map { [.ticket($0)] } ?? []) + gone
        }
    }

    /// Adds a decoded ticket (rows or a snapshot); refuses a ticket twice or a key held by two tickets.
    /// Call `rebuildRetiring()` once every ticket is installed.
    mutating func install(_ ticket: Ticket) throws(ShardCodecError) {
        guard tickets[ticket.id] == nil else { throw .malformed("ticket \(ticket.id) stored twice") }
        store(ticket, retiring: false)
        if let key = ticket.idempotencyKey {
            guard idempotencyKeys.updateValue(ticket.id, forKey: key) == nil else { throw .malformed("key \(key) held by two tickets") }
        }
    }

    mutating func restore(policy: DomainPolicy, version: UInt64) {
        self.policy = policy
        policyVersion = version
    }

    private mutating func store(_ ticket: Ticket, retiring track: Bool = true) {
        if let old = tickets[ticket.id] { ticketHashSum &-= Self.summaryHash(old) }
        tickets[ticket.id] = ticket
        ticketHashSum &+= Self.summaryHash(ticket)
        guard track, !ticket.status.isOpen else { return }
        // Nearly always the newest change: an append; otherwise a binary-search insert.
        let pair = RetiringTicket(at: ticket.updatedAt, id: ticket.id)
        if retiring.last.map({ $0 < pair }) ?? true {
            retiring.append(pair)
        } else {
            var low = retiringHead, high = retiring.count
            while low < high {
                let middle = (low + high) / 2
                if retiring[middle] < pair { low = middle + 1 } else { high = middle }
            }
            retiring.insert(pair, at: low)
        }
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
    /// The proposer decided on a copy of the ticket older than the shard's (`basedOnEvents`).
    public static let staleView = "stale_view"
    public static let policyChanged = "policy_changed"
    public static let stalePolicy = "stale_policy"
    public static let duplicateTicketID = "duplicate_ticket_id"
    public static let invalidCreate = "invalid_create"
    public static let invalidTransition = "invalid_transition"
}

/// A row of a ticket shard's read model: a ticket (with its history) or the shard's policy; or a
/// terminal ticket that left the shard's memory (its shard row is deleted; a read model beside
/// the shard keeps it).
public enum TicketShardRow: Sendable, Hashable {
    case ticket(Ticket)
    case policy(version: UInt64, DomainPolicy)
    case evicted(String)
}
