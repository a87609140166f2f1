import Foundation
import RingdeskDomain
import RingdeskRaft
import RingdeskShard
import Testing

/// The domain's ticket lifecycle as a replicated machine: entries carry time, actor, policy
/// version and fences; every replica that applies the same bytes ends in the same state.
@Suite("Ticket shard machine")
struct TicketShardMachineTests {
    static let t0 = Date(timeIntervalSince1970: 1_780_000_000.125)

    static func draft(customer: String = "C-1", tier: CustomerTier = .standard, skill: String = "refunds") -> TicketDraft {
        TicketDraft(category: .refund, channel: .chat,
                    customer: CustomerContext(id: customer, tier: tier, orderID: "O-9", orderValue: 120.5, language: "en", region: "eu-west"),
                    subject: "Refund not received", body: "Where is my money?",
                    requiredSkills: [SkillRequirement(skill: skill, minLevel: 2)])
    }

    /// What a proposer does: `Ticket.create` with its policy and clock, then the entry.
    static func create(_ id: String, key: String? = nil, at: Date = t0, draft: TicketDraft = draft()) throws -> TicketLogEntry {
        .create(try Ticket.create(id: id, draft: draft, idempotencyKey: key, by: .intake("shop"), at: at, policy: .defaults))
    }

    static func command(_ id: String, _ command: TicketCommand, by actor: TicketActor = .system, at seconds: Double,
                        epoch: UInt64? = nil, policy: UInt64 = 0) -> TicketLogEntry {
        .command(TicketLogCommand(ticketID: id, command: command, actor: actor, at: t0.addingTimeInterval(seconds),
                                  policyVersion: policy, expectedEpoch: epoch))
    }

    /// Applies each entry after a trip through its bytes, as a replica would.
    @discardableResult
    static func replay(_ entries: [TicketLogEntry], on machine: inout TicketShardMachine) throws -> [TicketLogResult] {
        try entries.map { entry in machine.apply(try TicketShardMachine.decode(TicketShardMachine.encode(entry))) }
    }

    @Test("a ticket lives its whole life through log entries: offer, accept, work, wait, resolve, rating, follow-up link")
    func wholeLifecycle() throws {
        var machine = TicketShardMachine()
        let results = try Self.replay([
            try Self.create("T1", key: "shop-O-9"),
            Self.command("T1", .offer(agentID: "ana", expiresAt: Self.t0.addingTimeInterval(40), why: ["score": "12.5"]), at: 10, epoch: 0),
            Self.command("T1", .acceptOffer(agentID: "ana"), by: .agent("ana"), at: 12),
            Self.command("T1", .startWork, by: .agent("ana"), at: 13),
            Self.command("T1", .requestCustomerInfo(question: "Which card?"), by: .agent("ana"), at: 20),
            Self.command("T1", .customerReply(text: "Visa"), by: .customer("C-1"), at: 60),
            Self.command("T1", .resolve(note: "Refunded"), by: .agent("ana"), at: 90),
            Self.command("T1", .feedback(rating: 2, comment: "slow"), by: .customer("C-1"), at: 120),
        ], on: &machine)
        for result in results { #expect(result.rejection == nil, "\(result)") }
        let ticket = try #require(machine.ticket("T1"))
        #expect(ticket.status == .resolved)
        #expect(ticket.feedback?.rating == 2)
        #expect(ticket.lastAgentID == "ana")
        #expect(ticket.history.map(\.actor).contains(.customer("C-1")))
        #expect(ticket.history.last?.at == Self.t0.addingTimeInterval(120))
        // The offer records "why this agent"; the low rating asks the proposer for a follow-up.
        #expect(ticket.history.contains { $0.details["score"] == "12.5" })
        guard case .applied(_, let effects) = results.last else { Issue.record("no effects"); return }
        #expect(effects.contains { if case .openFollowUp = $0 { true } else { false } })
        // Linking the follow-up goes through the log too.
        #expect(machine.apply(Self.command("T1", .linkFollowUp(ticketID: "T2"), at: 121)).rejection == nil)
        #expect(machine.ticket("T1")?.followUpTicketID == "T2")
    }

    @Test("the same idempotency key gives the first ticket; a reused ticket id is refused")
    func idempotency() throws {
        var machine = TicketShardMachine()
        guard case .created(let first) = machine.apply(try Self.create("T1", key: "k1")) else { Issue.record("not created"); return }
        let before = machine.snapshot()
        #expect(machine.apply(try Self.create("T9", key: "k1", at: Self.t0.addingTimeInterval(5))) == .duplicate(first))
        #expect(machine.apply(try Self.create("T1")).rejection?.code == TicketLogRejection.duplicateTicketID)
        #expect(machine.snapshot() == before)
        #expect(machine.idempotencyKeys == ["k1": "T1"])
    }

    @Test("an imported ticket is stored whole in any status with its key; importing it again answers the ticket held")
    func importedTickets() throws {
        // A ticket the single-node store resolved, with its whole history.
        var source = TicketShardMachine()
        try Self.replay([
            try Self.create("T-old-1", key: "shop-O-1"),
            Self.command("T-old-1", .offer(agentID: "ana", expiresAt: Self.t0.addingTimeInterval(40), why: [:]), at: 10, epoch: 0),
            Self.command("T-old-1", .acceptOffer(agentID: "ana"), by: .agent("ana"), at: 12),
            Self.command("T-old-1", .resolve(note: "done"), by: .agent("ana"), at: 30),
        ], on: &source)
        let resolved = try #require(source.ticket("T-old-1"))
        var machine = TicketShardMachine()
        let results = try Self.replay([.importTicket(resolved), .importTicket(resolved)], on: &machine)
        #expect(results == [.created(resolved), .duplicate(resolved)])
        #expect(machine.ticket("T-old-1") == resolved)
        #expect(machine.idempotencyKeys == ["shop-O-1": "T-old-1"])
        // Its key still answers a create with it; commands go on from its state.
        #expect(machine.apply(try Self.create("T-new", key: "shop-O-1")) == .duplicate(resolved))
        #expect(machine.apply(Self.command("T-old-1", .feedback(rating: 5, comment: ""), by: .customer("C-1"), at: 40)).rejection == nil)
        // A ticket without its history is refused and changes nothing.
        var bare = resolved
        bare.id = "T-bare"
        bare.idempotencyKey = nil
        bare.history = []
        let before = machine.snapshot()
        #expect(machine.apply(.importTicket(bare)).rejection?.code == TicketLogRejection.invalidCreate)
        #expect(machine.snapshot() == before)
    }

    @Test("a command decided on a copy with another event count is refused as stale_view and changes nothing; the count survives the codec")
    func staleView() throws {
        var machine = TicketShardMachine()
        try Self.replay([try Self.create("T1")], on: &machine)
        let events = try #require(machine.ticket("T1")).history.count
        func comment(_ basedOn: Int?) -> TicketLogEntry {
            .command(TicketLogCommand(ticketID: "T1", command: .comment(text: "hi", internal: false), actor: .supervisor("s"),
                                      at: Self.t0.addingTimeInterval(5), policyVersion: 0, basedOnEvents: basedOn))
        }
        let before = machine.snapshot()
        let stale = try Self.replay([comment(events - 1)], on: &machine)
        #expect(stale.first?.rejection?.code == TicketLogRejection.staleView)
        #expect(machine.snapshot() == before)
        #expect(try Self.replay([comment(events)], on: &machine).first?.rejection == nil)
        #expect(try Self.replay([comment(nil)], on: &machine).first?.rejection == nil)
        // Round trips with and without the count; entries written before it existed still decode.
        for entry in [comment(7), comment(nil)] {
            #expect(try TicketShardMachine.decode(TicketShardMachine.encode(entry)) == entry)
        }
    }

    @Test("routing decisions are fenced by epoch: a stale offer or lapse is refused and changes nothing")
    func epochFence() throws {
        var machine = TicketShardMachine()
        try Self.replay([try Self.create("T1")], on: &machine)
        let offer = TicketCommand.offer(agentID: "ana", expiresAt: Self.t0.addingTimeInterval(60), why: [:])
        #expect(machine.apply(Self.command("T1", offer, at: 1, epoch: 0)).rejection == nil)
        let offered = machine.snapshot()
        // A second engine decision made on the same (now stale) view loses.
        let raced = TicketCommand.offer(agentID: "bo", expiresAt: Self.t0.addingTimeInterval(60), why: [:])
        #expect(machine.apply(Self.command("T1", raced, at: 2, epoch: 0)).rejection?.code == TicketLogRejection.staleEpoch)
        #expect(machine.snapshot() == offered)
        #expect(machine.ticket("T1")?.offer?.agentID == "ana")
        // Domain refusals keep the domain's code and leave the state as it was.
        let refusal = machine.apply(Self.command("T1", .resolve(note: "x"), by: .agent("bo"), at: 3))
        #expect(refusal.rejection != nil)
        #expect(machine.snapshot() == offered)
        #expect(machine.apply(Self.command("nope", .startWork, at: 3)).rejection?.code == TicketLogRejection.unknownTicket)
    }

    @Test("commands apply under the shard's policy version only; policies only move forward")
    func policyVersions() throws {
        var machine = TicketShardMachine()
        try Self.replay([try Self.create("T1")], on: &machine)
        var strict = DomainPolicy.defaults
        strict.maxDeliveryAttempts = 1
        #expect(machine.apply(.setPolicy(version: 1, policy: strict)) == .policySet(version: 1))
        #expect(machine.apply(.setPolicy(version: 1, policy: .defaults)).rejection?.code == TicketLogRejection.stalePolicy)
        let offer = TicketCommand.offer(agentID: "ana", expiresAt: Self.t0.addingTimeInterval(60), why: [:])
        #expect(machine.apply(Self.command("T1", offer, at: 1, policy: 0)).rejection?.code == TicketLogRejection.policyChanged)
        #expect(machine.apply(Self.command("T1", offer, at: 1, policy: 1)).rejection == nil)
        #expect(machine.policy.maxDeliveryAttempts == 1)
    }

    @Test("replicas adopt the proposer's urgency and SLA clock instead of recomputing them")
    func derivedValues() throws {
        var machine = TicketShardMachine()
        try Self.replay([try Self.create("T1")], on: &machine)
        var sla = try #require(machine.ticket("T1")).sla
        sla.firstResponseDue = Self.t0.addingTimeInterval(1234)
        let entry = TicketLogEntry.command(TicketLogCommand(ticketID: "T1", command: .comment(text: "note", internal: true), actor: .supervisor("sue"),
                                                            at: Self.t0.addingTimeInterval(5), policyVersion: 0,
                                                            derived: TicketDerived(urgency: .red, sla: sla)))
        try Self.replay([entry], on: &machine)
        #expect(machine.ticket("T1")?.urgency == .red)
        #expect(machine.ticket("T1")?.sla.firstResponseDue == Self.t0.addingTimeInterval(1234))
    }

    @Test("an entry of an unknown format version, an unknown tag or a bad body does not decode, and nothing traps")
    func versionedEntries() throws {
        let bytes = TicketShardMachine.encode(try Self.create("T1"))
        #expect(bytes[0] == TicketLogEntry.formatVersion)
        var future = bytes
        future[0] = TicketLogEntry.formatVersion + 1
        #expect(throws: ShardCodecError.self) { try TicketShardMachine.decode(future) }
        do {
            _ = try TicketShardMachine.decode(future)
        } catch let error as ShardCodecError {
            #expect(error.code == "entry_version_unknown")
        }
        var tag = bytes
        tag[1] = 99
        #expect(throws: ShardCodecError.self) { try TicketShardMachine.decode(tag) }
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
            #expect(throws: (any Error).self) { try TicketShardMachine.decode(Array(bytes.prefix(length))) }
        }
    }

    @Test("seeded histories: replicas end byte-identical, and rows and snapshots rebuild the same machine", arguments: 0..<40)
    func replicasAgree(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed &* 0x9E37 &+ 11)
        var entries: [TicketLogEntry] = []
        var proposer = TicketShardMachine()
        let agents = ["ana", "bo", "cy"]
        for step in 0..<120 {
            let at = Double(step) * 7 + Double(random.next() % 5)
            let ids = proposer.tickets.keys.sorted()
            let entry: TicketLogEntry
            if ids.isEmpty || random.next() % 4 == 0 {
                let key = random.next() % 3 == 0 ? "k\(random.next() % 6)" : nil
                entry = try Self.create("T\(step)", key: key, at: Self.t0.addingTimeInterval(at),
                                        draft: Self.draft(customer: "C-\(random.next() % 4)", tier: random.next() % 2 == 0 ? .vip : .standard))
            } else {
                let id = ids[Int(random.next() % UInt64(ids.count))]
                let ticket = proposer.tickets[id]!
                let agent = agents[Int(random.next() % 3)]
                let options: [TicketCommand] = [
                    .offer(agentID: agent, expiresAt: Self.t0.addingTimeInterval(at + 30), why: ["step": "\(step)"]),
                    .acceptOffer(agentID: ticket.offer?.agentID ?? agent), .rejectOffer(agentID: ticket.offer?.agentID ?? agent),
                    .offerExpired, .startWork, .comment(text: "c\(step)", internal: step % 2 == 0),
                    .requestCustomerInfo(question: "q"), .customerReply(text: "r"), .escalate(reason: "hard"),
                    .resolve(note: "done"), .close, .reopen(reason: "again"), .cancel(reason: "dup"),
                    .overrideUrgency(random.next() % 2 == 0 ? .red : nil), .leaseExpired(epoch: ticket.epoch),
                    .feedback(rating: Int(random.next() % 5) + 1, comment: "ok"), .slaCheck,
                ]
                let command = options[Int(random.next() % UInt64(options.count))]
                let actor: TicketActor = switch command {
                case .acceptOffer, .rejectOffer, .startWork, .requestCustomerInfo, .resolve: .agent(ticket.assignedAgentID ?? ticket.offer?.agentID ?? agent)
                case .customerReply, .feedback: .customer(ticket.customer.id)
                case .escalate, .overrideUrgency, .cancel, .close, .reopen: .supervisor("sue")
                default: .system
                }
                let fence: UInt64? = random.next() % 3 == 0 ? ticket.epoch &+ random.next() % 2 : nil
                entry = .command(TicketLogCommand(ticketID: id, command: command, actor: actor, at: Self.t0.addingTimeInterval(at),
                                                  policyVersion: 0, expectedEpoch: fence))
            }
            _ = proposer.apply(entry)
            entries.append(entry)
        }
        var replica = TicketShardMachine()
        try Self.replay(entries, on: &replica)
        #expect(replica.snapshot() == proposer.snapshot())
        #expect(replica.tickets == proposer.tickets)

        let fromSnapshot = try TicketShardMachine(snapshot: proposer.snapshot())
        #expect(fromSnapshot.snapshot() == proposer.snapshot())
        let stored = proposer.allRows().compactMap(TicketShardMachine.storedRow).map { row -> (id: String, record: [UInt8]) in
            guard case let .put(id, record) = row else { preconditionFailure("only puts") }
            return (id, record)
        }
        let fromRows = try TicketShardMachine(rows: stored)
        #expect(fromRows.snapshot() == proposer.snapshot())
        #expect(fromRows.idempotencyKeys == proposer.idempotencyKeys)
    }

    @Test("terminal tickets leave memory a retention after their last change, with their keys; restored replicas evict at the same entry")
    func terminalTicketsLeaveMemoryAfterTheRetention() throws {
        let day = 86_400.0
        var machine = TicketShardMachine()
        // The KPI window, and never less than a day past the policy's reopen window.
        let retention = machine.effectiveTerminalRetention
        #expect(retention >= TicketShardMachine.terminalRetention && retention >= machine.policy.reopenWindow + day)
        try Self.replay([
            try Self.create("T1", key: "k-1"),
            try Self.create("T2", key: "k-2"),
            try Self.create("T3", key: "k-3"),
            Self.command("T1", .cancel(reason: "duplicate"), by: .supervisor("sam"), at: 60),
            Self.command("T2", .cancel(reason: "spam"), by: .supervisor("sam"), at: 2 * day),
        ], on: &machine)
        #expect(machine.evicted.isEmpty)
        // A copy restored from the rows and one from a snapshot, as a restarted or new replica has.
        let rows = machine.allRows().compactMap(TicketShardMachine.storedRow).compactMap { row -> (id: String, record: [UInt8])? in
            if case let .put(id, record) = row { return (id, record) }
            return nil
        }
        var fromRows = try TicketShardMachine(rows: rows)
        var fromSnapshot = try TicketShardMachine(snapshot: machine.snapshot())
        // One second short of T1's retention nothing leaves; at it T1 leaves with its key, T2
        // (cancelled two days later) and the open T3 stay.
        let early = Self.command("T3", .comment(text: "still here", internal: true), by: .supervisor("sam"), at: 60 + retention - 1)
        let onTime = Self.command("T3", .comment(text: "a week on", internal: true), by: .supervisor("sam"), at: 60 + retention + 1)
        for replica in [0, 1, 2] {
            var copy = replica == 0 ? machine : replica == 1 ? fromRows : fromSnapshot
            try Self.replay([early], on: &copy)
            #expect(copy.evicted.isEmpty)
            try Self.replay([onTime], on: &copy)
            #expect(copy.evicted == ["T1"])
            #expect(copy.ticket("T1") == nil && copy.ticket("T2") != nil && copy.ticket("T3") != nil)
            #expect(copy.idempotencyKeys["k-1"] == nil && copy.idempotencyKeys["k-2"] == "T2")
            #expect(copy.rows(touchedBy: onTime).contains(.evicted("T1")))
            #expect(TicketShardMachine.storedRow(.evicted("T1")) == .delete(id: "T1"))
            if replica == 0 { machine = copy } else if replica == 1 { fromRows = copy } else { fromSnapshot = copy }
        }
        #expect(fromRows.digest == machine.digest && fromSnapshot.digest == machine.digest)
        #expect(fromRows.snapshot() == machine.snapshot() && fromSnapshot.snapshot() == machine.snapshot())
        // The key expired with its ticket: the same key now makes a new ticket.
        let again = try Self.create("T4", key: "k-1", at: Self.t0.addingTimeInterval(60 + retention + 2))
        guard case .created(let created) = machine.apply(again) else { Issue.record("the expired key still deduplicated"); return }
        #expect(created.id == "T4")
    }

    @Test("rows that contradict themselves are refused when loading")
    func badRows() throws {
        var machine = TicketShardMachine()
        try Self.replay([try Self.create("T1", key: "k")], on: &machine)
        let record = TicketShardMachine.record(of: .ticket(machine.ticket("T1")!))
        #expect(throws: (any Error).self) { try TicketShardMachine(rows: [(id: "T2", record: record)]) }
        #expect(throws: (any Error).self) { try TicketShardMachine(rows: [(id: "T1", record: record), (id: "T1", record: record)]) }
        #expect(throws: (any Error).self) { try TicketShardMachine(rows: [(id: "T1", record: [9] + record.dropFirst())]) }
        #expect(throws: (any Error).self) { try TicketShardMachine(snapshot: [0x52, 0x44, 0x54, 0x01, 0x7B]) }
    }
}
