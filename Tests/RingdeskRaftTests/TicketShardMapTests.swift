import Foundation
import RingdeskDomain
import RingdeskPrimitives
import RingdeskShard
import Testing

/// Tickets to shards: keys and ids map to shards the same way everywhere; ids name their shard,
/// sort by time and never repeat.
@Suite("Ticket shard map and ids")
struct TicketShardMapTests {
    @Test("an idempotency key always maps to the same shard, and keys spread over all shards")
    func keysSpread() throws {
        let map = try TicketShardMap(shards: 64)
        var counts = [Int](repeating: 0, count: 64)
        for number in 0..<64_000 {
            let key = "shop-O-\(number)"
            let shard = map.shard(forIdempotencyKey: key)
            #expect(shard == map.shard(forIdempotencyKey: key))
            counts[Int(shard)] += 1
        }
        // Within ±20% of the mean on every shard.
        #expect(counts.min()! > 800 && counts.max()! < 1200, "\(counts)")
        // A follow-up's key is deterministic, so a retried rating reaches the same shard.
        #expect(map.shard(forIdempotencyKey: "follow-up:T1") == map.shard(forIdempotencyKey: "follow-up:T1"))
        // Fixed values: the mapping must never change between versions (FNV-1a 64 mod shards).
        let emptyHash: UInt64 = 0xCBF2_9CE4_8422_2325, aHash: UInt64 = 0xAF63_DC4C_8601_EC8C
        #expect(map.shard(forIdempotencyKey: "") == UInt32(emptyHash % 64))
        #expect(map.shard(forIdempotencyKey: "a") == UInt32(aHash % 64))
    }

    @Test("ids name their shard, sort by creation time, and never repeat, also after observing ids of another leader")
    func ids() throws {
        let map = try TicketShardMap(shards: 256)
        var ids = TicketIDs()
        let t0 = Date(timeIntervalSince1970: 1_780_000_000)
        var seen = Set<String>()
        var previous = ""
        for step in 0..<5_000 {
            let shard = UInt32(step % 256)
            let id = ids.next(now: t0.addingTimeInterval(Double(step / 1000) * 0.001), shard: shard)
            #expect(id.count == TicketIDs.length)
            #expect(map.shard(ofTicketID: id) == shard)
            #expect(seen.insert(id).inserted)
            // Same millisecond or later: the time and sequence digits order them.
            #expect(String(id.prefix(15)) > String(previous.prefix(15)))
            previous = id
            if step < 50 {
                // The domain accepts it as a ticket id.
                let draft = TicketDraft(category: .inquiry, channel: .email, customer: CustomerContext(id: "C", language: "en", region: "eu-west"),
                                        subject: "s")
                #expect(try Ticket.create(id: id, draft: draft, by: .intake("x"), at: t0, policy: .defaults).id == id)
            }
        }
        // A new leader that saw the old leader's last id continues after it, even with its clock behind.
        var successor = TicketIDs()
        successor.observe(previous)
        let next = successor.next(now: t0.addingTimeInterval(-60), shard: 3)
        #expect(String(next.prefix(15)) > String(previous.prefix(15)))
    }

    @Test("two nodes proposing into one shard in the same milliseconds never make the same id; ids carry the node's digit")
    func idsOfSeveralNodes() throws {
        let map = try TicketShardMap(shards: 64)
        var nodes = [TicketIDs(node: 1), TicketIDs(node: 2), TicketIDs(node: 3)]
        let t0 = Date(timeIntervalSince1970: 1_780_000_000)
        var seen = Set<String>()
        for step in 0..<3_000 {
            for index in nodes.indices {
                let id = nodes[index].next(now: t0.addingTimeInterval(Double(step / 500) * 0.001), shard: 7)
                #expect(seen.insert(id).inserted, "\(id) made twice")
                #expect(map.shard(ofTicketID: id) == 7)
                #expect(Array(id.utf8)[11] == Crockford32.alphabet[index + 1], "node \(index + 1)'s digit in \(id)")
            }
        }
        // Node 33 shares node 1's digit: the shard's duplicate check is what keeps those apart.
        #expect(TicketIDs(node: 33).nodeSlot == TicketIDs(node: 1).nodeSlot)
        // A node that observed another node's later id continues at or after its millisecond.
        var late = TicketIDs(node: 2)
        let other = nodes[0].next(now: t0.addingTimeInterval(100), shard: 1)
        late.observe(other)
        let next = late.next(now: t0, shard: 1)
        #expect(String(next.prefix(11)) >= String(other.prefix(11)))
        #expect(next != other)
    }

    @Test("foreign ids (an imported single-node directory) hash to a fixed shard; bad shard counts are refused")
    func foreignIDs() throws {
        let map = try TicketShardMap(shards: 64)
        #expect(map.shard(ofTicketID: "T01M8T398P50000") == map.shard(ofTicketID: "T01M8T398P50000"))
        #expect(map.shard(ofTicketID: "T01M8T398P50000") < 64)
        // A cluster id naming a shard beyond this map's count is treated as foreign, never out of range.
        let wide = TicketIDs.shard(of: {
            var ids = TicketIDs()
            return ids.next(now: Date(timeIntervalSince1970: 1), shard: 1000)
        }())
        #expect(wide == 1000)
        #expect(TicketIDs.shard(of: "T0000000000000I0") == nil)
        #expect(throws: ShardCodecError.self) { try TicketShardMap(shards: 0) }
        #expect(throws: ShardCodecError.self) { try TicketShardMap(shards: 1025) }
    }
}
