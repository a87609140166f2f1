import Foundation
import RingdeskReplication

/// Retries a replicated request with backoff while its group has no leader here or there (an
/// election, a transfer, back-pressure, a leader that did not answer) until `deadline` seconds
/// have passed; then `shard_unavailable` naming `what`. With `alsoUnknownOutcomes`, a proposal
/// whose outcome is unknown (leadership changed while it waited) is retried too: only for
/// requests that are safe to repeat.
func retryingReplication<Value: Sendable>(_ what: String, deadline seconds: TimeInterval, alsoUnknownOutcomes: Bool = true,
                                          _ body: @Sendable () async throws -> Value) async throws -> Value {
    let deadline = Date().addingTimeInterval(seconds)
    var pause = 0.005
    while true {
        do {
            return try await body()
        } catch let error as ReplicationError where retryable(error, alsoUnknownOutcomes: alsoUnknownOutcomes) {
            guard Date().addingTimeInterval(pause) < deadline else {
                throw ServiceError(code: "shard_unavailable", message: "\(what) did not answer within \(seconds) s: \(error)")
            }
            try await Task.sleep(nanoseconds: UInt64(pause * 1e9))
            pause = min(pause * 2, 0.2)
        }
    }
}

private func retryable(_ error: ReplicationError, alsoUnknownOutcomes: Bool) -> Bool {
    switch error.code {
    case "raft_not_leader", "raft_transferring", "raft_backpressure", "replication_overloaded", "leader_unreachable": true
    case "outcome_unknown": alsoUnknownOutcomes
    default: false
    }
}
