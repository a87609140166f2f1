/// What must change to go from one placement to the next, shard by shard: the input of a later
/// rebalancer, which adds each new replica as a learner, lets it catch up and promotes it before
/// removing an old one, and transfers leadership to the new preferred leader.
public struct PlacementDiff: Hashable, Sendable, Codable {
    /// One shard whose replica set or preferred leader differs.
    public struct ShardChange: Hashable, Sendable, Codable {
        public var shard: Int
        /// Nodes that gain a replica of the shard (ascending id).
        public var added: [PlacementNodeID]
        /// Nodes that lose their replica of the shard (ascending id).
        public var removed: [PlacementNodeID]
        public var leaderBefore: PlacementNodeID?
        public var leaderAfter: PlacementNodeID?

        public init(shard: Int, added: [PlacementNodeID], removed: [PlacementNodeID], leaderBefore: PlacementNodeID?, leaderAfter: PlacementNodeID?) {
            self.shard = shard
            self.added = added
            self.removed = removed
            self.leaderBefore = leaderBefore
            self.leaderAfter = leaderAfter
        }

        public var movesReplicas: Bool { !added.isEmpty || !removed.isEmpty }
    }

    /// One replica to create or delete, in the order a safe rebalancer would take them for its shard
    /// (adds first, so a group never drops below its size).
    public struct ReplicaMove: Hashable, Sendable, Codable {
        public enum Kind: String, Hashable, Sendable, Codable {
            case add, remove
        }

        public var shard: Int
        public var kind: Kind
        public var node: PlacementNodeID

        public init(shard: Int, kind: Kind, node: PlacementNodeID) {
            self.shard = shard
            self.kind = kind
            self.node = node
        }
    }

    public var fromVersion: UInt64
    public var toVersion: UInt64
    /// Changed shards only, ascending.
    public var changes: [ShardChange]

    /// The changes from `old` to `new`; throws `shardCountMismatch` when their shard counts differ.
    public init(from old: Placement, to new: Placement) throws(PlacementError) {
        guard old.shardCount == new.shardCount else {
            throw PlacementError(.shardCountMismatch, "placement \(old.version) has \(old.shardCount) shards, \(new.version) has \(new.shardCount)")
        }
        fromVersion = old.version
        toVersion = new.version
        changes = []
        for shard in 0..<old.shardCount {
            let before = old.shards[shard]
            let after = new.shards[shard]
            let added = after.filter { !before.contains($0) }.sorted()
            let removed = before.filter { !after.contains($0) }.sorted()
            if added.isEmpty && removed.isEmpty && before.first == after.first { continue }
            changes.append(ShardChange(shard: shard, added: added, removed: removed, leaderBefore: before.first, leaderAfter: after.first))
        }
    }

    /// Every replica to create or delete: per shard, adds then removes.
    public var replicaMoves: [ReplicaMove] {
        changes.flatMap { change in
            change.added.map { ReplicaMove(shard: change.shard, kind: .add, node: $0) }
                + change.removed.map { ReplicaMove(shard: change.shard, kind: .remove, node: $0) }
        }
    }

    /// Replicas that must be created (each one copies a shard's data to a node).
    public var replicasAdded: Int { changes.reduce(0) { $0 + $1.added.count } }
    public var replicasRemoved: Int { changes.reduce(0) { $0 + $1.removed.count } }
    /// Shards with at least one replica added or removed.
    public var shardsMoved: Int { changes.count { $0.movesReplicas } }
    /// Shards whose preferred leader changes (a leadership transfer, no data copied).
    public var leaderChanges: Int { changes.count { $0.leaderBefore != $0.leaderAfter } }
    public var isEmpty: Bool { changes.isEmpty }
}
