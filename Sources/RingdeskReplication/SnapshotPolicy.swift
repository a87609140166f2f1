/// When a replica records a snapshot and drops the log before it.
///
/// A snapshot is only metadata (the applied ticket rows are the state, written as entries
/// apply), so one costs about as much as deleting the entries it covers, whatever the size of
/// the state: a replica snapshots every `every` applied entries, and its log stays within that.
/// The state machine's image is encoded only when a follower needs one (see
/// `RaftNode.wantsSnapshotImage`).
///
/// Replicas spread their snapshots: replica k waits (k mod 4)/8 longer, so the replicas of one
/// group rarely delete their logs in the same moment.
public struct SnapshotPolicy: Sendable, Hashable {
    public var every: Int
    public var nodeID: UInt64

    public init(every: Int, nodeID: UInt64) {
        self.every = max(1, every)
        self.nodeID = nodeID
    }

    /// Whether a replica that applied `appliedSinceSnapshot` entries since its last snapshot
    /// snapshots now.
    public func isDue(appliedSinceSnapshot: Int) -> Bool {
        appliedSinceSnapshot >= every + every / 8 * Int(nodeID % 4)
    }
}
