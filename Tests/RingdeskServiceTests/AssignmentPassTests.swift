import Foundation
import RingdeskDomain
import RingdeskService
import Testing

/// Many routing actions in one assignment pass, applied pipelined: none is lost, none is applied
/// twice, each ticket's actions keep their order and no agent goes above capacity.
@Suite struct AssignmentPassTests {
    typealias Harness = TicketServiceTests.Harness

    static let tickets = 200
    static let agents = 50

    /// Polls (bounded, about 30 s) until `condition` holds: the debug build routes hundreds of
    /// tickets through the shards more slowly than the other tests' one ticket.
    func eventually(_ condition: () async throws -> Bool) async rethrows -> Bool {
        for _ in 0..<3000 {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }

    /// Creates `tickets` queued tickets at once, then brings `agents` agents online at once.
    func queueThenStaff(_ service: TicketService, capacity: Int) async throws -> [String] {
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<Self.tickets {
                group.addTask {
                    try await service.create(TicketServiceTests.draft(customer: "C-\(index)"), idempotencyKey: nil, by: .intake("test")).ticket.id
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<Self.agents {
                group.addTask {
                    let id = "agent-\(index)"
                    _ = try await service.upsertAgent(TicketServiceTests.agent(id, chat: capacity))
                    _ = try await service.setPresence(.available, agentID: id)
                }
            }
            try await group.waitForAll()
        }
        return ids
    }

    /// Current offers per agent (every agent listed).
    func offersByAgent(_ service: TicketService) async throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for index in 0..<Self.agents {
            let id = "agent-\(index)"
            result[id] = try await service.offers(for: id).map(\.id)
        }
        return result
    }

    static func count(_ kind: TicketEvent.Kind, in ticket: Ticket) -> Int {
        ticket.history.filter { $0.kind == kind }.count
    }

    @Test(arguments: TicketStore.allCases) func everyQueuedTicketIsOfferedExactlyOnceWithinCapacity(store: TicketStore) async throws {
        let harness = try await Harness.make(store: store)
        let service = harness.service
        let capacity = 4  // 50 agents x 4 = exactly the 200 tickets
        let ids = try await queueThenStaff(service, capacity: capacity)
        #expect(try await eventually { try await offersByAgent(service).values.reduce(0) { $0 + $1.count } == Self.tickets })
        await service.tick()  // one more pass: nothing left to offer, nothing offered twice

        let offers = try await offersByAgent(service)
        #expect(offers.values.allSatisfy { $0.count <= capacity }, "no agent above capacity")
        let offered = offers.values.flatMap { $0 }
        #expect(offered.count == Self.tickets && Set(offered) == Set(ids), "each ticket offered to one agent")
        for id in ids {
            let ticket = try await service.ticket(id)
            #expect(ticket.status == .offered)
            #expect(Self.count(.offered, in: ticket) == 1, "ticket \(id) offered once")
            #expect(ticket.deliveryAttempts == 1)
        }
        try await harness.close()
    }

    @Test(arguments: TicketStore.allCases) func offersExpiringInOnePassAreReofferedToAnotherAgentInOrder(store: TicketStore) async throws {
        let harness = try await Harness.make(store: store, offerTimeout: 20)
        let service = harness.service
        let capacity = 5  // room for every ticket after excluding its first agent
        let ids = try await queueThenStaff(service, capacity: capacity)
        #expect(try await eventually { try await offersByAgent(service).values.reduce(0) { $0 + $1.count } == Self.tickets })
        var first: [String: String] = [:]
        for id in ids { first[id] = try await service.ticket(id).offer?.agentID }

        // Every offer lapses at once: one pass expires them all and offers them again; a
        // ticket's expiry must land before its next offer.
        harness.clock.advance(by: 20)
        await service.tick()
        #expect(try await eventually {
            var reoffered = 0
            for id in ids where try await service.ticket(id).deliveryAttempts == 2 { reoffered += 1 }
            return reoffered == Self.tickets
        })
        await service.tick()
        let offers = try await offersByAgent(service)
        #expect(offers.values.allSatisfy { $0.count <= capacity }, "no agent above capacity")
        #expect(Set(offers.values.flatMap { $0 }) == Set(ids))
        for id in ids {
            let ticket = try await service.ticket(id)
            #expect(ticket.status == .offered)
            #expect(Self.count(.offered, in: ticket) == 2 && Self.count(.offerExpired, in: ticket) == 1)
            let kinds = ticket.history.map(\.kind).filter { [.offered, .offerExpired].contains($0) }
            #expect(kinds == [.offered, .offerExpired, .offered], "ticket \(id): \(kinds)")
            #expect(ticket.offer?.agentID != first[id], "not offered again to the agent who let it lapse")
        }
        try await harness.close()
    }
}
