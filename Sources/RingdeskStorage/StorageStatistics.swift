/// A snapshot of the group-commit writer's work, shaped for Prometheus counters and histograms.
public struct StorageStatistics: Sendable, Hashable {
    /// Upper bounds (seconds) of the commit-duration histogram buckets; a last, implicit bucket is +Inf.
    public static let commitDurationBounds: [Double] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

    /// Transactions committed.
    public var transactions: Int = 0
    /// Transactions that failed as a whole (every caller in them got an error).
    public var failedTransactions: Int = 0
    /// `write` calls resolved by committed transactions (applied or refused).
    public var writes: Int = 0
    /// Operations in those calls (a multi-operation write counts each).
    public var operations: Int = 0
    /// Transactions re-run with one savepoint per write because a statement failed in the fast path.
    public var isolatedRetries: Int = 0
    /// Writes refused with a typed result (duplicate, version conflict, not found).
    public var refusedWrites: Int = 0
    /// Writes that failed with an error inside an otherwise committed transaction.
    public var failedWrites: Int = 0
    /// Writes waiting for the next transaction at the time of the snapshot.
    public var queuedWrites: Int = 0
    /// Writes in the last committed transaction.
    public var lastBatchSize: Int = 0
    /// Largest number of writes in one transaction so far.
    public var largestBatchSize: Int = 0
    /// Duration of the last `COMMIT` (the WAL fsync), in seconds.
    public var lastCommitSeconds: Double = 0
    /// Sum of `COMMIT` durations (histogram `_sum`; `transactions` is its `_count`).
    public var totalCommitSeconds: Double = 0
    /// Sum of whole-transaction durations, BEGIN to COMMIT done, in seconds.
    public var totalTransactionSeconds: Double = 0
    /// Non-cumulative counts per `commitDurationBounds` bucket, plus one final +Inf bucket.
    public var commitDurationBuckets: [Int] = Array(repeating: 0, count: StorageStatistics.commitDurationBounds.count + 1)

    /// Average writes per committed transaction.
    public var averageBatchSize: Double {
        transactions == 0 ? 0 : Double(writes) / Double(transactions)
    }

    /// Average `COMMIT` duration in seconds.
    public var averageCommitSeconds: Double {
        transactions == 0 ? 0 : totalCommitSeconds / Double(transactions)
    }

    public init() {}

    mutating func recordCommit(writes: Int, operations: Int, refused: Int, failed: Int, commitSeconds: Double, transactionSeconds: Double) {
        transactions += 1
        self.writes += writes
        self.operations += operations
        refusedWrites += refused
        failedWrites += failed
        lastBatchSize = writes
        largestBatchSize = max(largestBatchSize, writes)
        lastCommitSeconds = commitSeconds
        totalCommitSeconds += commitSeconds
        totalTransactionSeconds += transactionSeconds
        let bucket = Self.commitDurationBounds.firstIndex { commitSeconds <= $0 } ?? Self.commitDurationBounds.count
        commitDurationBuckets[bucket] += 1
    }
}
