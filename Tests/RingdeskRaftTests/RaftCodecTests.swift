import RingdeskTestSupport
import Testing
@testable import RingdeskRaft

@Suite("CRC32C")
struct CRC32CTests {
    @Test("known vectors (RFC 3720 B.4 and the check value)")
    func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
    }

    @Test("the sliced path, the byte path, seeds and integers agree")
    func pathsAgree() {
        var random = SimRandom(seed: 7)
        for length in 0..<100 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let contiguous = CRC32C.checksum(bytes)
            // A lazy sequence has no contiguous storage: the byte-at-a-time loop runs.
            #expect(CRC32C.checksum(bytes.lazy.map { $0 }) == contiguous)
            let cut = length / 3
            #expect(CRC32C.checksum(bytes[cut...], seed: CRC32C.checksum(bytes[..<cut])) == contiguous)
        }
        let value: UInt64 = 0x0102_0304_0506_0708
        #expect(CRC32C.checksum(bigEndian: value, seed: 5) == CRC32C.checksum([1, 2, 3, 4, 5, 6, 7, 8], seed: 5))
    }
}

@Suite("Raft codec")
struct RaftCodecTests {
    static func randomValue(_ random: inout SimRandom) -> UInt64 {
        // Mostly small (the common case), sometimes huge, sometimes zero: exercises every varint width.
        switch random.below(4) {
        case 0: 0
        case 1: UInt64(random.below(200))
        case 2: random.next() >> UInt64(random.below(64))
        default: random.next()
        }
    }

    static func randomBytes(_ random: inout SimRandom, max: Int) -> [UInt8] {
        (0..<random.below(max + 1)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    static func randomMembers(_ random: inout SimRandom) -> [RaftNodeID] {
        (0..<random.below(6)).map { _ in randomValue(&random) }
    }

    static func randomMessage(kind: RaftMessageKind, _ random: inout SimRandom) -> RaftMessage {
        var message = RaftMessage(kind: kind, from: randomValue(&random), to: randomValue(&random), term: randomValue(&random),
                                  logTerm: randomValue(&random), index: randomValue(&random), commit: randomValue(&random),
                                  reject: random.below(2) == 0, rejectHint: randomValue(&random), context: randomValue(&random))
        if random.below(3) > 0 {
            let first = randomValue(&random) >> 1
            message.entries = (0..<UInt64(random.below(5))).map { offset in
                RaftEntry(term: randomValue(&random), index: first &+ offset,
                          kind: random.below(2) == 0 ? .normal : .configChange, data: randomBytes(&random, max: 40))
            }
        }
        if random.below(3) == 0 {
            let conf = RaftConfState(voters: randomMembers(&random), learners: randomMembers(&random))
            message.snapshot = RaftSnapshot(metadata: RaftSnapshotMetadata(index: randomValue(&random), term: randomValue(&random), conf: conf),
                                            data: randomBytes(&random, max: 100))
        }
        return message
    }

    /// A batch between one node pair, as the replication loop builds them, with a few odd envelopes.
    static func randomBatch(_ random: inout SimRandom, count: Int) -> [RaftEnvelope] {
        let from = randomValue(&random), to = randomValue(&random)
        return (0..<count).map { _ in
            let kind = RaftMessageKind.allCases[random.below(RaftMessageKind.allCases.count)]
            var message = randomMessage(kind: kind, &random)
            if random.below(5) > 0 {
                message.from = from
                message.to = to
            }
            let group = random.below(4) == 0 ? UInt32(truncatingIfNeeded: random.next()) : UInt32(random.below(64))
            return RaftEnvelope(group: group, message: message)
        }
    }

    static func heartbeats(groups: Int, term: UInt64, commit: UInt64) -> [RaftEnvelope] {
        (0..<groups).map { group in
            RaftEnvelope(group: UInt32(group), message: RaftMessage(kind: .heartbeat, from: 1, to: 2, term: term,
                                                                    commit: commit + UInt64(group), context: 3))
        }
    }

    @Test("every message kind with random contents round-trips, and re-encodes to the same bytes")
    func roundTripEveryKind() throws {
        var random = SimRandom(seed: 42)
        for kind in RaftMessageKind.allCases {
            for _ in 0..<50 {
                let batch = [RaftEnvelope(group: UInt32(random.below(64)), message: Self.randomMessage(kind: kind, &random))]
                let bytes = RaftCodec.encode(batch)
                let decoded = try RaftCodec.decode(bytes)
                #expect(decoded == batch)
                #expect(RaftCodec.encode(decoded) == bytes)
            }
        }
        for count in [0, 1, 2, 17, 64] {
            let batch = Self.randomBatch(&random, count: count)
            #expect(try RaftCodec.decode(RaftCodec.encode(batch)) == batch)
        }
    }

    @Test("extreme values round-trip: zero everywhere and UInt64.max everywhere")
    func extremes() throws {
        let zero = RaftEnvelope(group: 0, message: RaftMessage(kind: .timeoutNow, from: 0, to: 0, term: 0))
        let max = RaftEnvelope(group: .max, message: RaftMessage(
            kind: .installSnapshot, from: .max, to: .max, term: .max, logTerm: .max, index: .max,
            entries: [RaftEntry(term: .max, index: .max, kind: .configChange, data: [0xFF])], commit: .max, reject: true,
            rejectHint: .max, context: .max,
            snapshot: RaftSnapshot(metadata: RaftSnapshotMetadata(index: .max, term: .max, conf: RaftConfState(voters: [.max], learners: [0])),
                                   data: [])))
        for batch in [[zero], [max], [zero, max], [max, zero]] {
            #expect(try RaftCodec.decode(RaftCodec.encode(batch)) == batch)
        }
    }

    @Test("an empty batch is eight bytes and decodes to nothing")
    func emptyBatch() throws {
        let bytes = RaftCodec.encode([])
        #expect(bytes.count == 8)
        #expect(try RaftCodec.decode(bytes).isEmpty)
    }

    @Test("entry checksums on the wire equal entryChecksum, which the log store keeps")
    func entryChecksumMatchesWire() throws {
        let entry = RaftEntry(term: 3, index: 300, kind: .normal, data: Array("ticket".utf8))
        let batch = [RaftEnvelope(group: 9, message: RaftMessage(kind: .append, from: 1, to: 2, term: 3, entries: [entry]))]
        let bytes = RaftCodec.encode(batch)
        // The entry's crc is the four bytes before the batch crc.
        let wire = bytes[(bytes.count - 8)..<(bytes.count - 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(wire == RaftCodec.entryChecksum(entry, group: 9))
        #expect(RaftCodec.entryChecksum(entry, group: 9) != RaftCodec.entryChecksum(entry, group: 8))
    }

    @Test("a truncation at every byte offset throws")
    func everyTruncationThrows() {
        var random = SimRandom(seed: 3)
        for _ in 0..<10 {
            let bytes = RaftCodec.encode(Self.randomBatch(&random, count: 1 + random.below(4)))
            for length in 0..<bytes.count {
                #expect(throws: RaftCodecError.self) { try RaftCodec.decode(Array(bytes.prefix(length))) }
            }
            #expect(throws: RaftCodecError.self) { try RaftCodec.decode(bytes + [0]) }
        }
    }

    /// Replaces the batch checksum so that a mutation reaches the parser instead of stopping at the
    /// first check.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 4 else { return bytes }
        var body = Array(bytes.dropLast(4))
        RaftCodec.writeU32(CRC32C.checksum(body), into: &body)
        return body
    }

    @Test("20,000 seeded random mutations never trap; whatever still decodes re-encodes to the same bytes")
    func mutationsNeverTrap() {
        var random = SimRandom(seed: 20_000)
        var decodedCount = 0
        var checksumFailures = 0
        for round in 0..<20_000 {
            var bytes = RaftCodec.encode(Self.randomBatch(&random, count: 1 + random.below(3)))
            for _ in 0..<(1 + random.below(3)) {
                switch random.below(4) {
                case 0: bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8))
                case 1: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: random.below(bytes.count + 1))
                default: if !bytes.isEmpty { bytes.remove(at: random.below(bytes.count)) }
                }
            }
            // Half the rounds fix the batch checksum up, so the parser and the entry checksums see the damage.
            if round % 2 == 0 { bytes = Self.resealed(bytes) }
            do {
                let batch = try RaftCodec.decode(bytes)
                decodedCount += 1
                #expect(RaftCodec.encode(batch) == bytes, "round \(round): accepted bytes are not canonical")
            } catch {
                if error.code == .checksumMismatch { checksumFailures += 1 }
            }
        }
        #expect(checksumFailures > 0)
        // With the batch checksum fixed up, some header mutations do yield another valid batch.
        #expect(decodedCount > 0)
    }

    @Test("a flipped data bit fails the entry checksum even when the batch checksum is fixed up")
    func entryChecksumFlipDetected() throws {
        let entries = (1...3).map { RaftEntry(term: 2, index: $0, data: Array("payload-\($0)".utf8)) }
        let batch = [RaftEnvelope(group: 5, message: RaftMessage(kind: .append, from: 1, to: 2, term: 2, index: 0, entries: entries, commit: 1))]
        let bytes = RaftCodec.encode(batch)
        let marker = Array("payload-2".utf8)
        let position = try #require((0..<bytes.count).first { Array(bytes[$0..<min($0 + marker.count, bytes.count)]) == marker })
        for bit in 0..<8 {
            var damaged = bytes
            damaged[position + 3] ^= UInt8(1 << bit)
            // Unsealed: the batch checksum catches it.
            #expect(throws: RaftCodecError(code: .checksumMismatch, message: "batch checksum mismatch")) { try RaftCodec.decode(damaged) }
            // Resealed (a sender that corrupted its own memory): the entry's own checksum catches it.
            #expect(throws: RaftCodecError(code: .checksumMismatch, message: "entry 2 checksum mismatch")) {
                try RaftCodec.decode(Self.resealed(damaged))
            }
        }
        // A snapshot's data is covered the same way.
        let snapshot = RaftSnapshot(metadata: RaftSnapshotMetadata(index: 9, term: 2, conf: RaftConfState(voters: [1, 2, 3])),
                                    data: Array("image".utf8))
        var install = RaftCodec.encode([RaftEnvelope(group: 5, message: RaftMessage(kind: .installSnapshot, from: 1, to: 2, term: 2,
                                                                                   snapshot: snapshot))])
        install[install.count - 9] ^= 0x20
        #expect(throws: RaftCodecError(code: .checksumMismatch, message: "snapshot checksum mismatch")) {
            try RaftCodec.decode(Self.resealed(install))
        }
    }

    @Test("heartbeats cost a handful of bytes each")
    func heartbeatSize() throws {
        // 64 groups' heartbeats for one peer, with realistic terms and commit indexes.
        let batch = Self.heartbeats(groups: 64, term: 1_234, commit: 1_000_000)
        let bytes = RaftCodec.encode(batch)
        #expect(try RaftCodec.decode(bytes) == batch)
        let perHeartbeat = Double(bytes.count) / 64
        #expect(perHeartbeat <= 12, "\(perHeartbeat) bytes per heartbeat")
        // Even alone in a batch, with large node ids, one heartbeat stays within 20 bytes of overhead + fields.
        let alone = RaftCodec.encode([RaftEnvelope(group: 63, message: RaftMessage(kind: .heartbeatResponse, from: 3, to: 1,
                                                                                   term: 1_234, commit: 1_000_000, context: 77))])
        #expect(alone.count <= 20, "\(alone.count) bytes")
        let responses = (0..<64).map { group in
            RaftEnvelope(group: UInt32(group), message: RaftMessage(kind: .heartbeatResponse, from: .max - 1, to: .max, term: 9))
        }
        #expect(Double(RaftCodec.encode(responses).count) / 64 <= 5)
    }

    @Test("limits are enforced before anything large is allocated")
    func limits() {
        let entries = (1...10).map { RaftEntry(term: 1, index: $0, data: [UInt8](repeating: 7, count: 100)) }
        let batch = [RaftEnvelope(group: 1, message: RaftMessage(kind: .append, from: 1, to: 2, term: 1, entries: entries))]
        let bytes = RaftCodec.encode(batch)
        let tight = [
            RaftCodec.Limits(maxBatchBytes: bytes.count - 1),
            RaftCodec.Limits(maxEntriesPerMessage: 9),
            RaftCodec.Limits(maxEntryBytes: 99),
            RaftCodec.Limits(maxEnvelopes: 0),
        ]
        for limits in tight {
            #expect(throws: RaftCodecError.self) { try RaftCodec.decode(bytes, limits: limits) }
        }
        // A count that claims far more elements than the bytes could hold is refused up front.
        var huge: [UInt8] = [RaftCodec.version, 1, 2]
        RaftCodec.writeVarint(UInt64.max >> 1, into: &huge)
        RaftCodec.writeU32(CRC32C.checksum(huge), into: &huge)
        let unbounded = RaftCodec.Limits(maxEnvelopes: .max)
        #expect(throws: RaftCodecError.self) { try RaftCodec.decode(huge, limits: unbounded) }
    }

    @Test("non-canonical forms are refused: overlong varints, zero flagged fields, unsorted voters")
    func nonCanonical() {
        // version, from 1, to 2, one envelope: group 0, heartbeat, fields=commit, term 1, commit 0 (flagged but zero).
        var zeroCommit: [UInt8] = [RaftCodec.version, 1, 2, 1, 0, RaftMessageKind.heartbeat.rawValue, 0b100, 1, 0]
        RaftCodec.writeU32(CRC32C.checksum(zeroCommit), into: &zeroCommit)
        #expect(throws: RaftCodecError.self) { try RaftCodec.decode(zeroCommit) }
        // The same with an overlong term (0x81 0x00 for 1).
        var overlong: [UInt8] = [RaftCodec.version, 1, 2, 1, 0, RaftMessageKind.heartbeat.rawValue, 0, 0x81, 0x00]
        RaftCodec.writeU32(CRC32C.checksum(overlong), into: &overlong)
        #expect(throws: RaftCodecError.self) { try RaftCodec.decode(overlong) }
        // An unknown field bit.
        var unknownBit: [UInt8] = [RaftCodec.version, 1, 2, 1, 0, RaftMessageKind.heartbeat.rawValue, 0x80, 0x08, 1]
        RaftCodec.writeU32(CRC32C.checksum(unknownBit), into: &unknownBit)
        #expect(throws: RaftCodecError.self) { try RaftCodec.decode(unknownBit) }
    }
}
