import Foundation
import RingdeskDomain
import RingdeskRaft

/// The ticket machine as a Raft group's replicated state: entries are `TicketLogEntry` bytes, rows
/// are one per ticket (its whole document, history included) plus one for the policy.
extension TicketShardMachine: ReplicatedStateMachine {
    public static func encode(_ entry: TicketLogEntry) -> [UInt8] { entry.encoded }

    public static func decode(_ entry: [UInt8]) throws -> TicketLogEntry { try TicketLogEntry(encoded: entry) }

    /// The policy's row id: a NUL cannot occur in a ticket id (identifiers refuse control characters).
    public static let policyRowID = "\u{0}policy"

    private static let recordVersion: UInt8 = 1
    private enum RecordKind: UInt8 { case ticket = 1, policy = 2 }

    private struct PolicyRecord: Codable {
        var version: UInt64
        var policy: DomainPolicy
    }

    public static func storedRow(_ change: TicketShardRow) -> ReplicatedRow? {
        switch change {
        case .ticket(let ticket): .put(id: ticket.id, record: record(of: change))
        case .policy: .put(id: policyRowID, record: record(of: change))
        }
    }

    /// A row as stored: a version byte, a kind byte, then canonical JSON.
    public static func record(of row: TicketShardRow) -> [UInt8] {
        let encoder = TicketLogEntry.encoder()
        do {
            switch row {
            case .ticket(let ticket):
                return [recordVersion, RecordKind.ticket.rawValue] + Array(try encoder.encode(ticket))
            case let .policy(version, policy):
                return [recordVersion, RecordKind.policy.rawValue] + Array(try encoder.encode(PolicyRecord(version: version, policy: policy)))
            }
        } catch {
            preconditionFailure("a ticket shard row did not encode: \(error)")
        }
    }

    /// The row in `record`; throws on a version, kind or body this build does not read.
    public static func row(from record: [UInt8]) throws(ShardCodecError) -> TicketShardRow {
        guard record.count >= 2, record[0] == recordVersion, let kind = RecordKind(rawValue: record[1]) else {
            throw .malformed("not a ticket shard row of version \(recordVersion)")
        }
        let body = Data(record[2...])
        do {
            switch kind {
            case .ticket:
                return .ticket(try TicketLogEntry.decoder().decode(Ticket.self, from: body))
            case .policy:
                let decoded = try TicketLogEntry.decoder().decode(PolicyRecord.self, from: body)
                return .policy(version: decoded.version, decoded.policy)
            }
        } catch {
            throw .malformed("ticket shard row body: \(error)")
        }
    }

    /// The state a store kept as rows. Throws on a row that does not decode, an id that does not
    /// match its row, a ticket twice, or an idempotency key claimed by two tickets.
    public init(rows: some Sequence<(id: String, record: [UInt8])>) throws {
        self.init()
        for stored in rows {
            switch try Self.row(from: stored.record) {
            case .ticket(let ticket):
                guard ticket.id == stored.id else { throw ShardCodecError.malformed("row \(stored.id) holds ticket \(ticket.id)") }
                try install(ticket)
            case let .policy(version, policy):
                guard stored.id == Self.policyRowID else { throw ShardCodecError.malformed("row \(stored.id) holds the policy") }
                restore(policy: policy, version: version)
            }
        }
    }

    // MARK: Snapshots

    /// "RDT" and format version 1, then canonical JSON of the policy and the tickets sorted by id.
    private static let magic: [UInt8] = [0x52, 0x44, 0x54, 0x01]

    private struct Image: Codable {
        var policyVersion: UInt64
        var policy: DomainPolicy
        var tickets: [Ticket]
    }

    public func snapshot() -> [UInt8] {
        let image = Image(policyVersion: policyVersion, policy: policy, tickets: tickets.keys.sorted().map { tickets[$0]! })
        do {
            return Self.magic + Array(try TicketLogEntry.encoder().encode(image))
        } catch {
            preconditionFailure("a ticket shard snapshot did not encode: \(error)")
        }
    }

    public init(snapshot bytes: [UInt8]) throws {
        guard bytes.count >= Self.magic.count, Array(bytes[0..<Self.magic.count]) == Self.magic else {
            throw ShardCodecError.malformed("not a ticket shard snapshot (bad magic or version)")
        }
        let image: Image
        do {
            image = try TicketLogEntry.decoder().decode(Image.self, from: Data(bytes[Self.magic.count...]))
        } catch {
            throw ShardCodecError.malformed("ticket shard snapshot: \(error)")
        }
        self.init()
        restore(policy: image.policy, version: image.policyVersion)
        var previous: String?
        for ticket in image.tickets {
            if let previous, !(previous < ticket.id) { throw ShardCodecError.malformed("tickets out of order at \(ticket.id)") }
            previous = ticket.id
            try install(ticket)
        }
    }
}
