import CoreMetrics

/// What the replication loop reports, from the factory the node passes in. Labels come from
/// fixed sets (roles, outcomes), never from group numbers or ids.
struct ReplicationMetrics: Sendable {
    let groupsByRole: [String: Gauge]
    let groupsWithoutLeader: Gauge
    let committed: Counter
    let refused: Counter
    let unknown: Counter
    /// From taking a proposal in to answering it with its applied result.
    let proposalLatency: Timer
    let leaderChanges: Counter
    /// Compactions (snapshot metadata recorded, log dropped).
    let snapshots: Counter
    /// State machine images encoded because a follower needed a snapshot.
    let snapshotImages: Counter
    /// Groups that stopped applying at an entry this build cannot decode.
    let halted: Counter

    init(factory: any MetricsFactory) {
        groupsByRole = Dictionary(uniqueKeysWithValues: ["leader", "follower", "preCandidate", "candidate"].map {
            ($0, Gauge(label: "ringdesk_raft_groups", dimensions: [("role", $0)], factory: factory))
        })
        groupsWithoutLeader = Gauge(label: "ringdesk_raft_groups_without_leader", dimensions: [], factory: factory)
        committed = Counter(label: "ringdesk_raft_proposals_total", dimensions: [("outcome", "committed")], factory: factory)
        refused = Counter(label: "ringdesk_raft_proposals_total", dimensions: [("outcome", "refused")], factory: factory)
        unknown = Counter(label: "ringdesk_raft_proposals_total", dimensions: [("outcome", "unknown")], factory: factory)
        proposalLatency = Timer(label: "ringdesk_raft_proposal_seconds", dimensions: [], factory: factory)
        leaderChanges = Counter(label: "ringdesk_raft_leader_changes_total", dimensions: [], factory: factory)
        snapshots = Counter(label: "ringdesk_raft_snapshots_total", dimensions: [], factory: factory)
        snapshotImages = Counter(label: "ringdesk_raft_snapshot_images_total", dimensions: [], factory: factory)
        halted = Counter(label: "ringdesk_raft_groups_halted_total", dimensions: [], factory: factory)
    }
}
