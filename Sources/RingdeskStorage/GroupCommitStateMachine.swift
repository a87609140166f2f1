/// The queue discipline of the group-commit writer, with no I/O: requests in, batches out.
///
/// While a transaction runs, new requests queue; when it ends, the next transaction takes
/// everything queued up to the batch limit. The owner (`SQLiteStorage`) holds this in a `Mutex`
/// and performs the returned actions after unlocking.
struct GroupCommitStateMachine<Request, Waiter> {
    private enum Phase {
        /// No transaction is running or scheduled.
        case idle
        /// A writer loop is scheduled or running and will call `nextBatch` until it gets `.stop`.
        case draining
    }

    private var phase: Phase = .idle
    private var queue: [(request: Request, weight: Int)] = []
    private var queueHead = 0
    /// Set by `close`: new requests are refused; queued ones still commit.
    private var closing = false
    /// Test hook: while paused, queued requests wait and no transaction starts.
    private var paused = false
    private var closeWaiters: [Waiter] = []
    private var queuedWaiters: [(count: Int, waiter: Waiter)] = []

    /// Requests waiting for a transaction.
    var queuedCount: Int { queue.count - queueHead }

    enum EnqueueAction {
        /// Schedule a writer loop; resume the waiters (test hook) now.
        case startWriter(resume: [Waiter])
        /// A loop is already running (or the writer is paused); resume the waiters now.
        case queued(resume: [Waiter])
        /// The store is closing: fail the request.
        case rejectClosed
    }

    mutating func enqueue(_ request: Request, weight: Int) -> EnqueueAction {
        if closing { return .rejectClosed }
        queue.append((request, weight))
        let ready = takeSatisfiedQueuedWaiters()
        switch phase {
        case .idle where !paused:
            phase = .draining
            return .startWriter(resume: ready)
        case .idle, .draining:
            return .queued(resume: ready)
        }
    }

    enum BatchAction {
        /// Apply these requests in one transaction, then call `nextBatch` again.
        case run([Request])
        /// Nothing to do: the loop ends. Resume the close waiters, if any.
        case stop(resumeClosers: [Waiter])
    }

    /// Called by the writer loop: takes queued requests whose weights fit in `maxWeight`
    /// (always at least one, so an oversized request runs alone).
    mutating func nextBatch(maxWeight: Int) -> BatchAction {
        precondition(phase == .draining, "nextBatch outside a writer loop")
        if queuedCount == 0 || (paused && !closing) {
            phase = .idle
            let closers = closing ? closeWaiters : []
            if closing { closeWaiters = [] }
            return .stop(resumeClosers: closers)
        }
        var batch: [Request] = []
        var weight = 0
        while queueHead < queue.count {
            let next = queue[queueHead]
            if !batch.isEmpty && weight + next.weight > maxWeight { break }
            batch.append(next.request)
            weight += next.weight
            queueHead += 1
        }
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        } else if queueHead > 4096 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return .run(batch)
    }

    enum CloseAction {
        /// Nothing is running or queued: close now.
        case closeNow
        /// Wait to be resumed by the writer loop's `.stop`.
        case wait
        /// Queued requests exist but no loop runs (paused): schedule one, then wait.
        case startWriterAndWait
    }

    mutating func close(_ waiter: Waiter) -> CloseAction {
        closing = true
        switch phase {
        case .draining:
            closeWaiters.append(waiter)
            return .wait
        case .idle where queuedCount > 0:
            closeWaiters.append(waiter)
            phase = .draining
            return .startWriterAndWait
        case .idle:
            return .closeNow
        }
    }

    mutating func pause() {
        paused = true
    }

    /// Returns true when the owner must schedule a writer loop.
    mutating func resume() -> Bool {
        paused = false
        if phase == .idle && queuedCount > 0 {
            phase = .draining
            return true
        }
        return false
    }

    /// Test hook: returns the waiter back when `count` requests are already queued, else keeps it.
    mutating func waitUntilQueued(_ count: Int, _ waiter: Waiter) -> Waiter? {
        if queuedCount >= count { return waiter }
        queuedWaiters.append((count, waiter))
        return nil
    }

    private mutating func takeSatisfiedQueuedWaiters() -> [Waiter] {
        guard !queuedWaiters.isEmpty else { return [] }
        let queued = queuedCount
        var ready: [Waiter] = []
        queuedWaiters.removeAll { entry in
            if entry.count <= queued {
                ready.append(entry.waiter)
                return true
            }
            return false
        }
        return ready
    }
}
