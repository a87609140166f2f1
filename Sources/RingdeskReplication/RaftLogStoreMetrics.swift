import CoreMetrics

/// What the Raft store reports per write transaction, made from the factory the owner passes in
/// (no labels: one store per node). The fsync is most of `commitDuration`, so `groupsPerCommit`
/// and `entriesPerCommit` show how well group commit amortises it.
struct RaftLogStoreMetrics: Sendable {
    let commitDuration: Timer
    let groupsPerCommit: Recorder
    let entriesPerCommit: Recorder
    let transactions: Counter
    let failedTransactions: Counter

    init(factory: any MetricsFactory) {
        commitDuration = Timer(label: "ringdesk_raft_store_commit_seconds", dimensions: [], factory: factory)
        groupsPerCommit = Recorder(label: "ringdesk_raft_store_commit_groups", dimensions: [], aggregate: true, factory: factory)
        entriesPerCommit = Recorder(label: "ringdesk_raft_store_commit_entries", dimensions: [], aggregate: true, factory: factory)
        transactions = Counter(label: "ringdesk_raft_store_transactions_total", dimensions: [], factory: factory)
        failedTransactions = Counter(label: "ringdesk_raft_store_failed_transactions_total", dimensions: [], factory: factory)
    }
}
