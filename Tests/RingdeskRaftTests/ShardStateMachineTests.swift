import RingdeskShard
import RingdeskTestSupport
import Testing

/// The shard state machine on hand-made cases: every rule, the codec and the snapshot.
@Suite("Shard state machine")
struct ShardStateMachineTests {
    static func machine(with ids: [String] = ["t1"]) -> ShardStateMachine {
        var machine = ShardStateMachine()
        for id in ids { _ = machine.apply(.create(ticketID: id, idempotencyKey: "key-\(id)", payload: [1, 2, 3], at: 1_000)) }
        return machine
    }

    // MARK: Create

    @Test("a create makes a queued ticket at epoch 0; the same idempotency key returns the first ticket")
    func createAndDuplicate() {
        var machine = ShardStateMachine()
        #expect(machine.apply(.create(ticketID: "t1", idempotencyKey: "k", payload: [9], at: 5)) == .created(ticketID: "t1"))
        let digest = machine.digest
        #expect(machine.apply(.create(ticketID: "t2", idempotencyKey: "k", payload: [8], at: 6)) == .duplicate(ticketID: "t1"))
        #expect(machine.tickets.count == 1)
        #expect(machine.digest == digest)
        let ticket = machine.ticket("t1")
        #expect(ticket?.status == .queued)
        #expect(ticket?.epoch == 0)
        #expect(ticket?.payload == [9])
        #expect(ticket?.createdAt == 5)
        #expect(machine.idempotencyKeys == ["k": "t1"])
    }

    @Test("a second create with a used ticket id is refused; creates without a key never deduplicate")
    func duplicateTicketID() {
        var machine = ShardStateMachine()
        #expect(machine.apply(.create(ticketID: "t1", idempotencyKey: nil, payload: [], at: 1)) == .created(ticketID: "t1"))
        #expect(machine.apply(.create(ticketID: "t1", idempotencyKey: "k", payload: [], at: 2)) == .rejected(code: "duplicate_ticket_id"))
        #expect(machine.idempotencyKeys.isEmpty)
        #expect(machine.apply(.create(ticketID: "t2", idempotencyKey: nil, payload: [], at: 3)) == .created(ticketID: "t2"))
        #expect(machine.tickets.count == 2)
    }

    // MARK: Claims

    @Test("a claim at the current epoch of a queued ticket wins; a second claim at the same epoch loses")
    func claimIsFencedCompareAndSet() {
        var machine = Self.machine()
        #expect(machine.apply(.claim(ticketID: "t1", agent: "ana", expectedEpoch: 0, leaseUntil: 100)) == .claimed(epoch: 1))
        #expect(machine.apply(.claim(ticketID: "t1", agent: "bo", expectedEpoch: 0, leaseUntil: 100)) == .rejected(code: "stale_epoch"))
        #expect(machine.apply(.claim(ticketID: "t1", agent: "bo", expectedEpoch: 1, leaseUntil: 100)) == .rejected(code: "not_queued"))
        let ticket = machine.ticket("t1")!
        #expect(ticket.status == .assigned)
        #expect(ticket.holder == "ana")
        #expect(ticket.epoch == 1)
        #expect(ticket.leaseUntil == 100)
        #expect(machine.apply(.claim(ticketID: "nope", agent: "bo", expectedEpoch: 0, leaseUntil: 1)) == .rejected(code: "unknown_ticket"))
    }

    @Test("only the holder renews, at the current epoch, and a lease never shrinks")
    func renew() {
        var machine = Self.machine()
        _ = machine.apply(.claim(ticketID: "t1", agent: "ana", expectedEpoch: 0, leaseUntil: 100))
        #expect(machine.apply(.renew(ticketID: "t1", agent: "ana", epoch: 1, leaseUntil: 200)) == .renewed(epoch: 1, leaseUntil: 200))
        #expect(machine.apply(.renew(ticketID: "t1", agent: "ana", epoch: 1, leaseUntil: 150)) == .renewed(epoch: 1, leaseUntil: 200))
        #expect(machine.apply(.renew(ticketID: "t1", agent: "bo", epoch: 1, leaseUntil: 300)) == .rejected(code: "not_holder"))
        #expect(machine.apply(.renew(ticketID: "t1", agent: "ana", epoch: 0, leaseUntil: 300)) == .rejected(code: "stale_epoch"))
        #expect(machine.ticket("t1")?.leaseUntil == 200)
        var queued = Self.machine()
        #expect(queued.apply(.renew(ticketID: "t1", agent: "ana", epoch: 0, leaseUntil: 300)) == .rejected(code: "not_holder"))
    }

    @Test("a lapsed lease expires back to queued at the next epoch; an unexpired one does not")
    func expire() {
        var machine = Self.machine()
        _ = machine.apply(.claim(ticketID: "t1", agent: "ana", expectedEpoch: 0, leaseUntil: 100))
        #expect(machine.apply(.expire(ticketID: "t1", epoch: 1, now: 99)) == .rejected(code: "lease_not_expired"))
        #expect(machine.apply(.expire(ticketID: "t1", epoch: 0, now: 500)) == .rejected(code: "stale_epoch"))
        #expect(machine.apply(.expire(ticketID: "t1", epoch: 1, now: 100)) == .expired(epoch: 2))
        let ticket = machine.ticket("t1")!
        #expect(ticket.status == .queued && ticket.holder == nil && ticket.epoch == 2 && ticket.leaseUntil == 0)
        // The old holder is fenced off; a new claim must name the new epoch.
        #expect(machine.apply(.renew(ticketID: "t1", agent: "ana", epoch: 1, leaseUntil: 900)) == .rejected(code: "stale_epoch"))
        #expect(machine.apply(.expire(ticketID: "t1", epoch: 2, now: 900)) == .rejected(code: "invalid_transition"))
        #expect(machine.apply(.claim(ticketID: "t1", agent: "bo", expectedEpoch: 2, leaseUntil: 900)) == .claimed(epoch: 3))
    }

    @Test("requeue gives an assigned ticket back at the next epoch, and nothing else")
    func requeue() {
        var machine = Self.machine()
        #expect(machine.apply(.requeue(ticketID: "t1", epoch: 0)) == .rejected(code: "invalid_transition"))
        _ = machine.apply(.claim(ticketID: "t1", agent: "ana", expectedEpoch: 0, leaseUntil: 100))
        #expect(machine.apply(.requeue(ticketID: "t1", epoch: 0)) == .rejected(code: "stale_epoch"))
        #expect(machine.apply(.requeue(ticketID: "t1", epoch: 1)) == .requeued(epoch: 2))
        #expect(machine.ticket("t1")?.status == .queued)
        #expect(machine.ticket("t1")?.holder == nil)
    }

    @Test("lifecycle events follow the transition table and bump the epoch")
    func events() {
        var machine = Self.machine()
        #expect(machine.apply(.event(ticketID: "t1", epoch: 0, kind: .resolve)) == .rejected(code: "invalid_transition"))
        #expect(machine.apply(.event(ticketID: "t1", epoch: 0, kind: .escalate)) == .updated(status: .queued, epoch: 1))
        #expect(machine.ticket("t1")?.escalations == 1)
        _ = machine.apply(.claim(ticketID: "t1", agent: "ana", expectedEpoch: 1, leaseUntil: 100))
        #expect(machine.apply(.event(ticketID: "t1", epoch: 1, kind: .resolve)) == .rejected(code: "stale_epoch"))
        #expect(machine.apply(.event(ticketID: "t1", epoch: 2, kind: .close)) == .rejected(code: "invalid_transition"))
        #expect(machine.apply(.event(ticketID: "t1", epoch: 2, kind: .resolve)) == .updated(status: .resolved, epoch: 3))
        #expect(machine.ticket("t1")?.holder == nil)
        #expect(machine.apply(.event(ticketID: "t1", epoch: 3, kind: .close)) == .updated(status: .closed, epoch: 4))
        #expect(machine.apply(.event(ticketID: "t1", epoch: 4, kind: .reopen)) == .updated(status: .queued, epoch: 5))
        #expect(machine.ticket("t1")?.reopens == 1)
        #expect(machine.apply(.event(ticketID: "t1", epoch: 5, kind: .cancel)) == .updated(status: .closed, epoch: 6))
        #expect(machine.apply(.event(ticketID: "x", epoch: 0, kind: .cancel)) == .rejected(code: "unknown_ticket"))
        // The table itself.
        #expect(ShardStateMachine.transition(from: .assigned, .escalate) == .queued)
        #expect(ShardStateMachine.transition(from: .closed, .resolve) == nil)
        #expect(ShardStateMachine.transition(from: .resolved, .reopen) == .queued)
        #expect(ShardStateMachine.transition(from: .queued, .close) == nil)
    }

    @Test("a rejected command changes nothing, and the rows to write name what changed")
    func rejectionsAndRows() {
        var machine = Self.machine(with: ["t1", "t2"])
        let before = machine.snapshot()
        for command: ShardCommand in [
            .claim(ticketID: "t1", agent: "a", expectedEpoch: 7, leaseUntil: 1), .renew(ticketID: "t1", agent: "a", epoch: 0, leaseUntil: 1),
            .expire(ticketID: "t2", epoch: 0, now: 1), .requeue(ticketID: "t2", epoch: 0), .event(ticketID: "t1", epoch: 0, kind: .close),
        ] {
            #expect(machine.apply(command).isRejection)
        }
        #expect(machine.snapshot() == before)
        _ = machine.apply(.claim(ticketID: "t1", agent: "a", expectedEpoch: 0, leaseUntil: 1))
        #expect(machine.rows(touchedBy: .claim(ticketID: "t1", agent: "a", expectedEpoch: 0, leaseUntil: 1)) == [.ticket(machine.ticket("t1")!)])
        _ = machine.apply(.create(ticketID: "t3", idempotencyKey: "k3", payload: [], at: 1))
        let rows = machine.rows(touchedBy: .create(ticketID: "t3", idempotencyKey: "k3", payload: [], at: 1))
        #expect(rows == [.idempotencyKey(key: "k3", ticketID: "t3"), .ticket(machine.ticket("t3")!)])
        #expect(machine.allRows().count == 6)
    }

    @Test("epochs strictly increase and there is never more than one holder, over a random command stream")
    func invariantsUnderRandomCommands() {
        var random = SimRandom(seed: 7)
        var machine = Self.machine(with: ["a", "b", "c"])
        var lastEpoch: [String: UInt64] = ["a": 0, "b": 0, "c": 0]
        let agents = ["x", "y", "z"]
        for _ in 0..<5_000 {
            let id = ["a", "b", "c"][random.below(3)]
            let epoch = UInt64(max(0, Int(machine.ticket(id)!.epoch) - random.below(2)))
            let command: ShardCommand
            switch random.below(5) {
            case 0: command = .claim(ticketID: id, agent: agents[random.below(3)], expectedEpoch: epoch, leaseUntil: Int64(random.below(100)))
            case 1: command = .renew(ticketID: id, agent: agents[random.below(3)], epoch: epoch, leaseUntil: Int64(random.below(100)))
            case 2: command = .expire(ticketID: id, epoch: epoch, now: Int64(random.below(100)))
            case 3: command = .requeue(ticketID: id, epoch: epoch)
            default: command = .event(ticketID: id, epoch: epoch, kind: ShardEventKind.allCases[random.below(5)])
            }
            let before = machine.ticket(id)!
            let result = machine.apply(command)
            let after = machine.ticket(id)!
            #expect((after.status == .assigned) == (after.holder != nil))
            if result.isRejection || after.epoch == before.epoch {
                #expect(after.epoch == before.epoch)
                #expect(after.holder == before.holder)
            } else {
                #expect(after.epoch == before.epoch + 1)
            }
            #expect(after.epoch >= lastEpoch[id]!)
            lastEpoch[id] = after.epoch
        }
    }

    // MARK: Codec

    static let sampleCommands: [ShardCommand] = [
        .create(ticketID: "t-1", idempotencyKey: "order-42", payload: Array(0..<200).map { UInt8($0) }, at: 1_750_000_000_123),
        .create(ticketID: "ü-2", idempotencyKey: nil, payload: [], at: -5),
        .claim(ticketID: "t-1", agent: "ana", expectedEpoch: 0, leaseUntil: Int64.max),
        .renew(ticketID: "t-1", agent: "ana", epoch: UInt64.max, leaseUntil: Int64.min),
        .expire(ticketID: "t-1", epoch: 300, now: 0),
        .requeue(ticketID: "t-1", epoch: 127),
        .event(ticketID: "t-1", epoch: 128, kind: .escalate),
    ]

    @Test("every command survives an encode/decode round trip, bytes for bytes")
    func codecRoundTrip() throws {
        for command in Self.sampleCommands {
            let bytes = command.encoded
            let decoded = try ShardCommand(encoded: bytes)
            #expect(decoded == command)
            #expect(decoded.encoded == bytes)
        }
    }

    @Test("truncations, trailing bytes, bad tags, empty ids, bad UTF-8 and non-minimal varints are refused")
    func codecRejectsGarbage() {
        for command in Self.sampleCommands {
            let bytes = command.encoded
            for length in 0..<bytes.count {
                #expect(throws: ShardCodecError.self) { try ShardCommand(encoded: Array(bytes[0..<length])) }
            }
            #expect(throws: ShardCodecError.self) { try ShardCommand(encoded: bytes + [0]) }
        }
        #expect(throws: ShardCodecError.self) { try ShardCommand(encoded: [99]) }
        #expect(throws: ShardCodecError.self) { try ShardCommand(encoded: [5, 0, 1]) }  // empty ticket id
        #expect(throws: ShardCodecError.self) { try ShardCommand(encoded: [5, 1, 0xFF, 1]) }  // invalid UTF-8
        #expect(throws: ShardCodecError.self) { try ShardCommand(encoded: [5, 1, 0x61, 0x81, 0x00]) }  // non-minimal varint
        #expect(throws: ShardCodecError.self) { try ShardCommand(encoded: [5, 1, 0x61] + Array(repeating: 0xFF, count: 10) + [1]) }
        #expect(throws: ShardCodecError.self) { try ShardCommand(encoded: [6, 1, 0x61, 0, 9]) }  // unknown event kind
        #expect(throws: ShardCodecError.self) { try ShardCommand(encoded: [1, 0x80, 0x80, 0x80, 0x80, 0x08]) }  // huge length
    }

    @Test("seeded random mutations never trap, and whatever decodes re-encodes to the same bytes")
    func codecFuzz() {
        var random = SimRandom(seed: 0xC0DE)
        var decodedCount = 0
        var machine = Self.machine(with: ["a", "b"])
        _ = machine.apply(.claim(ticketID: "a", agent: "ana", expectedEpoch: 0, leaseUntil: 9))
        let snapshot = machine.snapshot()
        for round in 0..<20_000 {
            var bytes = round % 4 == 3 ? snapshot : Self.sampleCommands[round % Self.sampleCommands.count].encoded
            for _ in 0...random.below(4) {
                guard !bytes.isEmpty else { break }
                switch random.below(4) {
                case 0: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.remove(at: random.below(bytes.count))
                case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: random.below(bytes.count + 1))
                default: bytes[random.below(bytes.count)] ^= 1 << UInt8(random.below(8))
                }
            }
            if let command = try? ShardCommand(encoded: bytes) {
                decodedCount += 1
                #expect(command.encoded == bytes)
            }
            if let restored = try? ShardStateMachine(snapshot: bytes) {
                // Whatever decodes is canonical and self-consistent.
                #expect(restored.snapshot() == bytes)
            }
        }
        #expect(decodedCount > 0)
    }

    // MARK: Snapshot

    @Test("a snapshot round-trips to the same state, digest and bytes, whatever the insertion order")
    func snapshotRoundTrip() throws {
        var machine = Self.machine(with: ["b", "a", "c"])
        _ = machine.apply(.claim(ticketID: "a", agent: "ana", expectedEpoch: 0, leaseUntil: 77))
        _ = machine.apply(.event(ticketID: "c", epoch: 0, kind: .escalate))
        _ = machine.apply(.create(ticketID: "d", idempotencyKey: nil, payload: [0xFF], at: -1))
        let bytes = machine.snapshot()
        let restored = try ShardStateMachine(snapshot: bytes)
        #expect(restored.tickets == machine.tickets)
        #expect(restored.idempotencyKeys == machine.idempotencyKeys)
        #expect(restored.digest == machine.digest)
        #expect(restored.snapshot() == bytes)

        var other = ShardStateMachine()
        for id in ["c", "a", "b"] { _ = other.apply(.create(ticketID: id, idempotencyKey: "key-\(id)", payload: [1, 2, 3], at: 1_000)) }
        _ = other.apply(.event(ticketID: "c", epoch: 0, kind: .escalate))
        _ = other.apply(.claim(ticketID: "a", agent: "ana", expectedEpoch: 0, leaseUntil: 77))
        _ = other.apply(.create(ticketID: "d", idempotencyKey: nil, payload: [0xFF], at: -1))
        #expect(other.snapshot() == bytes)
        #expect(other.digest == machine.digest)
        _ = other.apply(.renew(ticketID: "a", agent: "ana", epoch: 1, leaseUntil: 78))
        #expect(other.digest != machine.digest)

        let empty = try ShardStateMachine(snapshot: ShardStateMachine().snapshot())
        #expect(empty.tickets.isEmpty)
    }

    @Test("an inconsistent or truncated snapshot is refused")
    func snapshotRejectsGarbage() {
        let bytes = Self.machine(with: ["a", "b"]).snapshot()
        for length in 0..<bytes.count {
            #expect(throws: ShardCodecError.self) { try ShardStateMachine(snapshot: Array(bytes[0..<length])) }
        }
        #expect(throws: ShardCodecError.self) { try ShardStateMachine(snapshot: bytes + [0]) }
        var badMagic = bytes
        badMagic[3] = 2
        #expect(throws: ShardCodecError.self) { try ShardStateMachine(snapshot: badMagic) }
        // Keys that name no ticket, and tickets whose key row is missing.
        let keyless = ShardStateMachine().snapshot().dropLast() + [1, 1, 0x6B, 1, 0x74]
        #expect(throws: ShardCodecError.self) { try ShardStateMachine(snapshot: Array(keyless)) }
        // One keyed ticket: its key section is count 1, "key-a" (1 + 5 bytes), "a" (1 + 1 bytes).
        let one = Self.machine(with: ["a"]).snapshot()
        #expect(throws: ShardCodecError.self) { try ShardStateMachine(snapshot: Array(one.dropLast(9)) + [0]) }
        #expect((try? ShardStateMachine(snapshot: one))?.tickets.count == 1)
    }

    @Test("the rows a store keeps rebuild the same state (keys included); rows that disagree are refused")
    func rebuildFromRows() throws {
        var machine = Self.machine(with: ["b", "a", "c"])
        _ = machine.apply(.claim(ticketID: "a", agent: "ana", expectedEpoch: 0, leaseUntil: 77))
        _ = machine.apply(.create(ticketID: "d", idempotencyKey: nil, payload: [0xFF], at: -1))
        // What a store holds: one record per ticket, in creation order.
        let rows = ["b", "a", "c", "d"].map { (id: $0, record: machine.tickets[$0]!.record) }
        let rebuilt = try ShardStateMachine(rows: rows)
        #expect(rebuilt.tickets == machine.tickets)
        #expect(rebuilt.idempotencyKeys == machine.idempotencyKeys)
        #expect(rebuilt.digest == machine.digest)
        #expect(rebuilt.snapshot() == machine.snapshot())
        #expect(try ShardStateMachine(rows: []).digest == ShardStateMachine().digest)

        #expect(throws: ShardCodecError.self) { try ShardStateMachine(rows: [(id: "a", record: Array(rows[1].record.dropLast()))]) }
        #expect(throws: ShardCodecError.self) { try ShardStateMachine(rows: [(id: "x", record: rows[1].record)]) }
        #expect(throws: ShardCodecError.self) { try ShardStateMachine(rows: [rows[1], rows[1]]) }
        let sameKey = ShardTicket(id: "e", idempotencyKey: "key-a", payload: [], createdAt: 0)
        #expect(throws: ShardCodecError.self) { try ShardStateMachine(rows: [rows[1], (id: "e", record: sameKey.record)]) }
    }
}
