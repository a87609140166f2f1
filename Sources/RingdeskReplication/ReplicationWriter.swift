import Foundation
import GRDB
import Logging
import RingdeskRaft
import RingdeskShard

/// One turn's durable work: every group's Ready share, applied rows, compactions, and what may
/// only happen once it is on disk (messages that promise persistence, `advance`).
struct ReplicationWriteJob<Machine: ReplicatedStateMachine>: Sendable {
    var writes: [RaftLogStore.GroupWrite] = []
    /// Applied row changes, converted to store rows (records encoded) on the writer thread.
    var applies: [AppliedRows<Machine>] = []
    /// Snapshots to record (after this job's applies, in the same transaction); the loop hands
    /// them to the cores once the job is durable.
    var compactions: [Compaction<Machine>] = []
    var recovered: [UInt32] = []
    /// Messages to send after the write, by peer.
    var late: [RaftNodeID: [RaftEnvelope]] = [:]
    /// The Readies to `advance` after the write, by group.
    var readies: [(group: Int, ready: RaftReady)] = []
}

/// A snapshot at an applied index: the store records its metadata (the applied rows are the state
/// there) and drops the log before it. When a follower needs the state machine's image, `imageOf`
/// carries the machine as of `metadata.index` (a copy-on-write value) and the writer thread
/// encodes it into `image`, so a large image never stalls the loop.
struct Compaction<Machine: ReplicatedStateMachine>: Sendable {
    var group: UInt32
    var metadata: RaftSnapshotMetadata
    var imageOf: Machine?
    var image: [UInt8]?
}

/// Writes a replicated machine's read model (tables of its own beside the store's) from the row
/// changes of one writer transaction, inside that transaction: the read model and the applied
/// index it reflects are never seen apart. Runs on the writer thread.
public typealias ReadModelProjection<Machine: ReplicatedStateMachine> =
    @Sendable (_ applied: [AppliedChanges<Machine>], _ db: Database) throws -> Void

/// One group's applied row changes, in apply order; `replaceAll` when they replace the group's
/// whole state (a snapshot was installed).
public struct AppliedChanges<Machine: ReplicatedStateMachine>: Sendable {
    public var group: UInt32
    public var replaceAll: Bool
    public var changes: [Machine.RowChange]
}

/// One group's applied state machine changes, as the loop leaves them for the writer.
struct AppliedRows<Machine: ReplicatedStateMachine>: Sendable {
    var group: UInt32
    var appliedIndex: UInt64
    var replaceAll: Bool
    var changes: [Machine.RowChange]
}

/// The thread that makes write jobs durable, so the loop thread keeps stepping messages and
/// answering proposals while a transaction's fsync runs. Jobs queued while one is being written
/// are written together in the next transaction (group commit across turns), in order.
///
/// `@unchecked Sendable`: `queue` and `stopping` are only touched under `condition`'s lock.
final class ReplicationWriter<Machine: ReplicatedStateMachine>: @unchecked Sendable {
    private let store: RaftLogStore
    private let projection: ReadModelProjection<Machine>?
    private let inbox: ReplicationInbox<Machine>
    private let logger: Logger
    private let condition = NSCondition()
    private var queue: [ReplicationWriteJob<Machine>] = []
    private var stopping = false
    private var stopped = false

    init(store: RaftLogStore, projection: ReadModelProjection<Machine>?, inbox: ReplicationInbox<Machine>, logger: Logger) {
        self.store = store
        self.projection = projection
        self.inbox = inbox
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "ringdesk-raft-writer"
        thread.start()
    }

    func submit(_ job: ReplicationWriteJob<Machine>) {
        condition.lock()
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Writes what is queued, then stops; returns once the thread is done.
    func stopAndWait() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    @_specialize(where Machine == ShardStateMachine)
    @_specialize(where Machine == TicketShardMachine)
    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            var jobs = queue
            queue.removeAll(keepingCapacity: true)
            let finish = jobs.isEmpty && stopping
            condition.unlock()
            if finish { break }
            var writes: [RaftLogStore.GroupWrite] = []
            var applies: [RaftLogStore.GroupApply] = []
            var compactions: [(group: UInt32, metadata: RaftSnapshotMetadata)] = []
            for index in jobs.indices {
                writes += jobs[index].writes
                applies += jobs[index].applies.map { RaftLogStore.GroupApply(group: $0.group, appliedIndex: $0.appliedIndex,
                                                                             replaceAll: $0.replaceAll, machineRows: $0.changes, of: Machine.self) }
                for position in jobs[index].compactions.indices {
                    let compaction = jobs[index].compactions[position]
                    if let machine = compaction.imageOf {
                        jobs[index].compactions[position].image = machine.snapshot()
                        jobs[index].compactions[position].imageOf = nil
                    }
                    compactions.append((compaction.group, compaction.metadata))
                }
            }
            let applied = jobs.flatMap { $0.applies.map { AppliedChanges<Machine>(group: $0.group, replaceAll: $0.replaceAll, changes: $0.changes) } }
            let project = projection.map { projection in { (db: Database) throws in try projection(applied, db) } }
            do {
                try store.commit(writes: writes, applies: applies, compactions: compactions, project: project)
                for group in jobs.flatMap(\.recovered) { try store.markRecovered(group: group) }
            } catch {
                // The disk refused a write the protocol already relies on: continuing could break
                // promises made to peers, so the node stops here and recovers from its log on restart.
                logger.critical("raft storage write failed; stopping", metadata: ["error": "\(error)"])
                fatalError("raft storage write failed: \(error)")
            }
            inbox.written(jobs)
        }
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
