import Foundation
import RingdeskPrimitives

/// Which shard a ticket lives in, computed the same on every node of every version (so a retry
/// through any node reaches the same shard, and a node can route a request by id alone):
///
/// - a create with an idempotency key goes to `shard(forIdempotencyKey:)` = FNV-1a(key) mod
///   `shards`, so the shard's log (which deduplicates keys) sees every retry of it;
/// - a create without a key goes to any shard the proposer picks;
/// - a ticket's id names its shard (`TicketIDs`), so reads and commands by id need no lookup; ids
///   in another format (an imported single-node directory) hash to FNV-1a(id) mod `shards`.
///
/// The shard count is fixed for a cluster's life (changing it would move every ticket).
public struct TicketShardMap: Sendable, Hashable {
    public let shards: Int

    /// The largest shard count an id can name (two base32 digits).
    public static let maxShards = 1024

    public init(shards: Int = 64) throws(ShardCodecError) {
        guard (1...Self.maxShards).contains(shards) else {
            throw ShardCodecError(code: "shard_count", message: "the shard count must be within 1...\(Self.maxShards), not \(shards)")
        }
        self.shards = shards
    }

    public func shard(forIdempotencyKey key: String) -> UInt32 {
        UInt32(FNV1a.hash(key) % UInt64(shards))
    }

    /// The shard an id names, or where a foreign id hashes to.
    public func shard(ofTicketID id: String) -> UInt32 {
        if let named = TicketIDs.shard(of: id), named < shards { return UInt32(named) }
        return UInt32(FNV1a.hash(id) % UInt64(shards))
    }
}

/// Cluster-wide ticket ids: `T`, 10 Crockford base32 digits of milliseconds since 1970, 1 of the
/// proposing node (its id mod 32), 3 of a per-millisecond sequence, 2 of the shard — 17 characters
/// that sort by creation time (SQLite appends instead of splitting pages). Any node hands them out
/// for any shard; the node digit keeps two nodes proposing into one shard in the same millisecond
/// apart, and the shard's log still refuses an id it already holds (`duplicate_ticket_id`: nodes
/// whose ids agree mod 32, two proposers on one node), so no two tickets ever share an id. Ids made
/// before the node digit existed (a 4-digit sequence, in practice `0…`) parse the same. Pure: the
/// caller passes `now`.
public struct TicketIDs: Sendable {
    public static let length = 17
    /// Nodes the id format tells apart (one base32 digit).
    public static let nodeSlots: UInt64 = 32
    private var clock = TimeOrderedSequence(sequenceDigits: 3)
    /// This node's digit: its id mod `nodeSlots`.
    public let nodeSlot: UInt64

    public init(node: UInt64 = 0) {
        nodeSlot = node % Self.nodeSlots
    }

    /// Continues after an id handed out earlier (seen in the log or rows, by any node), so a new
    /// leader, a restart within the same millisecond, or a clock set back never repeats one.
    public mutating func observe(_ id: String) {
        guard let (millis, seq, _) = Self.parse(id) else { return }
        clock.observe(millis: millis, sequence: seq % clock.perMillisecond)
    }

    public mutating func next(now: Date, shard: UInt32) -> String {
        precondition(shard < TicketShardMap.maxShards, "shard \(shard) beyond the id format")
        let (millis, sequence) = clock.next(millis: UInt64(max(0, now.timeIntervalSince1970 * 1000)))
        var bytes = [UInt8](repeating: 0, count: Self.length)
        bytes[0] = UInt8(ascii: "T")
        Crockford32.write(millis, into: &bytes, digits: 1...10)
        Crockford32.write(nodeSlot * clock.perMillisecond + sequence, into: &bytes, digits: 11...14)
        Crockford32.write(UInt64(shard), into: &bytes, digits: 15...16)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The shard a cluster id names; nil for any other string.
    public static func shard(of id: String) -> Int? {
        parse(id).map { Int($0.shard) }
    }

    private static func parse(_ id: String) -> (millis: UInt64, sequence: UInt64, shard: UInt64)? {
        let bytes = Array(id.utf8)
        guard bytes.count == length, bytes[0] == UInt8(ascii: "T"),
              let millis = Crockford32.read(bytes, digits: 1...10), let sequence = Crockford32.read(bytes, digits: 11...14),
              let shard = Crockford32.read(bytes, digits: 15...16) else { return nil }
        return (millis, sequence, shard)
    }
}
