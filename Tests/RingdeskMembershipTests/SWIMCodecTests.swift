import RingdeskMembership
import RingdeskTestSupport
import Testing

@Suite struct SWIMCodecTests {
    static let limits = SWIMCodec.Limits(SWIMConfiguration.defaults)

    static let samples: [SWIMMessage] = {
        let metadata = SWIMNodeMetadata(name: "node-ü", region: "eu-west", zone: "eu-west-1a",
                                        addresses: ["10.0.0.1:7946", "[::1]:7946"], load: 4_000_000_000, version: "0.5.0")
        let updates: [SWIMUpdate] = [
            .alive(SWIMNodeID(2), incarnation: 300, metadata: metadata, payload: [0, 1, 255]),
            .suspect(SWIMNodeID(3), incarnation: .max, from: SWIMNodeID(4)),
            .dead(SWIMNodeID(.max), incarnation: 0, from: SWIMNodeID(0)),
            .left(SWIMNodeID(6), incarnation: 127),
        ]
        let record = SWIMMemberRecord(id: SWIMNodeID(7), status: .suspect, incarnation: 128, metadata: metadata, payload: [])
        return [
            SWIMMessage(sender: SWIMNodeID(1), kind: .ping(sequence: 1, target: SWIMNodeID(2)), updates: updates),
            SWIMMessage(sender: SWIMNodeID(1), kind: .pingRequest(sequence: .max, target: SWIMNodeID(2))),
            SWIMMessage(sender: SWIMNodeID(1), kind: .ack(sequence: 0, target: SWIMNodeID(2)), updates: [updates[1]]),
            SWIMMessage(sender: SWIMNodeID(1), kind: .nack(sequence: 77, target: SWIMNodeID(9))),
            SWIMMessage(sender: SWIMNodeID(1), kind: .gossip, updates: updates),
            SWIMMessage(sender: SWIMNodeID(1), kind: .pushPull(SWIMPushPull(isResponse: true, isJoin: true, members: [record, record])), updates: [updates[3]]),
            SWIMMessage(sender: SWIMNodeID(1), kind: .pushPull(SWIMPushPull(isResponse: false, isJoin: false, members: []))),
        ]
    }()

    @Test func everyKindRoundTrips() throws {
        for message in Self.samples {
            let bytes = SWIMCodec.encode(message)
            #expect(try SWIMCodec.decode(bytes, limits: Self.limits) == message)
        }
    }

    @Test func updateSizesMatchTheEncoder() {
        guard case .gossip = Self.samples[4].kind else { return }
        for update in Self.samples[4].updates {
            let alone = SWIMCodec.encode(SWIMMessage(sender: SWIMNodeID(1), kind: .gossip, updates: []))
            let with = SWIMCodec.encode(SWIMMessage(sender: SWIMNodeID(1), kind: .gossip, updates: [update]))
            #expect(with.count - alone.count == SWIMCodec.encodedSize(of: update))
        }
    }

    @Test func everyTruncationThrows() {
        for message in Self.samples {
            let bytes = SWIMCodec.encode(message)
            for length in 0..<bytes.count {
                #expect(throws: SWIMError.self) { try SWIMCodec.decode(Array(bytes.prefix(length)), limits: Self.limits) }
            }
        }
    }

    @Test func trailingBytesAndBadFieldsThrow() {
        let ping = SWIMCodec.encode(Self.samples[1])
        #expect(throws: SWIMError.self) { try SWIMCodec.decode(ping + [0], limits: Self.limits) }
        var badVersion = ping
        badVersion[0] = 2
        #expect(throws: SWIMError.self) { try SWIMCodec.decode(badVersion, limits: Self.limits) }
        var badKind = ping
        badKind[1] = 99
        #expect(throws: SWIMError.self) { try SWIMCodec.decode(badKind, limits: Self.limits) }
        // Gossip header then a claim of 2^63 updates, an overlong varint, an 11-byte varint.
        let header: [UInt8] = [1, 5, 0, 0, 0, 0, 0, 0, 0, 1]
        #expect(throws: SWIMError.self) { try SWIMCodec.decode(header + [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], limits: Self.limits) }
        #expect(throws: SWIMError.self) { try SWIMCodec.decode(header + [0x80, 0x00], limits: Self.limits) }
        #expect(throws: SWIMError.self) { try SWIMCodec.decode(header + Array(repeating: 0xFF, count: 10) + [0x01], limits: Self.limits) }
        // One alive update whose name is not UTF-8.
        let badString: [UInt8] = header + [1, 1] + [0, 0, 0, 0, 0, 0, 0, 2] + [0] + [2, 0xC3, 0x28]
        #expect(throws: SWIMError.self) { try SWIMCodec.decode(badString, limits: Self.limits) }
    }

    @Test func limitsAreEnforced() {
        let big = SWIMMessage(sender: SWIMNodeID(1), kind: .gossip, updates: [
            .alive(SWIMNodeID(2), incarnation: 1, metadata: SWIMNodeMetadata(name: "x"), payload: Array(repeating: 7, count: 600)),
        ])
        let bytes = SWIMCodec.encode(big)
        #expect(throws: SWIMError.self) { try SWIMCodec.decode(bytes, limits: Self.limits) }  // payload limit 512
        #expect(throws: SWIMError.self) {
            try SWIMCodec.decode(bytes, limits: SWIMCodec.Limits(maxMessageBytes: bytes.count - 1, maxPayloadBytes: 1024))
        }
        #expect(throws: Never.self) { try SWIMCodec.decode(bytes, limits: SWIMCodec.Limits(maxMessageBytes: 4096, maxPayloadBytes: 1024)) }
    }

    @Test func randomGarbageNeverCrashes() {
        var random = SimRandom(seed: 20_261_124)
        var decoded = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<random.below(64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                // Mutate a valid message: flip a few bytes.
                bytes = SWIMCodec.encode(Self.samples[random.below(Self.samples.count)])
                for _ in 0..<(1 + random.below(3)) {
                    bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            if let message = try? SWIMCodec.decode(bytes, limits: Self.limits) {
                decoded += 1
                // Whatever decodes re-encodes to the same bytes (one encoding per message).
                #expect(SWIMCodec.encode(message) == bytes)
            }
        }
        #expect(decoded < 20_000)
    }
}
