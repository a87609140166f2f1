import Foundation
import RingdeskDomain
import RingdeskPrimitives
import RingdeskShard
import Testing

/// Results of the ticket shards and the routing domain as they cross nodes (a proposal forwarded
/// to a group's leader): round trips for every kind, and a decoder that refuses damaged or hostile
/// input without trapping.
@Suite("Forwarded results codec")
struct TicketShardForwardingTests {
    static func ticketResults(_ random: inout SeededGenerator) -> [TicketLogResult] {
        let ticket = TicketCodecTests.randomTicket(&random)
        return [
            .created(ticket), .duplicate(ticket), .applied(ticket, effects: []), .policySet(version: UInt64(random.below(1_000_000))),
            .rejected(TicketLogRejection(code: "stale_epoch", message: "ticket moved on", field: nil)),
            .rejected(TicketLogRejection(code: "invalid_field", message: "réponse – bad", field: "rating")),
        ]
    }

    static func routingResults(_ random: inout SeededGenerator) throws -> [RoutingDomainResult] {
        var machine = RoutingDomainMachine()
        let at = Date(timeIntervalSince1970: 1_780_000_000 + Double(random.below(1000)))
        let agent = machine.apply(.upsertAgent(RoutingDomainMachineTests.ana, at: at))
        let session = machine.apply(.openSession(agentID: "ana", node: UInt64(1 + random.below(5)), at: at))
        let renewed = machine.apply(.renewLease(ticketID: "T01", agentID: "ana", at: at))
        #expect(renewed == .leaseRenewed(ticketID: "T01", agentID: "ana", at: at))
        return [agent, session, renewed, .rejected(TicketLogRejection(code: "stale_session", message: "replaced", field: "epoch"))]
    }

    @Test func resultsRoundTrip() throws {
        var random = SeededGenerator(seed: 7)
        for _ in 0..<50 {
            for result in Self.ticketResults(&random) { #expect(try TicketLogResult(encoded: result.encoded) == result) }
            for result in try Self.routingResults(&random) { #expect(try RoutingDomainResult(encoded: result.encoded) == result) }
        }
        // Effects stay with the proposer: an applied result crosses without them.
        let ticket = TicketCodecTests.randomTicket(&random)
        let sent = TicketLogResult.applied(ticket, effects: [.requeue(atHead: true)])
        #expect(try TicketLogResult(encoded: sent.encoded) == .applied(ticket, effects: []))
    }

    @Test func damagedBytesAreRefusedNeverTrapped() throws {
        var random = SeededGenerator(seed: 11)
        let ticketSamples = Self.ticketResults(&random).map(\.encoded)
        let routingSamples = try Self.routingResults(&random).map(\.encoded)
        var refused = 0
        for sample in ticketSamples + routingSamples {
            // Every truncation, and seeded byte flips: each decodes to something or throws.
            for length in 0..<sample.count {
                if (try? TicketLogResult(encoded: Array(sample[..<length]))) == nil { refused += 1 }
                _ = try? RoutingDomainResult(encoded: Array(sample[..<length]))
            }
            for _ in 0..<200 {
                var damaged = sample
                damaged[random.below(damaged.count)] = UInt8(random.below(256))
                _ = try? TicketLogResult(encoded: damaged)
                _ = try? RoutingDomainResult(encoded: damaged)
            }
        }
        #expect(refused > 0)
        #expect(throws: ShardCodecError.self) { try TicketLogResult(encoded: [9, 1]) }
        #expect(throws: ShardCodecError.self) { try TicketLogResult(encoded: [1, 99]) }
        #expect(throws: ShardCodecError.self) { try RoutingDomainResult(encoded: [1, 3, 1, 97, 1, 98, 7]) }
    }
}
