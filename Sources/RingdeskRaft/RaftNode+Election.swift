extension RaftNode {
    /// One unit of logical time.
    public mutating func tick() {
        if leadership != nil {
            tickLeader()
        } else {
            electionElapsed += 1
            if isPromotable, electionElapsed >= randomizedElectionTimeout {
                electionElapsed = 0
                startElection(transfer: false)
            }
        }
    }

    private mutating func tickLeader() {
        electionElapsed += 1
        leadership?.heartbeatElapsed += 1
        if electionElapsed >= configuration.electionTicks {
            electionElapsed = 0
            if configuration.checkQuorum, !quorumRecentlyActive() {
                becomeFollower(term: term, leader: 0)
                return
            }
            if leadership?.removed == true {
                // The hand-over after this leader's removal did not happen in time.
                becomeFollower(term: term, leader: 0)
                return
            }
            leadership?.transferee = 0
        }
        tickSnapshotWaits()
        if let elapsed = leadership?.heartbeatElapsed, elapsed >= configuration.heartbeatTicks {
            leadership?.heartbeatElapsed = 0
            broadcastHeartbeat()
        }
    }

    /// Whether a quorum of voters was heard from since the last check; resets the marks.
    private mutating func quorumRecentlyActive() -> Bool {
        guard var progress = leadership?.progress else { return false }
        var active = 0
        for voter in conf.voters {
            if voter == id || progress[voter]?.recentActive == true { active += 1 }
        }
        for key in progress.keys { progress[key]?.recentActive = false }
        leadership?.progress = progress
        return active >= quorum
    }

    /// Pre-vote first (no term change) unless this is a leadership transfer.
    mutating func startElection(transfer: Bool) {
        guard leadership == nil, isPromotable else { return }
        // A committed but unapplied membership change could change who may vote; wait for it.
        if hasUnappliedConfChange { return }
        if configuration.preVote && !transfer {
            becomePreCandidate()
        } else {
            becomeCandidate()
        }
        let kind: RaftMessageKind = role == .preCandidate ? .preVote : .vote
        let campaignTerm = role == .preCandidate ? term + 1 : term
        if recordVote(from: id, granted: true) { return }
        for voter in conf.voters where voter != id {
            send(RaftMessage(kind: kind, from: id, to: voter, term: campaignTerm, logTerm: log.lastTerm, index: log.lastIndex,
                             context: transfer ? 1 : 0))
        }
    }

    private var hasUnappliedConfChange: Bool {
        guard log.committed > log.applied else { return false }
        var index = log.applied + 1
        while index <= log.committed {
            if log.entry(at: index)?.kind == .configChange { return true }
            index += 1
        }
        return false
    }

    /// Counts a vote; returns true when the campaign is decided (won or lost).
    mutating func recordVote(from voter: RaftNodeID, granted: Bool) -> Bool {
        if votes[voter] == nil { votes[voter] = granted }
        let yes = conf.voters.filter { votes[$0] == true }.count
        let no = conf.voters.filter { votes[$0] == false }.count
        if yes >= quorum {
            if role == .preCandidate {
                becomeCandidate()
                if !recordVote(from: id, granted: true) { broadcastVotes() }
            } else {
                becomeLeader()
            }
            return true
        }
        if no >= quorum {
            becomeFollower(term: term, leader: 0)
            return true
        }
        return false
    }

    private mutating func broadcastVotes() {
        for voter in conf.voters where voter != id {
            send(RaftMessage(kind: .vote, from: id, to: voter, term: term, logTerm: log.lastTerm, index: log.lastIndex))
        }
    }

    mutating func becomeFollower(term newTerm: UInt64, leader newLeader: RaftNodeID) {
        if newTerm > term {
            term = newTerm
            vote = 0
        }
        leader = newLeader
        role = .follower
        leadership = nil
        // Only a leader sends snapshots: an image asked for while leading is not needed now.
        wantsSnapshotImage = false
        votes = [:]
        electionElapsed = 0
        resetRandomizedElectionTimeout()
    }

    private mutating func becomePreCandidate() {
        role = .preCandidate
        leader = 0
        leadership = nil
        votes = [:]
        electionElapsed = 0
        resetRandomizedElectionTimeout()
    }

    private mutating func becomeCandidate() {
        term += 1
        vote = id
        role = .candidate
        leader = 0
        leadership = nil
        votes = [:]
        electionElapsed = 0
        resetRandomizedElectionTimeout()
    }

    private mutating func becomeLeader() {
        role = .leader
        leader = id
        votes = [:]
        electionElapsed = 0
        var progress: [RaftNodeID: RaftProgress] = [:]
        for peer in conf.voters + conf.learners {
            var p = RaftProgress(next: log.lastIndex + 1)
            p.recentActive = true
            if peer == id { p.match = log.stabled }
            progress[peer] = p
        }
        if progress[id] == nil {
            var own = RaftProgress(next: log.lastIndex + 1)
            own.match = log.stabled
            progress[id] = own
        }
        // Any membership change in the uncommitted tail counts as pending.
        leadership = Leadership(progress: progress, pendingConfIndex: log.lastIndex)
        // An entry of the new term: committing it commits everything before it (and read-index
        // needs it to know the commit index).
        log.appendLocal([RaftEntry(term: term, index: log.lastIndex + 1)])
        broadcastAppend()
    }

    mutating func resetRandomizedElectionTimeout() {
        let base = max(configuration.electionTicks, 1)
        randomizedElectionTimeout = base + random.below(base)
    }

    /// Whether this replica still trusts a leader it heard from recently (check-quorum lease).
    var inLease: Bool {
        configuration.checkQuorum && leader != 0 && electionElapsed < configuration.electionTicks
    }

    /// A vote or pre-vote request (terms already reconciled by `step`).
    mutating func handleVoteRequest(_ message: RaftMessage) {
        let isPreVote = message.kind == .preVote
        let canVote = vote == message.from
            || (vote == 0 && leader == 0)
            || (isPreVote && message.term > term)
        let grant = canVote && !recovering && log.isUpToDate(lastIndex: message.index, lastTerm: message.logTerm)
        let responseKind: RaftMessageKind = isPreVote ? .preVoteResponse : .voteResponse
        if grant {
            send(RaftMessage(kind: responseKind, from: id, to: message.from, term: message.term))
            if !isPreVote {
                vote = message.from
                electionElapsed = 0
            }
        } else {
            send(RaftMessage(kind: responseKind, from: id, to: message.from, term: term, reject: true))
        }
    }

    mutating func handleVoteResponse(_ message: RaftMessage) {
        switch (role, message.kind) {
        case (.preCandidate, .preVoteResponse), (.candidate, .voteResponse):
            _ = recordVote(from: message.from, granted: !message.reject)
        default:
            break
        }
    }
}
