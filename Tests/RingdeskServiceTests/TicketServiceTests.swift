import Foundation
import Logging
import RingdeskDomain
import RingdeskReplication
import RingdeskService
import RingdeskShard
import RingdeskStorage
import Testing

/// Where a test's tickets live: every service test runs against both journals.
enum TicketStore: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, shards
    var testDescription: String { rawValue }
}

/// The ticket service over a real SQLite file with a manual clock: offers, expiry and re-offer,
/// capacity, restart recovery. Time moves only when the test says so.
@Suite struct TicketServiceTests {
    struct Harness {
        let service: TicketService
        let storage: SQLiteStorage
        let clock: ManualClock
        let directory: URL
        let store: TicketStore
        /// The ticket shards' Raft host (a cluster of one), with `store == .shards`.
        let host: ShardTicketJournal.Host?

        static let shards = 8

        static func make(store: TicketStore, offerTimeout: TimeInterval = 20,
                         exclusionExpiry: TimeInterval = DomainPolicy.defaults.exclusionExpiry,
                         directory: URL? = nil, clock: ManualClock = ManualClock()) async throws -> Harness {
            let directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-service-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("ringdesk.sqlite").path
            let storage = try await SQLiteStorage.open(.defaults(path: path))
            var configuration = TicketServiceConfiguration.defaults
            configuration.policy.offerTimeout = offerTimeout
            configuration.policy.exclusionExpiry = exclusionExpiry
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            var host: ShardTicketJournal.Host?
            var journal: ShardTicketJournal?
            if store == .shards {
                let settings = ReplicationConfiguration(nodeID: 1, peers: [1: "127.0.0.1:1"], groups: shards)
                let started = try ShardTicketJournal.Host(configuration: settings, databasePath: path, client: nil, logger: logger,
                                                          projection: ShardTicketJournal.readModel(shards: try TicketShardMap(shards: shards)))
                started.start()
                journal = try ShardTicketJournal(host: started, storage: storage)
                try await journal!.start(policy: configuration.policy)
                host = started
            }
            let service = try TicketService(storage: storage, journal: journal, configuration: configuration, clock: clock, logger: logger)
            try await service.load()
            return Harness(service: service, storage: storage, clock: clock, directory: directory, store: store, host: host)
        }

        func close(removing: Bool = true) async throws {
            await service.stop()
            host?.stop()
            try await storage.close()
            if removing { try? FileManager.default.removeItem(at: directory) }
        }
    }

    static func draft(customer: String, channel: Channel = .chat, skill: String = "refunds") -> TicketDraft {
        TicketDraft(
            category: .refund, channel: channel,
            customer: CustomerContext(id: customer, tier: .standard, language: "en", region: "eu-west"),
            subject: "Refund missing", body: "", requiredSkills: [SkillRequirement(skill: skill, minLevel: 2)]
        )
    }

    static func agent(_ id: String, chat: Int = 3) -> AgentProfile {
        AgentProfile(id: id, name: id.capitalized, languages: ["en"], skills: ["refunds": 3], channelCapacity: [.chat: chat])
    }

    /// Polls the service (bounded) until `condition` holds; assignment passes run as tasks.
    func eventually(_ condition: () async throws -> Bool) async rethrows -> Bool {
        for _ in 0..<500 {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return try await condition()
    }

    @Test(arguments: TicketStore.allCases) func offerExpiresAndGoesToTheNextAgent(store: TicketStore) async throws {
        let harness = try await Harness.make(store: store, offerTimeout: 20)
        let service = harness.service
        _ = try await service.upsertAgent(Self.agent("ana"))
        _ = try await service.setPresence(.available, agentID: "ana")
        let created = try await service.create(Self.draft(customer: "C-1"), idempotencyKey: nil, by: .intake("test"))
        #expect(try await eventually { try await service.offers(for: "ana").map(\.id) == [created.ticket.id] })

        // Bo comes online later; Ana lets the offer lapse.
        _ = try await service.upsertAgent(Self.agent("bo"))
        _ = try await service.setPresence(.available, agentID: "bo")
        harness.clock.advance(by: 19)
        await service.tick()
        #expect(try await service.ticket(created.ticket.id).status == .offered, "not expired before the timeout")
        harness.clock.advance(by: 1)
        await service.tick()
        #expect(try await eventually { try await service.offers(for: "bo").map(\.id) == [created.ticket.id] })
        #expect(try await service.offers(for: "ana").isEmpty)
        let ticket = try await service.ticket(created.ticket.id)
        #expect(ticket.excludedAgentIDs == ["ana"])
        #expect(ticket.deliveryAttempts == 2)

        let accepted = try await service.apply(.acceptOffer(agentID: "bo"), to: ticket.id, by: .agent("bo"))
        #expect(accepted.status == .assigned && accepted.assignedAgentID == "bo")
        try await harness.close()
    }

    @Test(arguments: TicketStore.allCases) func capacityLimitsOutstandingOffers(store: TicketStore) async throws {
        let harness = try await Harness.make(store: store)
        let service = harness.service
        _ = try await service.upsertAgent(Self.agent("cy", chat: 2))
        _ = try await service.setPresence(.available, agentID: "cy")
        var ids: [String] = []
        for index in 0..<5 {
            ids.append(try await service.create(Self.draft(customer: "C-\(index)"), idempotencyKey: nil, by: .intake("test")).ticket.id)
        }
        #expect(try await eventually { try await service.offers(for: "cy").count == 2 })
        // Settle: no further pass may exceed the capacity.
        await service.tick()
        #expect(try await service.offers(for: "cy").map(\.id) == Array(ids.prefix(2)), "oldest first, two at most")
        _ = try await service.apply(.rejectOffer(agentID: "cy"), to: ids[0], by: .agent("cy"))
        #expect(try await eventually { try await service.offers(for: "cy").map(\.id) == [ids[1], ids[2]] })
        try await harness.close()
    }

    @Test(arguments: TicketStore.allCases) func restartRecoversTicketsAgentsAndIdempotencyKeys(store: TicketStore) async throws {
        let first = try await Harness.make(store: store)
        _ = try await first.service.upsertAgent(Self.agent("dee"))
        let created = try await first.service.create(Self.draft(customer: "C-r"), idempotencyKey: "key-r", by: .intake("test"))
        _ = try await first.service.apply(.comment(text: "noted", internal: true), to: created.ticket.id, by: .supervisor("sam"))
        try await first.close(removing: false)

        let second = try await Harness.make(store: store, directory: first.directory, clock: first.clock)
        let ticket = try await second.service.ticket(created.ticket.id)
        #expect(ticket == (try await first.service.ticket(created.ticket.id)))
        #expect(ticket.history.count == 3)
        #expect(try await second.service.agent("dee").name == "Dee")
        let again = try await second.service.create(Self.draft(customer: "C-r"), idempotencyKey: "key-r", by: .intake("test"))
        #expect(!again.created && again.ticket.id == created.ticket.id)
        try await second.close()
    }

    @Test(arguments: TicketStore.allCases) func unknownIdsAreServiceErrors(store: TicketStore) async throws {
        let harness = try await Harness.make(store: store)
        await #expect(throws: ServiceError.ticketNotFound("T-none")) { _ = try await harness.service.ticket("T-none") }
        await #expect(throws: ServiceError.agentNotFound("zed")) { _ = try await harness.service.setPresence(.available, agentID: "zed") }
        try await harness.close()
    }

    @Test func aRetriedLowRatingOpensOneFollowUpInItsOwnShard() async throws {
        let harness = try await Harness.make(store: .shards)
        let service = harness.service
        _ = try await service.upsertAgent(Self.agent("fay"))
        _ = try await service.setPresence(.available, agentID: "fay")
        let id = try await service.create(Self.draft(customer: "C-f"), idempotencyKey: nil, by: .intake("test")).ticket.id
        #expect(try await eventually { try await service.offers(for: "fay").map(\.id) == [id] })
        _ = try await service.apply(.acceptOffer(agentID: "fay"), to: id, by: .agent("fay"))
        _ = try await service.apply(.resolve(note: "refunded"), to: id, by: .agent("fay"))
        let rated = try await service.apply(.feedback(rating: 1, comment: "too slow"), to: id, by: .customer("C-f"))
        let followUp = try #require(rated.followUpTicketID)
        // The call-back's key names its shard and the shard deduplicates it: proposing the same
        // call-back again (a retried rating, a proposer that died between the two) gives the same ticket.
        let draft = try await service.ticket(followUp)
        #expect(draft.idempotencyKey == "follow-up:\(id)")
        let journal = try #require(service.journal as? ShardTicketJournal)
        #expect(journal.map.shard(ofTicketID: followUp) == journal.map.shard(forIdempotencyKey: "follow-up:\(id)"))
        var retry = draft
        retry.id = journal.newTicketID(now: harness.clock.now(), idempotencyKey: draft.idempotencyKey)
        guard case .duplicate(let first) = try await journal.create(retry) else { Issue.record("a second call-back was created"); return }
        #expect(first.id == followUp)
        var filter = TicketFilter()
        filter.customerID = "C-f"
        #expect(try await service.list(filter).tickets.map(\.id).sorted() == [id, followUp].sorted())
        try await harness.close()
    }

    @Test func oldTerminalTicketsLeaveTheShardsButStayReadableAndListed() async throws {
        let harness = try await Harness.make(store: .shards)
        let service = harness.service
        let journal = try #require(service.journal as? ShardTicketJournal)
        let old = try await service.create(Self.draft(customer: "C-old"), idempotencyKey: "old-key", by: .intake("test")).ticket
        let cancelled = try await service.apply(.cancel(reason: "duplicate"), to: old.id, by: .supervisor("sam"))
        let shard = journal.map.shard(ofTicketID: old.id)
        // Nine days on, the next entries of that shard let the cancelled ticket and its key go.
        harness.clock.advance(by: 9 * 86_400)
        for index in 0..<(Harness.shards * 2) {
            _ = try await service.create(Self.draft(customer: "C-new-\(index)"), idempotencyKey: nil, by: .intake("test"))
        }
        await service.tick()
        #expect(try await journal.host.read(group: shard) { $0.ticket(old.id) } == nil, "the shard no longer holds it")
        #expect(try await journal.host.read(group: shard) { $0.idempotencyKeys["old-key"] } == nil)
        // Still there for readers: by id and in lists, from the read model.
        #expect(try await service.ticket(old.id) == cancelled)
        var filter = TicketFilter()
        filter.customerID = "C-old"
        #expect(try await service.list(filter).tickets == [cancelled])
        try await harness.close()
    }

    @Test func changesProposedElsewhereReachTheServiceThroughTheFeed() async throws {
        let harness = try await Harness.make(store: .shards)
        let service = harness.service
        _ = try await service.upsertAgent(Self.agent("gus"))
        _ = try await service.setPresence(.available, agentID: "gus")
        // Another proposer on the same shards (as another node's service would be): its ticket
        // never passes through this service, yet this service routes it and then sees it change.
        let host = try #require(harness.host)
        let other = try ShardTicketJournal(host: host, storage: harness.storage)
        var ticket = try Ticket.create(id: other.newTicketID(now: harness.clock.now(), idempotencyKey: "elsewhere"),
                                       draft: Self.draft(customer: "C-else"), idempotencyKey: "elsewhere", by: .intake("other-node"),
                                       at: harness.clock.now(), policy: .defaults)
        guard case .created(let created, _) = try await other.create(ticket) else { Issue.record("not created"); return }
        ticket = created
        #expect(try await eventually { try await service.offers(for: "gus").map(\.id) == [ticket.id] })
        let offered = try await service.ticket(ticket.id)
        var cancelled = offered
        _ = try cancelled.apply(.cancel(reason: "customer withdrew"), by: .supervisor("sam"), at: harness.clock.now(), policy: .defaults)
        _ = try await other.commit(TicketJournalChange(command: .cancel(reason: "customer withdrew"), actor: .supervisor("sam"),
                                                       at: harness.clock.now(), before: offered, after: cancelled, followUps: [], fenced: false))
        #expect(try await eventually { try await service.ticket(ticket.id).status == .cancelled })
        #expect(try await eventually { try await service.offers(for: "gus").isEmpty })
        // The key the other proposer used is known here too.
        let retry = try await service.create(Self.draft(customer: "C-else"), idempotencyKey: "elsewhere", by: .intake("test"))
        #expect(!retry.created && retry.ticket.id == ticket.id)
        try await harness.close()
    }

    @Test func twoProposersTakingOneIDInOneMillisecondBothGetTheirTicket() async throws {
        let harness = try await Harness.make(store: .shards)
        let host = try #require(harness.host)
        let first = try ShardTicketJournal(host: host, storage: harness.storage)
        let second = try ShardTicketJournal(host: host, storage: harness.storage)
        let now = harness.clock.now()
        // Same key, so the same shard; two sequences that know nothing of each other: the same id.
        let idA = first.newTicketID(now: now, idempotencyKey: "k")
        let idB = second.newTicketID(now: now, idempotencyKey: "k")
        #expect(idA == idB)
        let a = try Ticket.create(id: idA, draft: Self.draft(customer: "C-a"), by: .intake("a"), at: now, policy: .defaults)
        let b = try Ticket.create(id: idB, draft: Self.draft(customer: "C-b"), by: .intake("b"), at: now, policy: .defaults)
        guard case .created(let storedA, _) = try await first.create(a), case .created(let storedB, _) = try await second.create(b) else {
            Issue.record("both creates must succeed"); return
        }
        #expect(storedA.id == idA && storedB.id != idA, "the second proposer's ticket got a fresh id")
        #expect(storedA.customer.id == "C-a" && storedB.customer.id == "C-b")
        #expect(first.map.shard(ofTicketID: storedB.id) == first.map.shard(ofTicketID: idA))
        // And a create whose answer was lost, repeated with the same id, is answered as created.
        guard case .created(let again, _) = try await first.create(a) else { Issue.record("a repeat is created"); return }
        #expect(again == storedA)
        try await harness.close()
    }

    @Test func ticketIDsAreTimeOrderedAndUnique() {
        var generator = TicketIDGenerator()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var ids: [String] = []
        for index in 0..<5000 { ids.append(generator.next(now: start.addingTimeInterval(Double(index / 1000) * 0.001))) }
        ids.append(generator.next(now: start.addingTimeInterval(-5)))  // a clock step back keeps order
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.count == 15 && $0.hasPrefix("T") })
    }
}

@Suite struct StoredDocumentTests {
    @Test(arguments: TicketStore.allCases) func ticketRowAndEventRowsTogetherAreTheTicket(store: TicketStore) async throws {
        let harness = try await TicketServiceTests.Harness.make(store: store)
        let created = try await harness.service.create(TicketServiceTests.draft(customer: "C-doc"), idempotencyKey: nil, by: .intake("test"))
        var ticket = try await harness.service.apply(.comment(text: "history with \"history\":[] inside", internal: false), to: created.ticket.id, by: .supervisor("sam"))
        ticket = try await harness.service.apply(.escalate(reason: "needs L2"), to: ticket.id, by: .supervisor("sam"))
        // The shards' read model is written with the applied index, one transaction after the
        // entry itself is durable (and answered): wait for it, bounded.
        for _ in 0..<400 where try await harness.storage.ticket(id: ticket.id)?.version != ticket.history.count {
            try await Task.sleep(for: .milliseconds(5))
        }
        let row = try #require(try await harness.storage.ticket(id: ticket.id))
        let decoder = ISO8601Millis.decoder()
        var withoutHistory = ticket
        withoutHistory.history = []
        #expect(try decoder.decode(Ticket.self, from: row.doc) == withoutHistory, "the row stores the ticket, its events their own rows")
        #expect(row.version == ticket.history.count)
        let events = try await harness.storage.events(ticketID: ticket.id)
        #expect(events.map(\.seq) == Array(1...ticket.history.count))
        #expect(try events.map { try decoder.decode(TicketEvent.self, from: $0.doc) } == ticket.history)
        // Read back through the service from storage (list) with the history reattached.
        var filter = TicketFilter()
        filter.customerID = "C-doc"
        #expect(try await harness.service.list(filter).tickets == [ticket])
        try await harness.close()
    }
}
