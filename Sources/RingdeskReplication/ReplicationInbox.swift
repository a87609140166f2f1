import Foundation
import NIOConcurrencyHelpers
import RingdeskRaft

/// Where callers leave work for the replication loop. The first item after the loop last took
/// its work wakes it (through `onWork`); everything queued until it runs is taken together.
///
/// `@unchecked Sendable`: every stored property is read and written only while holding `lock`.
final class ReplicationInbox<Machine: ReplicatedStateMachine>: @unchecked Sendable {
    struct Proposal {
        var group: UInt32
        var data: [UInt8]
        var continuation: ProposalCompletion
    }

    /// Where a proposal's outcome goes: a suspended task or a callback (called on the loop
    /// thread, so it must hand real work elsewhere). Resumed exactly once.
    struct ProposalCompletion: Sendable {
        let deliver: @Sendable (Result<ReplicatedOutcome<Machine.Result>, any Error>) -> Void

        init(_ deliver: @escaping @Sendable (Result<ReplicatedOutcome<Machine.Result>, any Error>) -> Void) {
            self.deliver = deliver
        }

        init(_ continuation: CheckedContinuation<ReplicatedOutcome<Machine.Result>, any Error>) {
            deliver = { continuation.resume(with: $0) }
        }

        func resume(returning outcome: ReplicatedOutcome<Machine.Result>) { deliver(.success(outcome)) }
        func resume(throwing error: any Error) { deliver(.failure(error)) }
    }

    /// A read of one group's applied machine: `perform` runs on the loop thread with the machine
    /// (it must be quick), `fail` when the read cannot be served. Exactly one of them runs, once.
    struct Read {
        var group: UInt32
        /// Read this replica's applied state as it is, without confirming leadership (may be stale).
        var local: Bool
        /// With `local`: answer once the store's rows (and any read model projected with them)
        /// hold everything this replica had applied when the read arrived.
        var durable: Bool = false
        /// With `local`: answer only once this replica has applied at least this index (a read
        /// index another replica's leader confirmed: a follower read that is not stale).
        var atLeast: UInt64 = 0
        /// Gets the machine and the index it has applied.
        var perform: @Sendable (Machine, UInt64) -> Void
        var fail: @Sendable (any Error) -> Void
    }

    /// Hand every group this node leads to another voter (draining before maintenance).
    struct Drain {
        var continuation: CheckedContinuation<Int, any Error>
    }

    /// One membership change of one group; answered with its log index once applied.
    struct Membership {
        var group: UInt32
        var change: RaftConfChange
        var continuation: CheckedContinuation<UInt64, any Error>
    }

    struct Work {
        var messages: [RaftEnvelope] = []
        var proposals: [Proposal] = []
        var reads: [Read] = []
        var drains: [Drain] = []
        var memberships: [Membership] = []
        /// Write jobs the writer thread made durable since the last take, in order.
        var written: [ReplicationWriteJob<Machine>] = []
        var stopped = false

        var isEmpty: Bool {
            messages.isEmpty && proposals.isEmpty && reads.isEmpty && written.isEmpty && drains.isEmpty && memberships.isEmpty && !stopped
        }
    }

    private let lock = NIOLock()
    private var work = Work()
    private var waiting = 0
    /// Set once the loop is told there is work, cleared when it takes it: callers wake it once per
    /// batch, not once per item.
    private var wakePending = false
    private var wake: (@Sendable () -> Void)?

    /// How the loop wants to be told there is work (it runs `takeAll()` in response).
    func onWork(_ wake: @escaping @Sendable () -> Void) {
        let pending = lock.withLock { () -> Bool in
            self.wake = wake
            return !work.isEmpty
        }
        if pending { wake() }
    }

    func deliver(_ envelopes: [RaftEnvelope]) {
        guard !envelopes.isEmpty else { return }
        enqueue { $0.messages.append(contentsOf: envelopes) }
    }

    func propose(_ proposal: Proposal, limit: Int) {
        if let refusal = admit(limit: limit, { $0.proposals.append(proposal) }) {
            proposal.continuation.resume(throwing: refusal)
        }
    }

    func changeMembership(_ change: Membership, limit: Int) {
        if let refusal = admit(limit: limit, { $0.memberships.append(change) }) {
            change.continuation.resume(throwing: refusal)
        }
    }

    func read(_ read: Read, limit: Int) {
        if let refusal = admit(limit: limit, { $0.reads.append(read) }) {
            read.fail(refusal)
        }
    }

    /// Queues a caller's request unless the loop stopped or holds `limit` callers already; returns
    /// the refusal otherwise (the caller is resumed outside the lock).
    private func admit(limit: Int, _ add: (inout Work) -> Void) -> ReplicationError? {
        var refusal: ReplicationError?
        enqueue { work in
            if work.stopped { refusal = .stopped; return false }
            if waiting >= limit { refusal = .overloaded; return false }
            add(&work)
            return true
        }
        return refusal
    }

    private func enqueue(_ add: (inout Work) -> Void) {
        enqueue { work -> Bool in
            add(&work)
            return true
        }
    }

    /// Runs `add` under the lock; if it added something and the loop was not told yet, tells it
    /// (outside the lock).
    private func enqueue(_ add: (inout Work) -> Bool) {
        let wake = lock.withLock { () -> (@Sendable () -> Void)? in
            guard add(&work), !wakePending, let wake = self.wake else { return nil }
            wakePending = true
            return wake
        }
        wake?()
    }

    func written(_ jobs: [ReplicationWriteJob<Machine>]) {
        enqueue { $0.written.append(contentsOf: jobs) }
    }

    /// Not bounded by the callers' limit: only a stopped loop refuses it.
    func drain(_ drain: Drain) {
        if let refusal = admit(limit: .max, { $0.drains.append(drain) }) {
            drain.continuation.resume(throwing: refusal)
        }
    }

    func stop() {
        enqueue { $0.stopped = true }
    }

    /// The loop reports how many callers it holds, for back-pressure.
    func setWaiting(_ count: Int) {
        lock.withLock { waiting = count }
    }

    /// Everything queued (possibly nothing); the next item queued wakes the loop again.
    func takeAll() -> Work {
        lock.withLock {
            wakePending = false
            let taken = work
            work.messages.removeAll(keepingCapacity: true)
            work.proposals.removeAll(keepingCapacity: true)
            work.reads.removeAll(keepingCapacity: true)
            work.written.removeAll(keepingCapacity: true)
            work.drains.removeAll(keepingCapacity: true)
            work.memberships.removeAll(keepingCapacity: true)
            return taken
        }
    }
}
