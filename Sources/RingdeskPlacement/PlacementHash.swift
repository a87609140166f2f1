import RingdeskPrimitives

/// The rendezvous score of a node for a shard: a stable 64-bit hash (SplitMix64's finaliser
/// chained over seed, node, shard and draw), the same on every platform and process — Swift's
/// `Hasher` is seeded per process and would give every node a different map.
enum PlacementHash {
    /// Per-node prefix of the chain, computed once per placement.
    static func nodeKey(seed: UInt64, node: PlacementNodeID) -> UInt64 {
        SplitMix64.mix(SplitMix64.mix(seed ^ 0x5269_6E67_506C_6163) ^ node.rawValue)
    }

    /// The score of draw `draw` of a node (key from `nodeKey`) for `shard`. A node of weight w takes
    /// the best of w draws, so its chance to rank first is proportional to its weight.
    static func score(nodeKey: UInt64, shard: Int, draw: Int) -> UInt64 {
        SplitMix64.mix(SplitMix64.mix(nodeKey ^ UInt64(shard)) &+ UInt64(draw))
    }
}
