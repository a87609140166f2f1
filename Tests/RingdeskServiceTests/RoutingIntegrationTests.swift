import Foundation
import Logging
import RingdeskDomain
import RingdeskRouting
import RingdeskService
import RingdeskStorage
import Testing

/// The service driving the routing engine: the offer event says why this agent, leases renew
/// and lapse back to the head of the queue, and a restart adopts offers and holds from SQLite.
@Suite struct RoutingIntegrationTests {
    typealias Harness = TicketServiceTests.Harness

    func eventually(_ condition: () async throws -> Bool) async rethrows -> Bool {
        for _ in 0..<500 {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return try await condition()
    }

    @Test(arguments: TicketStore.allCases) func offerEventRecordsWhyThisAgent(store: TicketStore) async throws {
        let harness = try await Harness.make(store: store)
        let service = harness.service
        _ = try await service.upsertAgent(TicketServiceTests.agent("ana"))
        _ = try await service.setPresence(.available, agentID: "ana")
        let created = try await service.create(TicketServiceTests.draft(customer: "C-1"), idempotencyKey: nil, by: .intake("test"))
        #expect(try await eventually { try await service.offers(for: "ana").map(\.id) == [created.ticket.id] })
        let offered = try #require(try await service.ticket(created.ticket.id).history.last)
        #expect(offered.kind == .offered)
        #expect(offered.details["agent_id"] == "ana")
        #expect(offered.details["relaxation_level"] == "exact_skills_in_region")
        for key in ["score_total", "score_slack", "score_urgency", "score_waited", "score_skill_fit", "score_proficiency",
                    "score_region", "score_idle", "score_stickiness"] {
            #expect(offered.details[key] != nil, "missing \(key)")
        }
        try await harness.close()
    }

    /// A clock that moves a quarter second every time it is read, so the routing decision and
    /// the write that records it see different times (as under load on a busy node).
    final class SteppingClock: NodeClock {
        private let clock = ManualClock()
        func now() -> Date {
            clock.advance(by: 0.25)
            return clock.now()
        }
    }

    @Test func offerWindowStartsWhenRoutingDecidedNotWhenTheWriteRan() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-service-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let storage = try await SQLiteStorage.open(.defaults(path: directory.appendingPathComponent("ringdesk.sqlite").path))
        var configuration = TicketServiceConfiguration.defaults
        configuration.policy.offerTimeout = 7
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let service = try TicketService(storage: storage, configuration: configuration, clock: SteppingClock(), logger: logger)
        try await service.load()
        _ = try await service.upsertAgent(TicketServiceTests.agent("ana"))
        _ = try await service.setPresence(.available, agentID: "ana")
        let created = try await service.create(TicketServiceTests.draft(customer: "C-1"), idempotencyKey: nil, by: .intake("test"))
        #expect(try await eventually { try await service.offers(for: "ana").map(\.id) == [created.ticket.id] })
        let ticket = try await service.ticket(created.ticket.id)
        let offer = try #require(ticket.offer)
        #expect(offer.expiresAt.timeIntervalSince(offer.offeredAt) == 7)
        #expect(offer.offeredAt >= created.ticket.updatedAt)
        #expect(ticket.history.last?.at == offer.offeredAt)
        try await storage.close()
    }

    @Test(arguments: TicketStore.allCases) func leaseRenewsAndLapsesBackToTheHead(store: TicketStore) async throws {
        let harness = try await Harness.make(store: store)
        let service = harness.service
        let lease = await service.routingConfiguration.leaseDuration
        _ = try await service.upsertAgent(TicketServiceTests.agent("ana", chat: 1))
        _ = try await service.setPresence(.available, agentID: "ana")
        let id = try await service.create(TicketServiceTests.draft(customer: "C-1"), idempotencyKey: nil, by: .intake("test")).ticket.id
        #expect(try await eventually { try await service.offers(for: "ana").map(\.id) == [id] })
        _ = try await service.apply(.acceptOffer(agentID: "ana"), to: id, by: .agent("ana"))

        harness.clock.advance(by: lease - 1)
        let renewed = try await service.renewLease(ticketID: id, agentID: "ana")
        #expect(renewed == harness.clock.now().addingTimeInterval(lease))
        await #expect(throws: ServiceError.self) { try await service.renewLease(ticketID: id, agentID: "bo") }
        harness.clock.advance(by: lease - 1)
        await service.tick()
        #expect(try await service.ticket(id).status == .assigned, "renewed: not lapsed yet")
        harness.clock.advance(by: 1)
        await service.tick()
        // Lapsed: queued at the head with a lease_expired event, then offered again (ana is free).
        #expect(try await eventually { try await service.ticket(id).history.contains { $0.kind == .leaseExpired } })
        let ticket = try await service.ticket(id)
        #expect(ticket.assignedAgentID == nil)
        #expect([.queued, .offered].contains(ticket.status))
        await #expect(throws: ServiceError.self) { try await service.renewLease(ticketID: id, agentID: "ana") }
        try await harness.close()
    }

    @Test(arguments: TicketStore.allCases) func restartAdoptsOffersAndHolds(store: TicketStore) async throws {
        let clock = ManualClock()
        let first = try await Harness.make(store: store, offerTimeout: 20, clock: clock)
        _ = try await first.service.upsertAgent(TicketServiceTests.agent("ana", chat: 2))
        _ = try await first.service.setPresence(.available, agentID: "ana")
        let held = try await first.service.create(TicketServiceTests.draft(customer: "C-1"), idempotencyKey: nil, by: .intake("t")).ticket.id
        let offeredID = try await first.service.create(TicketServiceTests.draft(customer: "C-2"), idempotencyKey: nil, by: .intake("t")).ticket.id
        #expect(try await eventually { try await first.service.offers(for: "ana").count == 2 })
        _ = try await first.service.apply(.acceptOffer(agentID: "ana"), to: held, by: .agent("ana"))
        try await first.close(removing: false)

        // Restart on the same file: ana's capacity (2) is used by the hold and the open offer.
        let second = try await Harness.make(store: store, offerTimeout: 20, directory: first.directory, clock: clock)
        let service = second.service
        let third = try await service.create(TicketServiceTests.draft(customer: "C-3"), idempotencyKey: nil, by: .intake("t")).ticket.id
        await service.tick()
        #expect(try await service.ticket(third).status == .queued)
        #expect(try await service.renewLease(ticketID: held, agentID: "ana") > clock.now())
        // The adopted offer still expires on time; ana is excluded from it, so the third ticket gets her slot.
        clock.advance(by: 20)
        await service.tick()
        #expect(try await eventually { try await service.offers(for: "ana").map(\.id) == [third] })
        #expect(try await service.ticket(offeredID).status == .queued)
        try await second.close()
    }

    /// Issue 17: with one qualified agent, one reject moved the ticket to review with nothing
    /// saying why. Now the agent is offered it again as each exclusion ages out, and the ticket
    /// goes to review after the delivery limit (5), with the reason on the event.
    @Test(arguments: [false, true], TicketStore.allCases)
    func singleQualifiedAgentIsReofferedUntilTheDeliveryLimit(expires: Bool, store: TicketStore) async throws {
        let harness = try await Harness.make(store: store, offerTimeout: 20)
        let service = harness.service
        _ = try await service.upsertAgent(TicketServiceTests.agent("ana"))
        _ = try await service.setPresence(.available, agentID: "ana")
        let id = try await service.create(TicketServiceTests.draft(customer: "C-1"), idempotencyKey: nil, by: .intake("test")).ticket.id
        let policy = await service.policy
        for attempt in 1...policy.maxDeliveryAttempts {
            #expect(try await eventually { try await service.offers(for: "ana").map(\.id) == [id] }, "attempt \(attempt)")
            if expires {
                harness.clock.advance(by: 20)
                await service.tick()
            } else {
                _ = try await service.apply(.rejectOffer(agentID: "ana"), to: id, by: .agent("ana"))
            }
            #expect(try await eventually { try await service.ticket(id).status == .queued })
            if attempt < policy.maxDeliveryAttempts {
                #expect(try await service.ticket(id).queue != policy.reviewQueue, "attempt \(attempt): still routed")
                harness.clock.advance(by: policy.exclusionExpiry - 1)
                await service.tick()
                #expect(try await service.offers(for: "ana").isEmpty, "attempt \(attempt): still excluded")
                harness.clock.advance(by: 1)
                await service.tick()
            }
        }
        let ticket = try await service.ticket(id)
        #expect(ticket.queue == policy.reviewQueue && ticket.deliveryAttempts == policy.maxDeliveryAttempts)
        let last = try #require(ticket.history.last)
        #expect(last.kind == .deliveryLimitReached && last.details["reason"] == "delivery_limit")
        try await harness.close()
    }

    @Test(arguments: TicketStore.allCases) func withExclusionsForGoodATicketEveryoneDeclinedGoesToReviewSayingWhy(store: TicketStore) async throws {
        let harness = try await Harness.make(store: store, exclusionExpiry: 0)
        let service = harness.service
        _ = try await service.upsertAgent(TicketServiceTests.agent("ana"))
        _ = try await service.setPresence(.available, agentID: "ana")
        let id = try await service.create(TicketServiceTests.draft(customer: "C-1"), idempotencyKey: nil, by: .intake("test")).ticket.id
        #expect(try await eventually { try await service.offers(for: "ana").map(\.id) == [id] })
        _ = try await service.apply(.rejectOffer(agentID: "ana"), to: id, by: .agent("ana"))
        // Ana was the only agent who could take it and exclusions never age out: a supervisor must look at it.
        let policy = await service.policy
        #expect(try await eventually { try await service.ticket(id).queue == policy.reviewQueue })
        let ticket = try await service.ticket(id)
        let last = try #require(ticket.history.last)
        #expect(ticket.status == .queued && last.kind == .transferred && last.actor == .system)
        #expect(last.details["reason"] == "no_eligible_agent")
        try await harness.close()
    }
}
