import CoreMetrics

/// What the writer reports to swift-metrics per transaction: batch size (writes per fsync) and
/// COMMIT duration (the WAL fsync). Made from the factory the owner passes in; without one the
/// storage records nothing here (its `statistics()` snapshot still counts).
struct StorageMetrics: Sendable {
    let batchSize: Recorder
    let commitDuration: Timer
    let transactions: Counter
    let failedTransactions: Counter

    init(factory: any MetricsFactory) {
        batchSize = Recorder(label: "ringdesk_storage_batch_size", dimensions: [], aggregate: true, factory: factory)
        commitDuration = Timer(label: "ringdesk_storage_commit_seconds", dimensions: [], factory: factory)
        transactions = Counter(label: "ringdesk_storage_transactions_total", dimensions: [], factory: factory)
        failedTransactions = Counter(label: "ringdesk_storage_failed_transactions_total", dimensions: [], factory: factory)
    }
}
