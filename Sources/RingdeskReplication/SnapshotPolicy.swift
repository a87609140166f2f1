/// When a replica turns its state machine into a snapshot and drops the log before it.
///
/// An image costs its size (every ticket of the group), so a replica snapshots after
/// `max(every, tickets / 2)` applied entries: a steady workload snapshots every `every` entries,
/// and a growing one (creates only, one new ticket per entry) snapshots at doubling intervals,
/// so the images written add up to about twice the final state, O(1) per applied entry, while
/// the log kept stays within about the number of tickets.
///
/// Replicas spread their snapshots: replica k waits (k mod 4)/8 longer. A snapshot stalls its
/// node for a while and a commit needs only a majority, so two replicas of one group should
/// rarely be stalled at once.
public struct SnapshotPolicy: Sendable, Hashable {
    public var every: Int
    public var nodeID: UInt64

    public init(every: Int, nodeID: UInt64) {
        self.every = max(1, every)
        self.nodeID = nodeID
    }

    /// Whether a replica that applied `appliedSinceSnapshot` entries since its last snapshot,
    /// and now holds `tickets` tickets, snapshots now.
    public func isDue(appliedSinceSnapshot: Int, tickets: Int) -> Bool {
        let base = max(every, tickets / 2)
        return appliedSinceSnapshot >= base + base / 8 * Int(nodeID % 4)
    }
}
