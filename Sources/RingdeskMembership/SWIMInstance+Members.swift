extension SWIMInstance {
    /// One member as the local node sees it; `state` carries what only that status needs.
    struct MemberRecord: Sendable {
        var id: SWIMNodeID
        var incarnation: UInt64
        var metadata: SWIMNodeMetadata
        var payload: [UInt8]
        var state: MemberState
        /// When a message from this member last arrived (direct evidence that it runs).
        var lastHeardAt = SWIMTime(nanoseconds: .min)

        var status: SWIMStatus {
            switch state {
            case .alive: .alive
            case .suspect: .suspect
            case .dead: .dead
            case .left: .left
            }
        }

        var snapshot: SWIMMember {
            SWIMMember(id: id, status: status, incarnation: incarnation, metadata: metadata, payload: payload)
        }

        var record: SWIMMemberRecord {
            SWIMMemberRecord(id: id, status: status, incarnation: incarnation, metadata: metadata, payload: payload)
        }
    }

    enum MemberState: Sendable {
        case alive
        case suspect(SWIMSuspicion)
        case dead(since: SWIMTime)
        case left(since: SWIMTime)
    }

    /// Adds a member not seen before (alive).
    mutating func addMember(_ id: SWIMNodeID, incarnation: UInt64, metadata: SWIMNodeMetadata, payload: [UInt8]) {
        recordIndex[id] = records.count
        records.append(MemberRecord(id: id, incarnation: incarnation, metadata: metadata, payload: payload, state: .alive))
        liveCount += 1
        // A newcomer goes to a random place in the current round, as in SWIM's randomised round-robin.
        let position = probeCursor + random.below(probeOrder.count - probeCursor + 1)
        probeOrder.insert(id, at: position)
    }

    /// Sets a member's state, keeping the live and dead counts and the suspect list true.
    mutating func setState(_ state: MemberState, at index: Int) {
        let before = records[index].status
        records[index].state = state
        let after = records[index].status
        if before.isLive { liveCount -= 1 }
        if before == .dead { deadCount -= 1 }
        if after.isLive { liveCount += 1 }
        if after == .dead { deadCount += 1 }
        if case .suspect(let suspicion) = state { noteSuspicionDeadline(suspicion.deadline) }
        if after == .suspect, before != .suspect { suspects.append(records[index].id) }
        if before == .suspect, after != .suspect, let position = suspects.firstIndex(of: records[index].id) {
            suspects.swapAt(position, suspects.count - 1)
            suspects.removeLast()
        }
    }

    /// Forgets dead and left members older than `deadMemberRetention`.
    mutating func reclaimTombstones(now: SWIMTime) {
        var index = 0
        while index < records.count {
            let since: SWIMTime
            switch records[index].state {
            case .dead(let time): since = time
            case .left(let time): since = time
            case .alive, .suspect:
                index += 1
                continue
            }
            guard now.nanoseconds - since.nanoseconds >= timing.deadMemberRetention else {
                index += 1
                continue
            }
            if records[index].status == .dead { deadCount -= 1 }
            let removed = records[index].id
            recordIndex[removed] = nil
            broadcasts.remove(about: removed)
            let last = records.count - 1
            if index != last {
                records.swapAt(index, last)
                recordIndex[records[index].id] = index
            }
            records.removeLast()
        }
    }

    func change(at index: Int, previous: SWIMStatus?, cause: SWIMMembershipChange.Cause) -> SWIMDirective {
        .membershipChanged(SWIMMembershipChange(member: records[index].snapshot, previousStatus: previous, cause: cause))
    }

    /// Up to `count` distinct random live members, `excluded` left out.
    mutating func randomLiveMembers(count: Int, excluding excluded: SWIMNodeID?) -> [SWIMNodeID] {
        let available = liveCount - (excluded.map { recordIndex[$0].map { records[$0].status.isLive ? 1 : 0 } ?? 0 } ?? 0)
        let wanted = min(count, available)
        guard wanted > 0 else { return [] }
        var chosen: [SWIMNodeID] = []
        chosen.reserveCapacity(wanted)
        if available <= wanted * 4 || records.count > liveCount * 2 {
            // Small or tombstone-heavy: a partial Fisher-Yates shuffle over the live members.
            var candidates: [SWIMNodeID] = []
            candidates.reserveCapacity(available)
            for record in records where record.status.isLive && record.id != excluded {
                candidates.append(record.id)
            }
            for position in 0..<wanted {
                let pick = position + random.below(candidates.count - position)
                candidates.swapAt(position, pick)
                chosen.append(candidates[position])
            }
            return chosen
        }
        // Large and mostly live: rejection sampling, expected well under two draws per pick.
        while chosen.count < wanted {
            let record = records[random.below(records.count)]
            if record.status.isLive, record.id != excluded, !chosen.contains(record.id) {
                chosen.append(record.id)
            }
        }
        return chosen
    }
}
