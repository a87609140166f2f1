import RingdeskReplication
import Testing

/// When replicas snapshot: bounded logs and O(1) image bytes per applied entry, whether the
/// workload only creates tickets or moves the ones it has.
@Suite("Snapshot policy") struct SnapshotPolicyTests {
    struct Run {
        var snapshots = 0
        /// Tickets encoded over all images: what the snapshots cost.
        var imageTickets = 0
        /// The longest log a replica kept between snapshots.
        var longestLog = 0
        var tickets = 0
    }

    /// Applies `entries` entries, of which every `eventsPerTicket`-th creates a ticket (1: creates only).
    static func run(_ policy: SnapshotPolicy, entries: Int, eventsPerTicket: Int) -> Run {
        var run = Run()
        var sinceSnapshot = 0
        for entry in 0..<entries {
            if entry % eventsPerTicket == 0 { run.tickets += 1 }
            sinceSnapshot += 1
            run.longestLog = max(run.longestLog, sinceSnapshot)
            if policy.isDue(appliedSinceSnapshot: sinceSnapshot, tickets: run.tickets) {
                run.snapshots += 1
                run.imageTickets += run.tickets
                sinceSnapshot = 0
            }
        }
        return run
    }

    @Test("creates only: every replica keeps snapshotting, the log stays within the ticket count, images cost O(1) per entry",
          arguments: [UInt64(1), 2, 3, 4, 5])
    func growingState(nodeID: UInt64) {
        let run = Self.run(SnapshotPolicy(every: 10_000, nodeID: nodeID), entries: 2_000_000, eventsPerTicket: 1)
        // Intervals grow 2× (replica 4) to 3.2× (replica 3) from 10,000 to 2,000,000: a handful, never none.
        #expect((4...9).contains(run.snapshots), "\(run.snapshots) snapshots")
        #expect(run.longestLog <= run.tickets, "log \(run.longestLog) > \(run.tickets) tickets")
        #expect(run.imageTickets <= 3 * run.tickets, "images \(run.imageTickets) for \(run.tickets) tickets")
    }

    @Test("a steady workload snapshots every `every` entries, later on replicas that wait longer",
          arguments: [(UInt64(1), 11_250), (2, 12_500), (3, 13_750), (4, 10_000)])
    func steadyState(nodeID: UInt64, interval: Int) {
        // 2,000 tickets, each moved through 50 events: the state stays small, the log would not.
        let run = Self.run(SnapshotPolicy(every: 10_000, nodeID: nodeID), entries: 100_000, eventsPerTicket: 50)
        #expect(run.snapshots == 100_000 / interval)
        #expect(run.longestLog == interval)
    }

    @Test("a large state snapshots after half its size in entries, not every `every`")
    func largeState() {
        let policy = SnapshotPolicy(every: 100, nodeID: 4)
        #expect(!policy.isDue(appliedSinceSnapshot: 49_999, tickets: 100_000))
        #expect(policy.isDue(appliedSinceSnapshot: 50_000, tickets: 100_000))
        #expect(SnapshotPolicy(every: 0, nodeID: 1).isDue(appliedSinceSnapshot: 1, tickets: 0))
    }
}
