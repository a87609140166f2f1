import Foundation
import RingdeskDomain
import RingdeskPrimitives
import RingdeskShard
import Testing

/// The bytes one node sends the leader of a ticket shard (`POST /internal/tickets`) and its answer:
/// round trips for every kind, and a decoder that refuses damaged or hostile input without trapping.
@Suite("Ticket shard forwarding codec")
struct TicketShardForwardingTests {
    static func replies(_ random: inout SeededGenerator) -> [TicketShardReply] {
        let ticket = TicketCodecTests.randomTicket(&random)
        return [
            .result(.created(ticket)), .result(.duplicate(ticket)), .result(.applied(ticket, effects: [])),
            .result(.policySet(version: UInt64(random.below(1_000_000)))),
            .result(.rejected(TicketLogRejection(code: "stale_epoch", message: "ticket moved on", field: nil))),
            .result(.rejected(TicketLogRejection(code: "invalid_field", message: "réponse – bad", field: "rating"))),
            .readIndex(UInt64(random.below(1 << 30))),
            .failure(code: "raft_not_leader", message: "node 2 leads", leaderHint: 2),
        ]
    }

    @Test func requestsAndRepliesRoundTrip() throws {
        var random = SeededGenerator(seed: 7)
        for _ in 0..<50 {
            let ticket = TicketCodecTests.randomTicket(&random)
            let group = UInt32(random.below(4096))
            for request in [TicketShardRequest.propose(.create(ticket)), .readIndex,
                            .propose(.command(TicketLogCommand(ticketID: ticket.id, command: .offerExpired, actor: .system,
                                                               at: ticket.updatedAt, policyVersion: 3, expectedEpoch: 9,
                                                               derived: TicketDerived(of: ticket))))] {
                let decoded = try TicketShardRequest.decode(request.encoded(group: group))
                #expect(decoded.group == group)
                #expect(decoded.request == request)
            }
            for reply in Self.replies(&random) {
                #expect(try TicketShardReply(encoded: reply.encoded) == reply)
            }
        }
        // Effects stay with the proposer: an applied result crosses without them.
        let ticket = TicketCodecTests.randomTicket(&random)
        let sent = TicketShardReply.result(.applied(ticket, effects: [.requeue(atHead: true)]))
        #expect(try TicketShardReply(encoded: sent.encoded) == .result(.applied(ticket, effects: [])))
    }

    @Test func damagedBytesAreRefusedNeverTrapped() {
        var random = SeededGenerator(seed: 11)
        var samples = Self.replies(&random).map(\.encoded)
        samples.append(TicketShardRequest.propose(.create(TicketCodecTests.randomTicket(&random))).encoded(group: 5))
        samples.append(TicketShardRequest.readIndex.encoded(group: 1))
        var refused = 0
        for sample in samples {
            // Every truncation, and seeded byte flips: each decodes to something or throws.
            for length in 0..<sample.count {
                if (try? TicketShardReply(encoded: Array(sample[..<length]))) == nil { refused += 1 }
                _ = try? TicketShardRequest.decode(Array(sample[..<length]))
            }
            for _ in 0..<200 {
                var damaged = sample
                damaged[random.below(damaged.count)] = UInt8(random.below(256))
                _ = try? TicketShardReply(encoded: damaged)
                _ = try? TicketShardRequest.decode(damaged)
            }
        }
        #expect(refused > 0)
        #expect(throws: ShardCodecError.self) { try TicketShardReply(encoded: [9, 1]) }
        #expect(throws: ShardCodecError.self) { try TicketShardRequest.decode([1, 2, 0, 0, 0, 1, 0]) }
        #expect(throws: ShardCodecError.self) { try TicketShardRequest.decode([1, 9, 0, 0, 0, 1]) }
    }
}
