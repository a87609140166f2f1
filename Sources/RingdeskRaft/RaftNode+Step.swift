extension RaftNode {
    /// Handles one message from another replica. Stale, misaddressed or nonsensical messages are
    /// ignored (or answered so a stale sender learns the newer term); nothing a peer sends traps.
    public mutating func step(_ message: RaftMessage) {
        guard message.to == id, message.from != id, message.from != 0, Self.isPlausible(message) else { return }
        if message.term > term {
            switch message.kind {
            case .preVote, .vote:
                // A replica that trusts a live leader ignores campaigns, unless the leader itself
                // asked for this one (transfer).
                if inLease && message.context != 1 { return }
                if message.kind == .vote {
                    becomeFollower(term: message.term, leader: 0)
                }
            case .preVoteResponse where !message.reject:
                // Granted pre-votes carry the term the candidate will campaign at.
                break
            case .append, .heartbeat, .installSnapshot:
                becomeFollower(term: message.term, leader: message.from)
            default:
                becomeFollower(term: message.term, leader: 0)
            }
        } else if message.term < term {
            switch message.kind {
            case .append, .heartbeat:
                // A deposed leader that does not know it yet: tell it the current term.
                send(RaftMessage(kind: .appendResponse, from: id, to: message.from, term: term, reject: true))
            case .preVote:
                send(RaftMessage(kind: .preVoteResponse, from: id, to: message.from, term: term, reject: true))
            default:
                break
            }
            return
        }

        switch message.kind {
        case .preVote, .vote:
            handleVoteRequest(message)
        case .preVoteResponse, .voteResponse:
            handleVoteResponse(message)
        case .append, .heartbeat, .installSnapshot:
            if role == .candidate || role == .preCandidate {
                becomeFollower(term: term, leader: message.from)
            }
            guard leadership == nil else { return }  // two leaders in one term cannot happen
            leader = message.from
            electionElapsed = 0
            switch message.kind {
            case .append: handleAppend(message)
            case .heartbeat: handleHeartbeat(message)
            default: handleSnapshot(message)
            }
        case .appendResponse:
            handleAppendResponse(message)
        case .heartbeatResponse:
            handleHeartbeatResponse(message)
        case .timeoutNow:
            if leadership == nil, isPromotable {
                startElection(transfer: true)
            }
        }
    }

    /// Indexes, terms and counters far beyond anything a real group reaches (2^62) come only from
    /// a broken or hostile peer; refusing them keeps every index computation free of overflow.
    static func isPlausible(_ message: RaftMessage) -> Bool {
        let limit: UInt64 = 1 << 62
        guard message.term < limit, message.logTerm < limit, message.index < limit, message.commit < limit,
              message.rejectHint < limit, message.context < limit else { return false }
        for entry in message.entries where entry.index >= limit || entry.term >= limit { return false }
        if let metadata = message.snapshot?.metadata, metadata.index >= limit || metadata.term >= limit { return false }
        return true
    }

    // MARK: Leader: proposals and appends

    mutating func appendProposal(kind: RaftEntryKind, data: [UInt8]) throws(RaftError) -> UInt64 {
        guard let leadership else { throw .notLeader(leader) }
        guard leadership.transferee == 0 else { throw .transferring }
        guard leadership.uncommittedBytes + data.count <= configuration.maxUncommittedBytes || leadership.uncommittedBytes == 0 else {
            throw .tooMuchUncommitted
        }
        let index = log.lastIndex + 1
        log.appendLocal([RaftEntry(term: term, index: index, kind: kind, data: data)])
        self.leadership?.uncommittedBytes += data.count
        // Batching: proposals made before the next `ready()` leave together, one append per
        // follower, instead of one message each.
        self.leadership?.appendsPending = true
        return index
    }

    /// Sends the appends proposals left pending (called by `ready()`).
    mutating func flushPendingAppends() {
        guard leadership?.appendsPending == true else { return }
        leadership?.appendsPending = false
        broadcastAppend()
    }

    mutating func broadcastAppend(allowEmpty: Bool = false) {
        // Sorted: the order of messages must not depend on hashing, so a simulation replays exactly.
        guard let peers = leadership?.progress.keys.sorted() else { return }
        for peer in peers where peer != id {
            sendAppend(to: peer, allowEmpty: allowEmpty)
        }
    }

    /// Sends what `to` is missing, as far as its progress state allows.
    mutating func sendAppend(to peer: RaftNodeID, allowEmpty: Bool = true) {
        guard var progress = leadership?.progress[peer],
              !progress.isPaused(maxInflight: configuration.maxInflightAppends) else { return }
        let previous = progress.next - 1
        guard let previousTerm = log.term(at: previous) else {
            sendSnapshot(to: peer, progress: &progress)
            leadership?.progress[peer] = progress
            return
        }
        let entries = log.slice(from: progress.next, maxCount: configuration.maxEntriesPerAppend,
                                maxBytes: configuration.maxBytesPerAppend)
        if entries.isEmpty && !allowEmpty { return }
        send(RaftMessage(kind: .append, from: id, to: peer, term: term, logTerm: previousTerm, index: previous,
                         entries: entries, commit: log.committed, context: log.lastIndex))
        switch progress.state {
        case .replicate:
            if let last = entries.last {
                progress.next = last.index + 1
                progress.inflight.append(last.index)
            }
        case .probe:
            progress.state = .probe(sent: true)
        case .snapshot:
            break
        }
        leadership?.progress[peer] = progress
        // Pipelining: in replicate state keep sending while entries remain and the window allows.
        if case .replicate = progress.state, !entries.isEmpty, progress.next <= log.lastIndex {
            sendAppend(to: peer, allowEmpty: false)
        }
    }

    private mutating func sendSnapshot(to peer: RaftNodeID, progress: inout RaftProgress) {
        guard let snapshotConf, log.snapshotIndex > 0 else { return }
        guard let data = snapshotData else {
            // Compacted without an image: the application encodes one; the follower stays in
            // probe and gets it on a later heartbeat response.
            wantsSnapshotImage = true
            return
        }
        let metadata = RaftSnapshotMetadata(index: log.snapshotIndex, term: log.snapshotTerm, conf: snapshotConf)
        // `context`: our last index, as on appends: a recovering follower stays out of elections
        // until it holds that much, and a snapshot may well be older.
        send(RaftMessage(kind: .installSnapshot, from: id, to: peer, term: term, context: log.lastIndex,
                         snapshot: RaftSnapshot(metadata: metadata, data: data)))
        progress.state = .snapshot(index: log.snapshotIndex, waitedTicks: 0)
        progress.inflight.removeAll(keepingCapacity: true)
    }

    /// A follower waiting for a snapshot that never arrived (lost) gets another after a while.
    mutating func tickSnapshotWaits() {
        guard let peers = leadership?.progress.keys.sorted() else { return }
        for peer in peers {
            guard case .snapshot(let index, let waited)? = leadership?.progress[peer]?.state else { continue }
            if waited + 1 >= configuration.electionTicks * 2 {
                leadership?.progress[peer]?.becomeProbe()
            } else {
                leadership?.progress[peer]?.state = .snapshot(index: index, waitedTicks: waited + 1)
            }
        }
    }

    mutating func broadcastHeartbeat() {
        guard let leadership else { return }
        for (peer, progress) in leadership.progress.sorted(by: { $0.key < $1.key }) where peer != id {
            // Never tell a follower to commit past what it is known to hold.
            send(RaftMessage(kind: .heartbeat, from: id, to: peer, term: term, commit: min(progress.match, log.committed),
                             context: leadership.readRound))
        }
    }

    /// Advances the commit index to what a quorum holds, if that entry is of this term.
    mutating func maybeCommit() -> Bool {
        guard let leadership else { return false }
        var matches = conf.voters.map { leadership.progress[$0]?.match ?? 0 }
        guard !matches.isEmpty else { return false }
        matches.sort(by: >)
        let candidate = matches[quorum - 1]
        guard candidate > log.committed, log.term(at: candidate) == term else { return false }
        let before = log.committed
        log.commit(to: candidate)
        var released = 0
        var index = before + 1
        while index <= candidate {
            released += log.entry(at: index)?.data.count ?? 0
            index += 1
        }
        self.leadership?.uncommittedBytes = max(0, leadership.uncommittedBytes - released)
        if before < candidate, let pending = self.leadership?.readsBeforeFirstCommit, !pending.isEmpty {
            self.leadership?.readsBeforeFirstCommit = []
            for requestID in pending { registerRead(requestID) }
        }
        return true
    }

    mutating func handleAppendResponse(_ message: RaftMessage) {
        guard var progress = leadership?.progress[message.from] else { return }
        progress.recentActive = true
        if message.reject {
            let lost = message.context == 1 || message.rejectHint < progress.match
            if lost {
                // The follower holds less than it acknowledged (it lost data and is recovering, or
                // acknowledgements from before a crash arrived late): forget them. A reordered old
                // rejection can land here too; that only costs a resend.
                progress.match = min(progress.match, message.rejectHint)
                if message.context == 1 { progress.match = 0 }
            }
            let stale: Bool
            switch progress.state {
            case .replicate: stale = message.index <= progress.match
            case .probe: stale = message.index != progress.next - 1
            case .snapshot: stale = true
            }
            if !stale || lost {
                let hint = log.findConflict(atOrBefore: message.rejectHint, term: message.logTerm)
                progress.becomeProbe()
                progress.next = max(min(message.index, hint + 1), progress.match + 1)
                leadership?.progress[message.from] = progress
                sendAppend(to: message.from)
            } else {
                leadership?.progress[message.from] = progress
            }
            return
        }
        let advanced = progress.acknowledge(message.index)
        switch progress.state {
        case .probe:
            progress.becomeReplicate()
        case .snapshot(let index, _):
            if progress.match >= index {
                progress.becomeProbe()
                progress.becomeReplicate()
            }
        case .replicate:
            break
        }
        leadership?.progress[message.from] = progress
        if advanced, maybeCommit() {
            broadcastAppend(allowEmpty: true)
        } else {
            sendAppend(to: message.from, allowEmpty: false)
        }
        if leadership?.transferee == message.from, progress.match == log.lastIndex {
            send(RaftMessage(kind: .timeoutNow, from: id, to: message.from, term: term))
        }
    }

    mutating func handleHeartbeatResponse(_ message: RaftMessage) {
        guard var progress = leadership?.progress[message.from] else { return }
        progress.recentActive = true
        if case .probe = progress.state { progress.state = .probe(sent: false) }
        if case .replicate = progress.state, progress.inflight.count >= configuration.maxInflightAppends {
            progress.inflight.removeFirst()
        }
        if message.context > progress.confirmedReadRound { progress.confirmedReadRound = message.context }
        if message.index < progress.match {
            // The follower holds less than it acknowledged: start over from what it has.
            progress.match = message.index
            progress.becomeProbe()
        }
        leadership?.progress[message.from] = progress
        if progress.match < log.lastIndex { sendAppend(to: message.from) }
        releaseConfirmedReads()
    }

    // MARK: Read index

    mutating func registerRead(_ requestID: UInt64) {
        guard var leadership else { return }
        if conf.voters == [id] {
            readStates.append(RaftReadState(requestID: requestID, index: log.committed))
            return
        }
        leadership.readRound += 1
        leadership.pendingReads.append((leadership.readRound, requestID, log.committed))
        self.leadership = leadership
        broadcastHeartbeat()
    }

    /// A round is confirmed once a quorum (with us) answered a heartbeat sent at or after it.
    private mutating func releaseConfirmedReads() {
        guard let leadership, let first = leadership.pendingReads.first else { return }
        var rounds = conf.voters.map { $0 == id ? UInt64.max : (leadership.progress[$0]?.confirmedReadRound ?? 0) }
        rounds.sort(by: >)
        let confirmed = rounds[quorum - 1]
        guard confirmed >= first.round else { return }
        var remaining = leadership.pendingReads
        while let read = remaining.first, read.round <= confirmed {
            readStates.append(RaftReadState(requestID: read.requestID, index: read.index))
            remaining.removeFirst()
        }
        self.leadership?.pendingReads = remaining
    }

    // MARK: Follower

    private mutating func handleAppend(_ message: RaftMessage) {
        let recoveringFlag: UInt64 = recovering ? 1 : 0
        if message.index < log.committed {
            send(RaftMessage(kind: .appendResponse, from: id, to: message.from, term: term, index: log.committed,
                             context: recoveringFlag))
            return
        }
        guard log.matchTerm(message.index, message.logTerm) else {
            let hint = log.findConflict(atOrBefore: message.index, term: message.logTerm)
            send(RaftMessage(kind: .appendResponse, from: id, to: message.from, term: term, logTerm: log.term(at: hint) ?? 0,
                             index: message.index, reject: true, rejectHint: hint, context: recoveringFlag))
            return
        }
        // Entries must be contiguous and of terms no newer than the message's; else ignore it.
        for (offset, entry) in message.entries.enumerated() {
            guard entry.index == message.index + 1 + UInt64(offset), entry.term <= message.term else { return }
        }
        guard log.appendReplicated(after: message.index, message.entries) else { return }
        let lastNew = message.index + UInt64(message.entries.count)
        log.commit(to: min(message.commit, lastNew))
        if recovering, lastNew >= message.context {
            recovering = false
        }
        send(RaftMessage(kind: .appendResponse, from: id, to: message.from, term: term, index: lastNew, context: recoveringFlag))
    }

    private mutating func handleHeartbeat(_ message: RaftMessage) {
        if message.commit <= log.lastIndex { log.commit(to: message.commit) }
        // `index`: our last index, so a leader that believes we hold more (we lost data) finds out.
        send(RaftMessage(kind: .heartbeatResponse, from: id, to: message.from, term: term, index: log.lastIndex,
                         context: message.context))
    }

    private mutating func handleSnapshot(_ message: RaftMessage) {
        guard let snapshot = message.snapshot else { return }
        let metadata = snapshot.metadata
        if metadata.index <= log.committed {
            send(RaftMessage(kind: .appendResponse, from: id, to: message.from, term: term, index: log.committed))
            return
        }
        if !recovering, log.matchTerm(metadata.index, metadata.term) {
            // We already hold that entry: just learn that it is committed.
            log.commit(to: metadata.index)
            send(RaftMessage(kind: .appendResponse, from: id, to: message.from, term: term, index: log.lastIndex))
            return
        }
        log.restore(index: metadata.index, term: metadata.term)
        conf = metadata.conf
        pendingSnapshot = snapshot
        snapshotData = snapshot.data
        snapshotConf = metadata.conf
        wantsSnapshotImage = false
        // A recovering replica may have acknowledged entries past this snapshot before it lost
        // them: it votes again only once it holds all the leader had when it sent the snapshot
        // (the appends that follow finish that, see `handleAppend`).
        if metadata.index >= message.context { recovering = false }
        send(RaftMessage(kind: .appendResponse, from: id, to: message.from, term: term, index: metadata.index,
                         context: recovering ? 1 : 0))
    }
}
