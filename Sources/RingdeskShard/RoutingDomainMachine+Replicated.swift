import Foundation
import RingdeskDomain
import RingdeskPrimitives
import RingdeskRaft

/// The routing domain as a Raft group's replicated state: entries, rows (one per agent, with its
/// session) and images, versioned like the ticket machine's.
///
/// - Format 2 (written): binary (`RoutingDomainCodec`). An entry is `2`, then the entry; a row is
///   `2`, then the agent and its session; an image is `RDA\u{2}`, varint row count, then the rows
///   in ascending agent id order. Nothing may follow.
/// - Format 1 (read only): the same with canonical JSON after the version byte (`RDA\u{1}` for
///   images). No group ran this machine before format 2, but reading 1 costs nothing and keeps the
///   rule of the ticket machine: an upgrade never strands stored bytes.
/// - Anything else throws (`entry_version_unknown` for entries): the host halts the group.
extension RoutingDomainMachine: ReplicatedStateMachine {
    static let formatVersion: UInt8 = 2
    private static let magic: [UInt8] = [0x52, 0x44, 0x41, 0x02]
    private static let magicFormat1: [UInt8] = [0x52, 0x44, 0x41, 0x01]

    public static func encode(_ entry: RoutingDomainEntry) -> [UInt8] {
        var writer = ByteWriter()
        writer.byte(formatVersion)
        RoutingDomainCodec.write(entry, into: &writer)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws -> RoutingDomainEntry {
        guard let version = bytes.first else { throw ShardCodecError.malformed("empty routing domain entry") }
        switch version {
        case formatVersion:
            var reader = ByteReader(bytes, from: 1)
            do {
                let entry = try RoutingDomainCodec.readEntry(from: &reader)
                try reader.requireEnd()
                return entry
            } catch {
                throw ShardCodecError.malformed("routing domain entry: \(error.message)")
            }
        case 1:
            return try format1(RoutingDomainEntry.self, bytes.dropFirst(), what: "routing domain entry")
        default:
            throw ShardCodecError(code: "entry_version_unknown",
                                  message: "routing domain entry format \(version); this build reads formats 1...\(formatVersion)")
        }
    }

    private static func format1<Value: Decodable>(_ type: Value.Type, _ body: ArraySlice<UInt8>, what: String) throws -> Value {
        do {
            return try TicketLogEntry.jsonDecoder().decode(type, from: Data(body))
        } catch {
            throw ShardCodecError.malformed("\(what) (format 1): \(error)")
        }
    }

    public func rows(touchedBy entry: RoutingDomainEntry) -> [RoutingDomainRow] {
        let id: String
        switch entry {
        case .upsertAgent(let profile, _): id = profile.id
        case .setPresence(let agentID, _, _, _), .openSession(let agentID, _, _), .closeSession(let agentID, _, _): id = agentID
        case .renewLease: return []  // changes no row
        }
        return agents[id].map { [RoutingDomainRow(agent: $0, session: sessions[id])] } ?? []
    }

    public func allRows() -> [RoutingDomainRow] {
        agents.keys.sorted().map { RoutingDomainRow(agent: agents[$0]!, session: sessions[$0]) }
    }

    public static func storedRow(_ row: RoutingDomainRow) -> ReplicatedRow? {
        var writer = ByteWriter()
        writer.byte(formatVersion)
        RoutingDomainCodec.write(row, into: &writer)
        return .put(id: row.agent.id, record: writer.bytes)
    }

    static func row(from record: [UInt8], id: String) throws -> RoutingDomainRow {
        switch record.first {
        case formatVersion?:
            var reader = ByteReader(record, from: 1)
            do {
                let row = try RoutingDomainCodec.readRow(from: &reader)
                try reader.requireEnd()
                return row
            } catch {
                throw ShardCodecError.malformed("row \(id): \(error.message)")
            }
        case 1?:
            return try format1(RoutingDomainRow.self, record.dropFirst(), what: "row \(id)")
        default:
            throw ShardCodecError.malformed("row \(id): unknown format \(record.first.map { "\($0)" } ?? "(empty)")")
        }
    }

    public init(rows: some Sequence<(id: String, record: [UInt8])>) throws {
        self.init()
        for stored in rows {
            let row = try Self.row(from: stored.record, id: stored.id)
            guard row.agent.id == stored.id, agent(row.agent.id) == nil else { throw ShardCodecError.malformed("row \(stored.id) does not match") }
            install(row)
        }
    }

    public func snapshot() -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes += Self.magic
        let rows = allRows()
        writer.varint(UInt64(rows.count))
        for row in rows { RoutingDomainCodec.write(row, into: &writer) }
        return writer.bytes
    }

    public init(snapshot bytes: [UInt8]) throws {
        let rows: [RoutingDomainRow]
        if bytes.starts(with: Self.magicFormat1) {
            rows = try Self.format1([RoutingDomainRow].self, bytes.dropFirst(Self.magicFormat1.count), what: "routing domain snapshot")
        } else {
            guard bytes.starts(with: Self.magic) else { throw ShardCodecError.malformed("not a routing domain snapshot") }
            var reader = ByteReader(bytes, from: Self.magic.count)
            do throws(ByteReaderError) {
                // An agent row takes well over 16 bytes.
                let count = try reader.count(minimumBytes: 16)
                var decoded: [RoutingDomainRow] = []
                decoded.reserveCapacity(count)
                var previous: String?
                for _ in 0..<count {
                    let row = try RoutingDomainCodec.readRow(from: &reader)
                    if let previous, !(previous < row.agent.id) { throw ByteReaderError("agents out of order at \(row.agent.id)") }
                    previous = row.agent.id
                    decoded.append(row)
                }
                try reader.requireEnd()
                rows = decoded
            } catch {
                throw ShardCodecError.malformed("routing domain snapshot: \(error.message)")
            }
        }
        self.init()
        for row in rows {
            guard agent(row.agent.id) == nil else { throw ShardCodecError.malformed("agent \(row.agent.id) twice") }
            install(row)
        }
    }
}
