import Foundation
import RingdeskRaft
import RingdeskShard

/// Where callers leave work for the loop thread, and where the loop thread sleeps until there is
/// some (or its next tick is due).
///
/// `@unchecked Sendable`: every stored property is read and written only while holding
/// `condition`'s lock.
final class ReplicationInbox: @unchecked Sendable {
    struct Proposal {
        var group: UInt32
        var data: [UInt8]
        var continuation: CheckedContinuation<ShardProposalOutcome, any Error>
    }

    struct Read {
        var group: UInt32
        var ticketID: String
        /// Read this replica's applied state as it is, without confirming leadership (may be stale).
        var local: Bool
        var continuation: CheckedContinuation<ShardTicket?, any Error>
    }

    /// Hand every group this node leads to another voter (draining before maintenance).
    struct Drain {
        var continuation: CheckedContinuation<Int, any Error>
    }

    /// One membership change of one group; answered like a proposal once applied.
    struct Membership {
        var group: UInt32
        var change: RaftConfChange
        var proposal: Proposal
    }

    struct Work {
        var messages: [RaftEnvelope] = []
        var proposals: [Proposal] = []
        var reads: [Read] = []
        var drains: [Drain] = []
        var memberships: [Membership] = []
        /// Write jobs the writer thread made durable since the last take, in order.
        var written: [ReplicationWriteJob] = []
        var stopped = false
    }

    private let condition = NSCondition()
    private var work = Work()
    private var waiting = 0

    func deliver(_ envelopes: [RaftEnvelope]) {
        guard !envelopes.isEmpty else { return }
        condition.lock()
        work.messages.append(contentsOf: envelopes)
        condition.signal()
        condition.unlock()
    }

    func propose(_ proposal: Proposal, limit: Int) {
        if let refusal = admit(limit: limit, { $0.proposals.append(proposal) }) {
            proposal.continuation.resume(throwing: refusal)
        }
    }

    func changeMembership(_ change: Membership, limit: Int) {
        if let refusal = admit(limit: limit, { $0.memberships.append(change) }) {
            change.proposal.continuation.resume(throwing: refusal)
        }
    }

    func read(_ read: Read, limit: Int) {
        if let refusal = admit(limit: limit, { $0.reads.append(read) }) {
            read.continuation.resume(throwing: refusal)
        }
    }

    /// Queues a caller's request unless the loop stopped or holds `limit` callers already; returns
    /// the refusal otherwise (the caller is resumed outside the lock).
    private func admit(limit: Int, _ enqueue: (inout Work) -> Void) -> ReplicationError? {
        condition.lock()
        defer { condition.unlock() }
        if work.stopped { return .stopped }
        if waiting >= limit { return .overloaded }
        enqueue(&work)
        condition.signal()
        return nil
    }

    func written(_ jobs: [ReplicationWriteJob]) {
        condition.lock()
        work.written.append(contentsOf: jobs)
        condition.signal()
        condition.unlock()
    }

    func drain(_ drain: Drain) {
        condition.lock()
        if work.stopped {
            condition.unlock()
            drain.continuation.resume(throwing: ReplicationError.stopped)
            return
        }
        work.drains.append(drain)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        work.stopped = true
        condition.signal()
        condition.unlock()
    }

    /// The loop reports how many callers it holds, for back-pressure.
    func setWaiting(_ count: Int) {
        condition.lock()
        waiting = count
        condition.unlock()
    }

    /// Everything queued, waiting until something is or `deadline` passes.
    func take(until deadline: Date) -> Work {
        condition.lock()
        defer { condition.unlock() }
        while work.messages.isEmpty, work.proposals.isEmpty, work.reads.isEmpty, work.written.isEmpty, work.drains.isEmpty,
              work.memberships.isEmpty, !work.stopped {
            if !condition.wait(until: deadline) { break }
        }
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
