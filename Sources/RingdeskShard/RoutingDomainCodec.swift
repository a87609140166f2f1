import Foundation
import RingdeskDomain
import RingdeskPrimitives

/// The binary forms of the routing domain's entries and rows (agents, profiles, sessions), with
/// the same rules as `TicketCodec`: canonical (maps in ascending key order, channels by code),
/// bounded and never trapping on hostile input.
enum RoutingDomainCodec {
    private enum EntryTag: UInt8 {
        case upsertAgent = 1, setPresence, openSession, closeSession, renewLease
    }

    static func write(_ entry: RoutingDomainEntry, into writer: inout ByteWriter) {
        switch entry {
        case let .upsertAgent(profile, at):
            writer.byte(EntryTag.upsertAgent.rawValue)
            write(profile, into: &writer)
            writer.date(at)
        case let .setPresence(agentID, presence, sessionEpoch, at):
            writer.byte(EntryTag.setPresence.rawValue)
            writer.string(agentID)
            writer.code(presence)
            if let sessionEpoch {
                writer.byte(1)
                writer.varint(sessionEpoch)
            } else {
                writer.byte(0)
            }
            writer.date(at)
        case let .openSession(agentID, node, at):
            writer.byte(EntryTag.openSession.rawValue)
            writer.string(agentID)
            writer.varint(node)
            writer.date(at)
        case let .closeSession(agentID, epoch, at):
            writer.byte(EntryTag.closeSession.rawValue)
            writer.string(agentID)
            writer.varint(epoch)
            writer.date(at)
        case let .renewLease(ticketID, agentID, at):
            writer.byte(EntryTag.renewLease.rawValue)
            writer.string(ticketID)
            writer.string(agentID)
            writer.date(at)
        }
    }

    static func readEntry(from reader: inout ByteReader) throws(ByteReaderError) -> RoutingDomainEntry {
        let raw = try reader.byte()
        guard let tag = EntryTag(rawValue: raw) else { throw ByteReaderError("unknown routing domain entry tag \(raw)") }
        switch tag {
        case .upsertAgent:
            return .upsertAgent(try readProfile(from: &reader), at: try reader.date())
        case .setPresence:
            let agentID = try reader.text()
            let presence: Presence = try reader.code()
            let epoch = try reader.presence() ? try reader.varint() : nil
            return .setPresence(agentID: agentID, presence, sessionEpoch: epoch, at: try reader.date())
        case .openSession:
            return .openSession(agentID: try reader.text(), node: try reader.varint(), at: try reader.date())
        case .closeSession:
            return .closeSession(agentID: try reader.text(), epoch: try reader.varint(), at: try reader.date())
        case .renewLease:
            return .renewLease(ticketID: try reader.text(), agentID: try reader.text(), at: try reader.date())
        }
    }

    static func write(_ profile: AgentProfile, into writer: inout ByteWriter) {
        writer.string(profile.id)
        writer.string(profile.name)
        writer.strings(profile.regions)
        writer.strings(profile.languages)
        writer.intMap(profile.skills)
        writer.code(profile.supportTier)
        write(profile.channelCapacity, into: &writer)
    }

    static func readProfile(from reader: inout ByteReader) throws(ByteReaderError) -> AgentProfile {
        AgentProfile(id: try reader.text(), name: try reader.text(), regions: try reader.strings(), languages: try reader.strings(),
                     skills: try reader.intMap(), supportTier: try reader.code(), channelCapacity: try readCapacity(from: &reader))
    }

    static func write(_ agent: Agent, into writer: inout ByteWriter) {
        writer.string(agent.id)
        writer.string(agent.name)
        writer.strings(agent.regions)
        writer.strings(agent.languages)
        writer.intMap(agent.skills)
        writer.code(agent.supportTier)
        write(agent.channelCapacity, into: &writer)
        writer.code(agent.presence)
        writer.date(agent.presenceSince)
        writer.optionalDate(agent.lastAssignmentEndedAt)
    }

    static func readAgent(from reader: inout ByteReader) throws(ByteReaderError) -> Agent {
        Agent(id: try reader.text(), name: try reader.text(), regions: try reader.strings(), languages: try reader.strings(),
              skills: try reader.intMap(), supportTier: try reader.code(), channelCapacity: try readCapacity(from: &reader),
              presence: try reader.code(), presenceSince: try reader.date(), lastAssignmentEndedAt: try reader.optionalDate())
    }

    /// Count, then (channel code, capacity) in ascending code order.
    static func write(_ capacity: [Channel: Int], into writer: inout ByteWriter) {
        writer.varint(UInt64(capacity.count))
        for channel in Channel.wireOrder {
            guard let value = capacity[channel] else { continue }
            writer.code(channel)
            writer.int(value)
        }
    }

    static func readCapacity(from reader: inout ByteReader) throws(ByteReaderError) -> [Channel: Int] {
        let count = try reader.count(minimumBytes: 2)
        guard count <= Channel.wireOrder.count else { throw ByteReaderError("\(count) channel capacities") }
        var capacity: [Channel: Int] = [:]
        var previous = 0
        for _ in 0..<count {
            let code = Int(try reader.byte())
            guard code > previous, code <= Channel.wireOrder.count else { throw ByteReaderError("channel code \(code) out of order") }
            previous = code
            capacity[Channel.wireOrder[code - 1]] = try reader.int()
        }
        return capacity
    }

    static func write(_ session: AgentSession, into writer: inout ByteWriter) {
        writer.string(session.agentID)
        writer.varint(session.epoch)
        writer.varint(session.node)
        writer.date(session.openedAt)
        writer.bool(session.closed)
    }

    static func readSession(from reader: inout ByteReader) throws(ByteReaderError) -> AgentSession {
        AgentSession(agentID: try reader.text(), epoch: try reader.varint(), node: try reader.varint(), openedAt: try reader.date(),
                     closed: try reader.bool())
    }

    static func write(_ row: RoutingDomainRow, into writer: inout ByteWriter) {
        write(row.agent, into: &writer)
        if let session = row.session {
            writer.byte(1)
            write(session, into: &writer)
        } else {
            writer.byte(0)
        }
    }

    static func readRow(from reader: inout ByteReader) throws(ByteReaderError) -> RoutingDomainRow {
        let agent = try readAgent(from: &reader)
        let session = try reader.presence() ? try readSession(from: &reader) : nil
        return RoutingDomainRow(agent: agent, session: session)
    }
}
