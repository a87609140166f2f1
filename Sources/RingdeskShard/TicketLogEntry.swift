import Foundation
import RingdeskDomain

/// One entry of a ticket shard's Raft log: everything a replica needs to apply it to the same
/// result as every other replica, with no clock, no configuration and no time-zone rules of its
/// own. The proposer decides time, actor and policy-dependent values; replicas only replay.
///
/// Bytes (`TicketLogEntry+Codec.swift`): `version:u8 tag:u8 body`. Format 2, written now, has a
/// binary body (`TicketCodec`); format 1, canonical JSON, is still read (logs written before the
/// upgrade replay). An entry of a version this build does not know does not decode: the host then
/// stops applying the group instead of skipping the entry.
public enum TicketLogEntry: Sendable, Hashable {
    /// The domain policy the shard's commands are applied with from here on (triage, SLA targets,
    /// delivery limit, reopen window, review queue). Versions only grow.
    case setPolicy(version: UInt64, policy: DomainPolicy)
    /// A new ticket exactly as the proposer made it with `Ticket.create` (validated, triaged, SLA
    /// clocks started under its policy at its time). Replicas store it as is; an idempotency key
    /// seen before yields the ticket the first create made.
    case create(Ticket)
    /// A lifecycle command on one ticket (`Ticket.apply`), with its time, actor and fences.
    case command(TicketLogCommand)
    /// A ticket brought over whole, in any status with all its history, from a single-node data
    /// directory (`ShardTicketJournal.importTickets`). Replicas store it as is; an id already held
    /// answers the ticket held, so an interrupted import can simply run again.
    case importTicket(Ticket)

    /// The entry format this build writes and the newest it reads (it also reads format 1).
    public static let formatVersion: UInt8 = 2

    public var ticketID: String? {
        switch self {
        case .setPolicy: nil
        case .create(let ticket), .importTicket(let ticket): ticket.id
        case .command(let command): command.ticketID
        }
    }
}

/// A lifecycle command as the log carries it.
public struct TicketLogCommand: Sendable, Hashable, Codable {
    public var ticketID: String
    public var command: TicketCommand
    public var actor: TicketActor
    /// The proposer's clock when it decided the command.
    public var at: Date
    /// The policy version the proposer decided under; a replica holding another refuses the
    /// command (`policy_changed`) rather than apply it under different rules.
    public var policyVersion: UInt64
    /// Fence for routing decisions (offers, expiries, lease lapses): applies only while the
    /// ticket is still at this epoch, so a decision made on a stale view is refused, never applied
    /// twice. Nil for commands that name their own preconditions (an agent's accept, a comment).
    public var expectedEpoch: UInt64?
    /// Urgency and SLA clock as the proposer computed them after the command (with its
    /// calendars and time-zone rules). Replicas adopt these instead of recomputing, so a replica
    /// with other time-zone data still ends in the same state.
    public var derived: TicketDerived?
    /// How many history events the proposer's copy of the ticket had when it decided (a node
    /// deciding on its own copy, which may lag the shard): a replica holding another count
    /// refuses the command (`stale_view`) and the proposer decides again on the shard's ticket.
    /// Nil when the proposer decided on a linearizable read.
    public var basedOnEvents: Int?

    public init(ticketID: String, command: TicketCommand, actor: TicketActor, at: Date, policyVersion: UInt64,
                expectedEpoch: UInt64? = nil, derived: TicketDerived? = nil, basedOnEvents: Int? = nil) {
        self.ticketID = ticketID
        self.command = command
        self.actor = actor
        self.at = at
        self.policyVersion = policyVersion
        self.expectedEpoch = expectedEpoch
        self.derived = derived
        self.basedOnEvents = basedOnEvents
    }
}

/// The parts of a ticket that depend on calendars and time zones, as the proposer computed them.
public struct TicketDerived: Sendable, Hashable, Codable {
    public var urgency: Urgency
    public var sla: SLAClock

    public init(urgency: Urgency, sla: SLAClock) {
        self.urgency = urgency
        self.sla = sla
    }

    public init(of ticket: Ticket) {
        self.init(urgency: ticket.urgency, sla: ticket.sla)
    }
}
