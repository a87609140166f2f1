/// The leader's view of one follower's log.
struct RaftProgress: Sendable {
    enum State: Sendable, Equatable {
        /// Finding where the logs match: one append at a time, retried each heartbeat.
        case probe(sent: Bool)
        /// Logs match; appends are pipelined up to the in-flight window.
        case replicate
        /// The follower needs a snapshot at `index`; appends wait until it acknowledges.
        case snapshot(index: UInt64, waitedTicks: Int)
    }

    var match: UInt64 = 0
    var next: UInt64
    var state: State = .probe(sent: false)
    /// Last index of each append in flight, oldest first (replicate state only).
    var inflight: [UInt64] = []
    /// Heard from since the last check-quorum round.
    var recentActive = false
    /// Highest read-index round this follower confirmed through a heartbeat response.
    var confirmedReadRound: UInt64 = 0

    init(next: UInt64) {
        self.next = next
    }

    mutating func becomeProbe() {
        if case .snapshot(let index, _) = state {
            next = max(match + 1, index + 1)
        } else {
            next = match + 1
        }
        state = .probe(sent: false)
        inflight.removeAll(keepingCapacity: true)
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        inflight.removeAll(keepingCapacity: true)
    }

    /// Records an acknowledgement; false when it says nothing new (a stale or duplicated reply).
    mutating func acknowledge(_ index: UInt64) -> Bool {
        var updated = false
        if index > match {
            match = index
            updated = true
        }
        if next < index + 1 { next = index + 1 }
        if let keep = inflight.firstIndex(where: { $0 > index }) {
            inflight.removeFirst(keep)
        } else {
            inflight.removeAll(keepingCapacity: true)
        }
        return updated
    }

    func isPaused(maxInflight: Int) -> Bool {
        switch state {
        case .probe(let sent): sent
        case .replicate: inflight.count >= maxInflight
        case .snapshot: true
        }
    }
}
