/// What a placement is computed with besides the member list. Every node must use the same
/// settings (they are part of the replicated placement record), so all of them are plain integers.
public struct PlacementSettings: Hashable, Sendable, Codable {
    /// Number of shards (Raft groups); fixed for the life of a cluster.
    public var shardCount: Int
    /// Replicas per shard: 1, 3 or 5. Odd, because a Raft group of 2k tolerates no more failures
    /// than one of 2k−1; at most 5, because each extra voter slows every commit.
    public var replicasPerShard: Int
    /// The placement's version, carried into the result so nodes can tell which map they act on.
    /// It does not influence the result: bumping it never moves a replica.
    public var version: UInt64
    /// Salt of the rendezvous hash. Changing it reshuffles everything; keep it for the cluster's life.
    public var seed: UInt64
    /// The bounded-load cap in permille of a node's fair share (1150: no node carries more than
    /// 1.15× its weighted share of replicas or of leaders, rounded down but never below the share
    /// rounded up). `nil` is plain rendezvous hashing: exact minimal movement, no balance bound.
    public var loadBoundPermille: Int?

    public init(shardCount: Int, replicasPerShard: Int = 3, version: UInt64 = 1, seed: UInt64 = 0, loadBoundPermille: Int? = 1150) {
        self.shardCount = shardCount
        self.replicasPerShard = replicasPerShard
        self.version = version
        self.seed = seed
        self.loadBoundPermille = loadBoundPermille
    }

    /// 64 shards of 3 replicas, bounded loads at 1.15.
    public static let defaults = PlacementSettings(shardCount: 64)

    public static let maxShardCount = 65_536
    public static let allowedReplicaCounts = [1, 3, 5]
    public static let maxWeight = 64
    public static let loadBoundRange = 1000...4000

    /// Throws `invalidSettings` naming the first setting out of range.
    public func validate() throws(PlacementError) {
        guard (1...Self.maxShardCount).contains(shardCount) else {
            throw PlacementError(.invalidSettings, "shard count \(shardCount) is outside 1...\(Self.maxShardCount)")
        }
        guard Self.allowedReplicaCounts.contains(replicasPerShard) else {
            throw PlacementError(.invalidSettings, "replicas per shard \(replicasPerShard) is not one of 1, 3, 5 (odd, at most 5)")
        }
        if let bound = loadBoundPermille, !Self.loadBoundRange.contains(bound) {
            throw PlacementError(.invalidSettings, "load bound \(bound)‰ is outside \(Self.loadBoundRange.lowerBound)...\(Self.loadBoundRange.upperBound)‰")
        }
    }
}
