import Foundation
import RingdeskDomain
import RingdeskRaft
import RingdeskShard
import Testing

/// The routing domain's replicated agent registry: profiles, presence, and epoch-fenced sessions.
@Suite("Routing domain machine")
struct RoutingDomainMachineTests {
    static let t0 = Date(timeIntervalSince1970: 1_780_000_000)

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    static func replay(_ entries: [RoutingDomainEntry], on machine: inout RoutingDomainMachine) throws -> [RoutingDomainResult] {
        try entries.map { machine.apply(try RoutingDomainMachine.decode(RoutingDomainMachine.encode($0))) }
    }

    static let ana = AgentProfile(id: "ana", name: "Ana", regions: ["eu-west"], languages: ["en", "pt"], skills: ["refunds": 4],
                                  channelCapacity: [.chat: 3, .phone: 1])

    @Test("an agent connected on two nodes has one live session: the older one can no longer act, and closing takes the agent offline")
    func sessionsAreFenced() throws {
        var machine = RoutingDomainMachine()
        let results = try Self.replay([
            .upsertAgent(Self.ana, at: Self.at(0)),
            .openSession(agentID: "ana", node: 1, at: Self.at(1)),
            .setPresence(agentID: "ana", .available, sessionEpoch: 1, at: Self.at(2)),
            .openSession(agentID: "ana", node: 3, at: Self.at(3)),
        ], on: &machine)
        for result in results { #expect(result.rejection == nil, "\(result)") }
        #expect(machine.liveSession(of: "ana")?.epoch == 2)
        #expect(machine.liveSession(of: "ana")?.node == 3)
        // The client on node 1 is stale now.
        let before = machine.snapshot()
        #expect(machine.apply(.setPresence(agentID: "ana", .away, sessionEpoch: 1, at: Self.at(4))).rejection?.code == "stale_session")
        #expect(machine.apply(.closeSession(agentID: "ana", epoch: 1, at: Self.at(4))).rejection?.code == "stale_session")
        #expect(machine.snapshot() == before)
        #expect(machine.agent("ana")?.presence == .available)
        // The live one acts; closing it takes the agent offline and fences it too.
        #expect(machine.apply(.setPresence(agentID: "ana", .away, sessionEpoch: 2, at: Self.at(5))).rejection == nil)
        #expect(machine.apply(.closeSession(agentID: "ana", epoch: 2, at: Self.at(6))).rejection == nil)
        #expect(machine.agent("ana")?.presence == .offline)
        #expect(machine.liveSession(of: "ana") == nil)
        #expect(machine.apply(.setPresence(agentID: "ana", .available, sessionEpoch: 2, at: Self.at(7))).rejection?.code == "stale_session")
        // A supervisor (no session) may still set presence.
        #expect(machine.apply(.setPresence(agentID: "ana", .away, sessionEpoch: nil, at: Self.at(8))).rejection == nil)
        #expect(machine.apply(.openSession(agentID: "nobody", node: 1, at: Self.at(9))).rejection?.code == "agent_not_found")
    }

    @Test("profiles are validated and updates keep presence")
    func profiles() throws {
        var machine = RoutingDomainMachine()
        _ = try Self.replay([.upsertAgent(Self.ana, at: Self.at(0)), .setPresence(agentID: "ana", .available, sessionEpoch: nil, at: Self.at(1))],
                            on: &machine)
        var changed = Self.ana
        changed.skills = ["refunds": 5, "returns": 2]
        #expect(machine.apply(.upsertAgent(changed, at: Self.at(2))).rejection == nil)
        #expect(machine.agent("ana")?.skills == ["refunds": 5, "returns": 2])
        #expect(machine.agent("ana")?.presence == .available)
        var bad = Self.ana
        bad.skills = ["refunds": 9]
        #expect(machine.apply(.upsertAgent(bad, at: Self.at(3))).rejection != nil)
        #expect(machine.agent("ana")?.skills["refunds"] == 5)
    }

    @Test("replicas agree through bytes, rows and snapshots; an unknown entry version does not decode", arguments: 0..<10)
    func replicasAgree(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var entries: [RoutingDomainEntry] = []
        var proposer = RoutingDomainMachine()
        let ids = ["ana", "bo", "cy", "dee"]
        for step in 0..<200 {
            let id = ids[random.below(ids.count)]
            let entry: RoutingDomainEntry = switch random.below(4) {
            case 0: .upsertAgent(AgentProfile(id: id, name: id.uppercased(), skills: ["s\(random.below(3))": 1 + random.below(5)]), at: Self.at(Double(step)))
            case 1: .openSession(agentID: id, node: UInt64(1 + random.below(3)), at: Self.at(Double(step)))
            case 2: .closeSession(agentID: id, epoch: UInt64(random.below(4)), at: Self.at(Double(step)))
            default: .setPresence(agentID: id, Presence.allCases[random.below(Presence.allCases.count)],
                                  sessionEpoch: random.below(3) == 0 ? nil : UInt64(random.below(4)), at: Self.at(Double(step)))
            }
            _ = proposer.apply(entry)
            entries.append(entry)
        }
        var replica = RoutingDomainMachine()
        _ = try Self.replay(entries, on: &replica)
        #expect(replica.snapshot() == proposer.snapshot())
        #expect(replica.digest == proposer.digest)
        #expect(try RoutingDomainMachine(snapshot: proposer.snapshot()).snapshot() == proposer.snapshot())
        let rows = proposer.allRows().compactMap(RoutingDomainMachine.storedRow).map { row -> (id: String, record: [UInt8]) in
            guard case let .put(id, record) = row else { preconditionFailure("only puts") }
            return (id, record)
        }
        let fromRows = try RoutingDomainMachine(rows: rows)
        #expect(fromRows.snapshot() == proposer.snapshot())
        #expect(fromRows.digest == proposer.digest)
        var future = RoutingDomainMachine.encode(entries[0])
        #expect(future[0] == 2)
        future[0] = 3
        #expect(throws: (any Error).self) { try RoutingDomainMachine.decode(future) }
        // Every entry re-encodes to its bytes; format-1 (JSON) entries, rows and images still load.
        for entry in entries {
            let bytes = RoutingDomainMachine.encode(entry)
            #expect(RoutingDomainMachine.encode(try RoutingDomainMachine.decode(bytes)) == bytes)
            #expect(try RoutingDomainMachine.decode([1] + (try Self.jsonFormat1(entry))) == entry)
        }
        let rowsFormat1 = try proposer.allRows().map { row in (id: row.agent.id, record: [UInt8(1)] + (try Self.jsonFormat1(row))) }
        #expect(try RoutingDomainMachine(rows: rowsFormat1).snapshot() == proposer.snapshot())
        let imageFormat1: [UInt8] = [0x52, 0x44, 0x41, 0x01] + (try Self.jsonFormat1(proposer.allRows()))
        #expect(try RoutingDomainMachine(snapshot: imageFormat1).snapshot() == proposer.snapshot())
    }

    static func jsonFormat1<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .deferredToDate
        return Array(try encoder.encode(value))
    }

    @Test("garbled, cut and random entries, rows and images throw or decode canonically, and never trap")
    func fuzz() throws {
        var random = SeededGenerator(seed: 0xA6E27)
        var machine = RoutingDomainMachine()
        var entries: [RoutingDomainEntry] = [.upsertAgent(Self.ana, at: Self.at(0)), .openSession(agentID: "ana", node: 2, at: Self.at(1)),
                                             .setPresence(agentID: "ana", .available, sessionEpoch: 1, at: Self.at(2)),
                                             .setPresence(agentID: "ana", .away, sessionEpoch: nil, at: Self.at(3)),
                                             .closeSession(agentID: "ana", epoch: 1, at: Self.at(4))]
        entries.append(.upsertAgent(AgentProfile(id: "bo", name: "Bo", skills: ["returns": 2, "refunds": 5]), at: Self.at(5)))
        for entry in entries { _ = machine.apply(entry) }
        let rows = machine.allRows().compactMap(RoutingDomainMachine.storedRow).map { row -> [UInt8] in
            guard case let .put(_, record) = row else { preconditionFailure("only puts") }
            return record
        }
        let inputs = entries.map(RoutingDomainMachine.encode) + rows + [machine.snapshot()]
        for bytes in inputs {
            for length in 0..<bytes.count {
                #expect(throws: (any Error).self) { try RoutingDomainMachine.decode(Array(bytes.prefix(length))) }
                _ = try? RoutingDomainMachine(snapshot: Array(bytes.prefix(length)))
            }
        }
        var decoded = 0
        for round in 0..<3_000 {
            var bytes = inputs[random.below(inputs.count)]
            if round % 2 == 0 {
                for _ in 0...random.below(3) { bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next()) }
            } else {
                bytes = [2] + (0..<random.below(80)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
            if let entry = try? RoutingDomainMachine.decode(bytes) {
                decoded += 1
                #expect(RoutingDomainMachine.encode(entry) == bytes)
            }
            _ = try? RoutingDomainMachine(rows: [(id: "ana", record: bytes)])
            _ = try? RoutingDomainMachine(snapshot: [0x52, 0x44, 0x41, 0x02] + bytes.dropFirst())
        }
        #expect(decoded > 0)
    }

    @Test("a lease renewal is logged for the routers and changes no registry state; an unknown agent's is refused")
    func leaseRenewalsChangeNoState() throws {
        var machine = RoutingDomainMachine()
        _ = try Self.replay([.upsertAgent(Self.ana, at: Self.at(0))], on: &machine)
        let before = machine.snapshot()
        let digest = machine.digest
        let results = try Self.replay([.renewLease(ticketID: "T1", agentID: "ana", at: Self.at(5)),
                                       .renewLease(ticketID: "T1", agentID: "nobody", at: Self.at(6))], on: &machine)
        #expect(results[0] == .leaseRenewed(ticketID: "T1", agentID: "ana", at: Self.at(5)))
        #expect(results[1].rejection?.code == "agent_not_found")
        #expect(machine.snapshot() == before && machine.digest == digest)
        #expect(machine.rows(touchedBy: .renewLease(ticketID: "T1", agentID: "ana", at: Self.at(5))).isEmpty)
    }
}
