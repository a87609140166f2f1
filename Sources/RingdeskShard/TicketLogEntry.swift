import Foundation
import RingdeskDomain

/// One entry of a ticket shard's Raft log: everything a replica needs to apply it to the same
/// result as every other replica, with no clock, no configuration and no time-zone rules of its
/// own. The proposer decides time, actor and policy-dependent values; replicas only replay.
///
/// Bytes: `version:u8 tag:u8 body`, the body being canonical JSON (sorted keys, dates as seconds
/// since the reference date, which round-trip exactly). An entry of a version this build does not
/// know does not decode: the host then stops applying the group instead of skipping the entry.
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

    /// The entry format this build writes and the newest it reads.
    public static let formatVersion: UInt8 = 1

    public var ticketID: String? {
        switch self {
        case .setPolicy: nil
        case .create(let ticket): ticket.id
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

    public init(ticketID: String, command: TicketCommand, actor: TicketActor, at: Date, policyVersion: UInt64,
                expectedEpoch: UInt64? = nil, derived: TicketDerived? = nil) {
        self.ticketID = ticketID
        self.command = command
        self.actor = actor
        self.at = at
        self.policyVersion = policyVersion
        self.expectedEpoch = expectedEpoch
        self.derived = derived
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

// MARK: Bytes

extension TicketLogEntry {
    private enum Tag: UInt8 {
        case setPolicy = 1, create, command
    }

    private struct PolicyBody: Codable {
        var version: UInt64
        var policy: DomainPolicy
    }

    /// Canonical JSON: equal values give equal bytes within a build.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .deferredToDate
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .deferredToDate
        return decoder
    }

    public var encoded: [UInt8] {
        let encoder = Self.encoder()
        var bytes: [UInt8] = [Self.formatVersion]
        do {
            switch self {
            case let .setPolicy(version, policy):
                bytes.append(Tag.setPolicy.rawValue)
                bytes += try encoder.encode(PolicyBody(version: version, policy: policy))
            case .create(let ticket):
                bytes.append(Tag.create.rawValue)
                bytes += try encoder.encode(ticket)
            case .command(let command):
                bytes.append(Tag.command.rawValue)
                bytes += try encoder.encode(command)
            }
        } catch {
            // Every value here is plain Codable data (no non-finite numbers reach it: the domain
            // validates them away), so encoding cannot fail; a failure is a programming error.
            preconditionFailure("a ticket log entry did not encode: \(error)")
        }
        return bytes
    }

    /// Decodes `encoded`; throws `ShardCodecError` on an unknown version or tag and on a body
    /// that does not decode. Never traps.
    public init(encoded bytes: [UInt8]) throws(ShardCodecError) {
        guard bytes.count >= 2 else { throw .malformed("ticket log entry of \(bytes.count) bytes") }
        guard bytes[0] == Self.formatVersion else {
            throw ShardCodecError(code: "entry_version_unknown",
                                  message: "ticket log entry format \(bytes[0]); this build reads format \(Self.formatVersion)")
        }
        guard let tag = Tag(rawValue: bytes[1]) else { throw .malformed("unknown ticket log entry tag \(bytes[1])") }
        let body = Data(bytes[2...])
        let decoder = Self.decoder()
        do {
            switch tag {
            case .setPolicy:
                let decoded = try decoder.decode(PolicyBody.self, from: body)
                self = .setPolicy(version: decoded.version, policy: decoded.policy)
            case .create:
                self = .create(try decoder.decode(Ticket.self, from: body))
            case .command:
                self = .command(try decoder.decode(TicketLogCommand.self, from: body))
            }
        } catch {
            throw .malformed("ticket log entry body: \(error)")
        }
    }
}
