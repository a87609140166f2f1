import RingdeskReplication
import Testing

/// When replicas snapshot: a snapshot is metadata only, so the log is bounded by `every` whatever
/// the workload, and replicas of one group spread their snapshots.
@Suite("Snapshot policy") struct SnapshotPolicyTests {
    /// Applies `entries` entries; returns how many snapshots were taken and the longest log kept.
    static func run(_ policy: SnapshotPolicy, entries: Int) -> (snapshots: Int, longestLog: Int) {
        var snapshots = 0, longestLog = 0, sinceSnapshot = 0
        for _ in 0..<entries {
            sinceSnapshot += 1
            longestLog = max(longestLog, sinceSnapshot)
            if policy.isDue(appliedSinceSnapshot: sinceSnapshot) {
                snapshots += 1
                sinceSnapshot = 0
            }
        }
        return (snapshots, longestLog)
    }

    @Test("every replica snapshots every `every` entries, later on replicas that wait longer; the log never outgrows that",
          arguments: [(UInt64(1), 11_250), (2, 12_500), (3, 13_750), (4, 10_000), (5, 11_250)])
    func intervals(nodeID: UInt64, interval: Int) {
        // Two million entries: a growing state (creates only) is compacted as often as a steady one.
        let run = Self.run(SnapshotPolicy(every: 10_000, nodeID: nodeID), entries: 2_000_000)
        #expect(run.snapshots == 2_000_000 / interval)
        #expect(run.longestLog == interval)
    }

    @Test("the edges: due exactly at the interval, and `every` below 1 means 1")
    func edges() {
        let policy = SnapshotPolicy(every: 100, nodeID: 4)
        #expect(!policy.isDue(appliedSinceSnapshot: 99))
        #expect(policy.isDue(appliedSinceSnapshot: 100))
        #expect(!SnapshotPolicy(every: 100, nodeID: 3).isDue(appliedSinceSnapshot: 135))
        #expect(SnapshotPolicy(every: 100, nodeID: 3).isDue(appliedSinceSnapshot: 136))
        #expect(SnapshotPolicy(every: 0, nodeID: 1).isDue(appliedSinceSnapshot: 1))
        #expect(!SnapshotPolicy(every: 0, nodeID: 1).isDue(appliedSinceSnapshot: 0))
    }
}
