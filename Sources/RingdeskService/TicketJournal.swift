import Foundation
import RingdeskDomain
import RingdeskStorage

/// Where the ticket service makes ticket changes durable and reads tickets it no longer keeps in
/// memory. The service decides every change with the domain core (validation, triage, SLA) and
/// answers only once its journal says the change is durable; the journal says what the durable
/// state now is.
///
/// Two journals exist while the single-node store is being retired (issue 16):
/// - `ShardTicketJournal`, the one path: every ticket lives in a Raft-replicated shard
///   (`TicketShardMachine`), a change is a log entry, and the shard's applied state is the truth;
/// - `SQLiteTicketJournal`, the original single-node store (one SQLite writer with group commit).
public protocol TicketJournal: Sendable {
    /// Every ticket worth keeping in memory at start: open ones, and terminal ones changed at or
    /// after `terminalSince`.
    func loadTickets(terminalSince: Date) async throws -> [Ticket]

    /// A new ticket id, unique for this journal, that sorts by `now` (the shard journal also
    /// encodes the ticket's shard in it, chosen from `idempotencyKey` when there is one).
    func newTicketID(now: Date, idempotencyKey: String?) -> String

    /// Stores a new ticket. `.duplicate` names the ticket its idempotency key already made.
    func create(_ ticket: Ticket) async throws -> TicketJournalCreated

    /// Makes one command's change durable: `before` is the service's view of the ticket, `after`
    /// the state the domain computed from it (the journal may answer a different, authoritative
    /// state). `followUps` are tickets the command opened (a low rating's call-back), already
    /// linked from `after`.
    func commit(_ change: TicketJournalChange) async throws -> TicketJournalCommitted

    /// A ticket the service does not hold in memory (an old terminal one), or nil.
    func storedTicket(_ id: String) async throws -> Ticket?

    /// One page of tickets in `(createdAt, id)` order with a cursor for the next.
    func list(_ filter: TicketFilter) async throws -> (tickets: [Ticket], nextCursor: String?)

    /// Makes `policy` the one later commands are applied with (shards keep it in their logs).
    func setPolicy(_ policy: DomainPolicy) async throws

    /// Calls `handler` with tickets as the journal applied them, whoever proposed the change (this
    /// service, another node's, a replica catching up), in order per shard. Quick: hand off.
    func follow(_ handler: @escaping @Sendable (_ changed: [Ticket]) -> Void)

    /// Which tickets' timers (SLA checks, urgency rises) this node proposes right now: the ones
    /// whose state it owns (in a cluster, the shards it leads), so every timer fires on one node,
    /// with that node's clock. Taken once per tick.
    func timerOwnership() -> @Sendable (_ ticketID: String) -> Bool

    /// Whether other nodes change tickets too (a cluster): then the service reads a ticket through
    /// the journal (linearizable) before answering or deciding on it, since its memory follows the
    /// other nodes' changes a moment later.
    var sharedWithOtherNodes: Bool { get }
}

extension TicketJournal {
    /// A journal only this service writes to has nothing to tell it.
    public func follow(_ handler: @escaping @Sendable (_ changed: [Ticket]) -> Void) {}

    /// A journal only this service writes to: every timer is this node's.
    public func timerOwnership() -> @Sendable (_ ticketID: String) -> Bool { { _ in true } }

    public var sharedWithOtherNodes: Bool { false }
}

/// What `TicketJournal.create` stored.
public enum TicketJournalCreated: Sendable {
    /// The new ticket as stored, and its API document when the journal already encoded it.
    case created(Ticket, document: Data?)
    /// The idempotency key named an existing ticket (returned as stored).
    case duplicate(Ticket)
}

/// One command's change, as the service decided it.
public struct TicketJournalChange: Sendable {
    public var command: TicketCommand
    public var actor: TicketActor
    /// When the command takes effect (never before the ticket's last change).
    public var at: Date
    public var before: Ticket
    public var after: Ticket
    /// Call-back tickets the command opened (already linked from `after`).
    public var followUps: [Ticket]
    /// The command records a routing decision made on `before`: it may only apply while the
    /// ticket is still at `before.epoch` (a stale decision is refused, never applied twice).
    public var fenced: Bool
    /// `before` is this node's own copy (which may lag other nodes' changes), not a linearizable
    /// read: the store refuses the change with `stale_view` unless its ticket is that copy.
    public var decidedOnCopy: Bool

    public init(command: TicketCommand, actor: TicketActor, at: Date, before: Ticket, after: Ticket, followUps: [Ticket], fenced: Bool,
                decidedOnCopy: Bool = false) {
        self.command = command
        self.actor = actor
        self.at = at
        self.before = before
        self.after = after
        self.followUps = followUps
        self.fenced = fenced
        self.decidedOnCopy = decidedOnCopy
    }
}

/// The durable outcome of a command: the ticket and the follow-ups as stored.
public struct TicketJournalCommitted: Sendable {
    public var ticket: Ticket
    public var followUps: [Ticket]

    public init(ticket: Ticket, followUps: [Ticket]) {
        self.ticket = ticket
        self.followUps = followUps
    }
}
