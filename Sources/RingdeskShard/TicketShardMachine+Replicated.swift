import Foundation
import RingdeskDomain
import RingdeskPrimitives
import RingdeskRaft

/// The ticket machine as a Raft group's replicated state: entries are `TicketLogEntry` bytes, rows
/// are one per ticket (its whole document, history included) plus one for the policy.
///
/// Row and image formats (the version is the first byte of a row, the fourth of an image):
/// - 2 (written): binary. A ticket row is `2, 1`, then `TicketCodec`; the policy row is `2, 2`,
///   varint version, length-prefixed canonical JSON of the policy. An image is `RDT\u{2}`, varint
///   policy version, the policy JSON (length-prefixed), varint ticket count, then the tickets in
///   ascending id order, nothing after.
/// - 1 (read only): the same kinds with canonical JSON bodies. A store written before the upgrade
///   still loads (`init(rows:)`); each row is rewritten in format 2 the next time its ticket
///   changes, and a v1 image from a leader still on the old build installs. No offline migration.
extension TicketShardMachine: ReplicatedStateMachine {
    public static func encode(_ entry: TicketLogEntry) -> [UInt8] { entry.encoded }

    public static func decode(_ entry: [UInt8]) throws -> TicketLogEntry { try TicketLogEntry(encoded: entry) }

    /// The policy's row id: a NUL cannot occur in a ticket id (identifiers refuse control characters).
    public static let policyRowID = "\u{0}policy"

    /// The row format this build writes; it also reads format 1.
    public static let recordVersion: UInt8 = 2
    private enum RecordKind: UInt8 { case ticket = 1, policy = 2 }

    private struct PolicyRecord: Codable {
        var version: UInt64
        var policy: DomainPolicy
    }

    public static func storedRow(_ change: TicketShardRow) -> ReplicatedRow? {
        switch change {
        case .ticket(let ticket): .put(id: ticket.id, record: record(of: change))
        case .policy: .put(id: policyRowID, record: record(of: change))
        case .evicted(let id): .delete(id: id)
        }
    }

    /// A row as stored: a version byte, a kind byte, then the body (see the type's comment).
    public static func record(of row: TicketShardRow) -> [UInt8] {
        var writer = ByteWriter()
        writer.byte(recordVersion)
        switch row {
        case .ticket(let ticket):
            writer.bytes.reserveCapacity(512 + ticket.history.count * 48)
            writer.byte(RecordKind.ticket.rawValue)
            TicketCodec.write(ticket, into: &writer)
        case let .policy(version, policy):
            writer.byte(RecordKind.policy.rawValue)
            writer.varint(version)
            writer.blob(TicketLogEntry.policyJSON(policy))
        case .evicted(let id):
            preconditionFailure("an evicted ticket (\(id)) has no stored record; storedRow deletes its row")
        }
        return writer.bytes
    }

    /// The row in `record` (format 2 or 1); throws on a version, kind or body this build does not read.
    public static func row(from record: [UInt8]) throws(ShardCodecError) -> TicketShardRow {
        guard record.count >= 2, let kind = RecordKind(rawValue: record[1]) else {
            throw .malformed("not a ticket shard row (\(record.count) bytes)")
        }
        switch record[0] {
        case recordVersion:
            var reader = ByteReader(record, from: 2)
            switch kind {
            case .ticket:
                do {
                    let ticket = try TicketCodec.read(from: &reader)
                    try reader.requireEnd()
                    return .ticket(ticket)
                } catch {
                    throw .malformed("ticket shard row: \(error.message)")
                }
            case .policy:
                let version: UInt64, document: [UInt8]
                do {
                    version = try reader.varint()
                    document = try reader.blob(limit: TicketLogEntry.maxPolicyBytes)
                    try reader.requireEnd()
                } catch {
                    throw .malformed("policy row: \(error.message)")
                }
                return .policy(version: version, try TicketLogEntry.policy(fromJSON: document))
            }
        case 1:
            return try rowFormat1(kind: kind, body: Data(record[2...]))
        default:
            throw .malformed("ticket shard row format \(record[0]); this build reads formats 1...\(recordVersion)")
        }
    }

    private static func rowFormat1(kind: RecordKind, body: Data) throws(ShardCodecError) -> TicketShardRow {
        do {
            switch kind {
            case .ticket:
                return .ticket(try TicketLogEntry.jsonDecoder().decode(Ticket.self, from: body))
            case .policy:
                let decoded = try TicketLogEntry.jsonDecoder().decode(PolicyRecord.self, from: body)
                return .policy(version: decoded.version, decoded.policy)
            }
        } catch {
            throw .malformed("ticket shard row body (format 1): \(error)")
        }
    }

    /// The state a store kept as rows (either format). Throws on a row that does not decode, an id
    /// that does not match its row, a ticket twice, or an idempotency key claimed by two tickets.
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
            case .evicted:
                throw ShardCodecError.malformed("row \(stored.id) is not a stored row")
            }
        }
        rebuildRetiring()
    }

    // MARK: Snapshots

    /// "RDT" and the image format (2); format 1 ("RDT\u{1}", canonical JSON) is still read.
    private static let magic: [UInt8] = [0x52, 0x44, 0x54, 0x02]
    private static let magicFormat1: [UInt8] = [0x52, 0x44, 0x54, 0x01]

    private struct ImageFormat1: Codable {
        var policyVersion: UInt64
        var policy: DomainPolicy
        var tickets: [Ticket]
    }

    public func snapshot() -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes.reserveCapacity(64 + tickets.count * 1_024)
        writer.bytes += Self.magic
        writer.varint(policyVersion)
        writer.blob(TicketLogEntry.policyJSON(policy))
        writer.varint(UInt64(tickets.count))
        for id in tickets.keys.sorted() { TicketCodec.write(tickets[id]!, into: &writer) }
        return writer.bytes
    }

    public init(snapshot bytes: [UInt8]) throws {
        if bytes.starts(with: Self.magicFormat1) {
            try self.init(snapshotFormat1: bytes)
            return
        }
        guard bytes.starts(with: Self.magic) else {
            throw ShardCodecError.malformed("not a ticket shard snapshot of format 1 or 2 (bad magic or version)")
        }
        var reader = ByteReader(bytes, from: Self.magic.count)
        let version: UInt64, document: [UInt8], count: Int
        do {
            version = try reader.varint()
            document = try reader.blob(limit: TicketLogEntry.maxPolicyBytes)
            // A ticket takes well over 64 bytes; the count cannot ask for more than the rest holds.
            count = try reader.count(minimumBytes: 64)
        } catch {
            throw ShardCodecError.malformed("ticket shard snapshot: \(error.message)")
        }
        self.init()
        restore(policy: try TicketLogEntry.policy(fromJSON: document), version: version)
        var previous: String?
        for _ in 0..<count {
            let ticket: Ticket
            do {
                ticket = try TicketCodec.read(from: &reader)
            } catch {
                throw ShardCodecError.malformed("ticket shard snapshot: \(error.message)")
            }
            if let previous, !(previous < ticket.id) { throw ShardCodecError.malformed("tickets out of order at \(ticket.id)") }
            previous = ticket.id
            try install(ticket)
        }
        guard reader.isAtEnd else { throw ShardCodecError.malformed("ticket shard snapshot: \(reader.remaining) trailing bytes") }
        rebuildRetiring()
    }

    private init(snapshotFormat1 bytes: [UInt8]) throws {
        let image: ImageFormat1
        do {
            image = try TicketLogEntry.jsonDecoder().decode(ImageFormat1.self, from: Data(bytes[Self.magicFormat1.count...]))
        } catch {
            throw ShardCodecError.malformed("ticket shard snapshot (format 1): \(error)")
        }
        self.init()
        restore(policy: image.policy, version: image.policyVersion)
        var previous: String?
        for ticket in image.tickets {
            if let previous, !(previous < ticket.id) { throw ShardCodecError.malformed("tickets out of order at \(ticket.id)") }
            previous = ticket.id
            try install(ticket)
        }
        rebuildRetiring()
    }
}
