import Foundation
import RingdeskDomain
import RingdeskPrimitives
import RingdeskRaft
import RingdeskShard
import Testing

/// The binary ticket codec under shard rows, snapshot images and log entries: round trips of
/// seeded random tickets, canonical bytes, a bounded decoder that refuses hostile input without
/// trapping, and format-1 (JSON) rows, entries and images that still load.
@Suite("Ticket codec")
struct TicketCodecTests {
    static let t0 = Date(timeIntervalSince1970: 1_780_000_000.125)

    /// A ticket with every field drawn from `random`: any status, optional fields present or not,
    /// every event kind and actor kind, odd text (empty, multi-byte, control characters), dates with
    /// sub-millisecond parts.
    static func randomTicket(_ random: inout SeededGenerator, status: TicketStatus? = nil) -> Ticket {
        func pick<T>(_ values: [T]) -> T { values[random.below(values.count)] }
        func maybe<T>(_ make: () -> T) -> T? { random.below(2) == 0 ? nil : make() }
        func date() -> Date { t0.addingTimeInterval(Double(random.below(10_000_000)) / 1_000 + random.unit() / 1e6) }
        func text() -> String { pick(["", "x", "Refund not received", "Straße 7 – ça va? 😀", "line\nbreak\ttab", String(repeating: "a", count: 300)]) }
        func ident() -> String { pick(["ana", "bo", "C-17", "t1.0", "O-9", "k:42", "follow-up:t3"]) }
        func details() -> [String: String] {
            var map: [String: String] = [:]
            for _ in 0..<random.below(5) { map[pick(["agent_id", "queue", "urgency", "tier", "epoch", "score", "é", "z"])] = text() }
            return map
        }
        let statuses = TicketStatus.allCases
        let history = (0..<random.below(12)).map { index in
            TicketEvent(seq: index + 1, at: date(), kind: pick(TicketEvent.Kind.allCases),
                        actor: TicketActor(kind: pick(TicketActor.Kind.allCases), id: ident()),
                        from: maybe { pick(statuses) }, to: pick(statuses), reason: maybe(text), details: details(),
                        isInternal: random.below(2) == 0)
        }
        let sla = SLAClock(startedAt: date(), firstResponseTarget: Double(random.below(100_000)), resolutionTarget: random.unit() * 1e6,
                           firstResponseDue: date(), resolutionDue: date(), pausedSince: maybe(date),
                           totalPaused: Double(random.below(5_000)) / 7, firstResponseBreached: random.below(2) == 0,
                           resolutionBreached: random.below(2) == 0)
        return Ticket(
            id: ident(), category: pick(TicketCategory.allCases), channel: pick(Channel.allCases),
            customer: CustomerContext(id: ident(), tier: pick(CustomerTier.allCases), orderID: maybe(ident),
                                      orderValue: maybe { Double(random.below(1_000_000)) / 100 }, language: pick(["en", "pt-BR", "de"]),
                                      region: pick(["eu-west", "us-east"]), deadline: maybe(date)),
            subject: text(), body: text(),
            requiredSkills: (0..<random.below(4)).map { _ in SkillRequirement(skill: pick(["refunds", "returns"]), minLevel: random.below(7) - 1) },
            preferredAgentID: maybe(ident), queue: pick(["returns", "billing", "supervisor_review"]),
            status: status ?? pick(statuses), urgency: pick(Urgency.allCases), urgencyOverridden: random.below(2) == 0,
            supportTier: pick(SupportTier.allCases), createdAt: date(), updatedAt: date(), firstResponseAt: maybe(date),
            resolvedAt: maybe(date), closedAt: maybe(date), assignedAgentID: maybe(ident), lastAgentID: maybe(ident),
            offer: maybe { Offer(agentID: ident(), offeredAt: date(), expiresAt: date()) }, epoch: random.next() >> UInt64(random.below(64)),
            deliveryAttempts: random.below(20) - 2, excludedAgentIDs: (0..<random.below(4)).map { _ in ident() },
            reopenCount: random.below(4), queuedAt: maybe(date), queuedAtHead: random.below(2) == 0, sla: sla, history: history,
            feedback: maybe { Feedback(rating: 1 + random.below(5), comment: text(), at: date()) }, followUpOf: maybe(ident),
            followUpTicketID: maybe(ident), idempotencyKey: maybe(ident))
    }

    /// Format 1 as builds before format 2 wrote it: canonical JSON, dates as reference-date seconds.
    static func jsonFormat1<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .deferredToDate
        return Array(try encoder.encode(value))
    }

    @Test("seeded random tickets of every status round-trip exactly, and re-encode to the same bytes", arguments: 0..<8)
    func roundTrip(seed: UInt64) throws {
        var random = SeededGenerator(seed: 0xC0DEC + seed)
        for index in 0..<250 {
            let ticket = Self.randomTicket(&random, status: TicketStatus.allCases[index % TicketStatus.allCases.count])
            let bytes = TicketCodec.encode(ticket)
            let decoded = try TicketCodec.decode(bytes)
            #expect(decoded == ticket)
            #expect(TicketCodec.encode(decoded) == bytes)
            // The same ticket through a row and an entry.
            let row = TicketShardMachine.record(of: .ticket(ticket))
            #expect(try TicketShardMachine.row(from: row) == .ticket(ticket))
            #expect(try TicketLogEntry(encoded: TicketLogEntry.create(ticket).encoded) == .create(ticket))
        }
    }

    @Test("canonical: equal tickets give equal bytes, whatever order their maps were built in or how their zero was signed")
    func canonical() throws {
        var random = SeededGenerator(seed: 99)
        for _ in 0..<200 {
            let ticket = Self.randomTicket(&random)
            var rebuilt = ticket
            rebuilt.history = ticket.history.map { event in
                var copy = event
                copy.details = [:]
                for key in event.details.keys.sorted().reversed() { copy.details[key] = event.details[key] }
                return copy
            }
            #expect(rebuilt == ticket)
            #expect(TicketCodec.encode(rebuilt) == TicketCodec.encode(ticket))
            // A ticket that went through the old JSON form is the same ticket, hence the same bytes.
            let viaJSON = try JSONDecoder().decode(Ticket.self, from: Data(try Self.jsonFormat1(ticket)))
            #expect(TicketCodec.encode(viaJSON) == TicketCodec.encode(ticket))
        }
        var zero = Self.randomTicket(&random)
        zero.customer.orderValue = 0
        var negativeZero = zero
        negativeZero.customer.orderValue = -0.0
        #expect(zero == negativeZero)
        #expect(TicketCodec.encode(zero) == TicketCodec.encode(negativeZero))
    }

    @Test("every truncation of a ticket, a row, an entry and an image throws")
    func truncated() throws {
        var random = SeededGenerator(seed: 7)
        var machine = TicketShardMachine()
        for index in 0..<6 {
            var ticket = Self.randomTicket(&random, status: .queued)
            ticket.id = "t\(index)"
            ticket.idempotencyKey = nil
            ticket.history = [TicketEvent(seq: 1, at: Self.t0, kind: .created, actor: .system, from: nil, to: .new, isInternal: false)] + ticket.history
            #expect(machine.apply(.create(ticket)).rejection == nil)
        }
        let ticket = try #require(machine.ticket("t3"))
        let inputs: [(String, [UInt8], ([UInt8]) throws -> Void)] = [
            ("ticket", TicketCodec.encode(ticket), { _ = try TicketCodec.decode($0) }),
            ("row", TicketShardMachine.record(of: .ticket(ticket)), { _ = try TicketShardMachine.row(from: $0) }),
            ("entry", TicketLogEntry.create(ticket).encoded, { _ = try TicketLogEntry(encoded: $0) }),
            ("image", machine.snapshot(), { _ = try TicketShardMachine(snapshot: $0) }),
        ]
        for (name, bytes, decode) in inputs {
            try decode(bytes)
            for length in 0..<bytes.count {
                #expect(throws: (any Error).self, "\(name) cut at \(length)") { try decode(Array(bytes.prefix(length))) }
            }
            #expect(throws: (any Error).self, "\(name) with a trailing byte") { try decode(bytes + [0]) }
        }
    }

    /// Decoding hostile bytes either throws or yields a value whose encoding is exactly those bytes
    /// (the reader accepts canonical input only), and never traps or allocates beyond the input.
    @Test("a seeded fuzz loop of garbled and random bytes: throws or decodes canonically, never traps", arguments: 0..<4)
    func fuzz(seed: UInt64) throws {
        var random = SeededGenerator(seed: 0xF022 &+ seed)
        var decodedTickets = 0, decodedEntries = 0
        var commands: [TicketLogEntry] = []
        for step in 0..<40 {
            let ticket = Self.randomTicket(&random)
            commands.append(.create(ticket))
            commands.append(.command(TicketLogCommand(
                ticketID: ticket.id, command: [TicketCommand.offer(agentID: "ana", expiresAt: Self.t0, why: ["score": "1"]), .slaCheck,
                                               .transfer(queue: "billing", requiredSkills: step % 2 == 0 ? nil : ticket.requiredSkills, reason: "r"),
                                               .overrideUrgency(step % 3 == 0 ? nil : .red), .feedback(rating: 2, comment: "slow")][step % 5],
                actor: .agent("ana"), at: Self.t0, policyVersion: UInt64(step), expectedEpoch: step % 2 == 0 ? nil : UInt64(step),
                derived: step % 3 == 0 ? TicketDerived(of: ticket) : nil)))
        }
        commands.append(.setPolicy(version: 3, policy: .defaults))
        for round in 0..<2_500 {
            let source = commands[random.below(commands.count)]
            var bytes = source.encoded
            switch round % 4 {
            case 0:
                // Flip 1–4 bytes.
                for _ in 0...random.below(4) { bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next()) }
            case 1:
                // Cut, then append noise.
                bytes = Array(bytes.prefix(random.below(bytes.count + 1)))
                bytes += (0..<random.below(8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            case 2:
                // Huge counts and lengths where a varint stands.
                let at = 2 + random.below(max(1, bytes.count - 2))
                if at < bytes.count { bytes.replaceSubrange(at..<min(bytes.count, at + 1), with: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) }
            default:
                // Pure noise behind a valid version and tag.
                bytes = [TicketLogEntry.formatVersion, UInt8(1 + random.below(3))] + (0..<random.below(200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
            if let entry = try? TicketLogEntry(encoded: bytes), bytes[0] == TicketLogEntry.formatVersion {
                decodedEntries += 1
                if case .setPolicy = entry { continue }   // the policy's JSON is not byte-canonical on input
                #expect(entry.encoded == bytes, "a garbled entry decoded to something that encodes differently")
            }
            let body = Array(bytes.dropFirst(2))
            if let ticket = try? TicketCodec.decode(body) {
                decodedTickets += 1
                #expect(TicketCodec.encode(ticket) == body)
            }
            _ = try? TicketShardMachine(snapshot: [0x52, 0x44, 0x54, 0x02] + body)
            _ = try? TicketShardMachine.row(from: [TicketShardMachine.recordVersion, 1] + body)
        }
        // Some garbling (a changed letter in a text) leaves valid input: the loop saw both kinds.
        #expect(decodedEntries > 0)
    }

    @Test("format-1 (JSON) rows, entries and images written before the upgrade still load")
    func format1StillLoads() throws {
        var random = SeededGenerator(seed: 5)
        var machine = TicketShardMachine()
        var strict = DomainPolicy.defaults
        strict.maxDeliveryAttempts = 2
        #expect(machine.apply(.setPolicy(version: 1, policy: strict)) == .policySet(version: 1))
        var rowsFormat1: [(id: String, record: [UInt8])] = []
        for index in 0..<5 {
            var ticket = Self.randomTicket(&random, status: .queued)
            ticket.id = "t\(index)"
            ticket.idempotencyKey = "k\(index)"
            ticket.history = [TicketEvent(seq: 1, at: Self.t0, kind: .created, actor: .system, from: nil, to: .new, isInternal: false)] + ticket.history
            // A format-1 entry replays as the same entry.
            let entryFormat1: [UInt8] = [1, 2] + (try Self.jsonFormat1(ticket))
            let entry = try TicketLogEntry(encoded: entryFormat1)
            #expect(entry == .create(ticket))
            #expect(machine.apply(entry).rejection == nil)
            rowsFormat1.append((ticket.id, [1, 1] + (try Self.jsonFormat1(ticket))))
        }
        struct PolicyRecord: Encodable { var version: UInt64; var policy: DomainPolicy }
        rowsFormat1.append((TicketShardMachine.policyRowID, [1, 2] + (try Self.jsonFormat1(PolicyRecord(version: 1, policy: strict)))))
        let loaded = try TicketShardMachine(rows: rowsFormat1)
        #expect(loaded.snapshot() == machine.snapshot())
        #expect(loaded.digest == machine.digest)
        #expect(loaded.idempotencyKeys == machine.idempotencyKeys)
        #expect(loaded.policyVersion == 1 && loaded.policy == strict)
        // Mixed: some rows rewritten in format 2 after a change, the rest still in format 1.
        var mixed = rowsFormat1
        mixed[2] = ("t2", TicketShardMachine.record(of: .ticket(machine.ticket("t2")!)))
        #expect(try TicketShardMachine(rows: mixed).snapshot() == machine.snapshot())
        // A format-1 image (from a leader still on the old build) installs.
        struct ImageFormat1: Encodable { var policyVersion: UInt64; var policy: DomainPolicy; var tickets: [Ticket] }
        let image: [UInt8] = [0x52, 0x44, 0x54, 0x01] + (try Self.jsonFormat1(ImageFormat1(
            policyVersion: 1, policy: strict, tickets: machine.tickets.keys.sorted().map { machine.ticket($0)! })))
        #expect(try TicketShardMachine(snapshot: image).snapshot() == machine.snapshot())
        // A format-1 command and policy entry too.
        let command = TicketLogCommand(ticketID: "t1", command: .offer(agentID: "ana", expiresAt: Self.t0.addingTimeInterval(60), why: ["score": "3"]),
                                       actor: .system, at: Self.t0, policyVersion: 1, expectedEpoch: 0)
        #expect(try TicketLogEntry(encoded: [1, 3] + (try Self.jsonFormat1(command))) == .command(command))
        struct PolicyBody: Encodable { var version: UInt64; var policy: DomainPolicy }
        #expect(try TicketLogEntry(encoded: [1, 1] + (try Self.jsonFormat1(PolicyBody(version: 4, policy: strict)))) == .setPolicy(version: 4, policy: strict))
        // A format this build does not know is refused by name, never guessed.
        var future = TicketLogEntry.create(machine.ticket("t1")!).encoded
        future[0] = TicketLogEntry.formatVersion + 1
        #expect(throws: ShardCodecError(code: "entry_version_unknown",
                                        message: "ticket log entry format 3; this build reads formats 1...2")) { try TicketLogEntry(encoded: future) }
        var futureRow = TicketShardMachine.record(of: .ticket(machine.ticket("t1")!))
        futureRow[0] = 3
        #expect(throws: ShardCodecError.self) { try TicketShardMachine.row(from: futureRow) }
    }

    @Test("binary images are much smaller than the JSON ones and rebuild the same machine")
    func imageSize() throws {
        var random = SeededGenerator(seed: 11)
        var machine = TicketShardMachine()
        for index in 0..<50 {
            var ticket = Self.randomTicket(&random, status: .new)
            ticket.id = "t\(index)"
            ticket.idempotencyKey = nil
            ticket.history = [TicketEvent(seq: 1, at: Self.t0, kind: .created, actor: .system, from: nil, to: .new, isInternal: false)] + ticket.history
            #expect(machine.apply(.create(ticket)).rejection == nil)
        }
        let image = machine.snapshot()
        #expect(try TicketShardMachine(snapshot: image).snapshot() == image)
        let json = try Self.jsonFormat1(machine.tickets.keys.sorted().map { machine.ticket($0)! })
        #expect(image.count * 2 < json.count, "binary \(image.count) bytes, JSON \(json.count)")
    }
}
