extension SWIMInstance {
    /// Applies one piece of gossip (SWIM's precedence rules, memberlist's refinements): a higher
    /// incarnation wins; at equal incarnation suspect beats alive and dead/left beat both. News
    /// that changed the local view is re-broadcast.
    mutating func apply(_ update: SWIMUpdate, from sender: SWIMNodeID, now: SWIMTime, into out: inout [SWIMDirective]) {
        switch update {
        case .alive(let subject, let incarnation, let newMetadata, let newPayload):
            applyAlive(subject, incarnation: incarnation, metadata: newMetadata, payload: newPayload, now: now, into: &out)
        case .suspect(let subject, let incarnation, let suspector):
            applySuspect(subject, incarnation: incarnation, suspector: suspector, cause: .gossip, now: now, into: &out)
        case .dead(let subject, let incarnation, let declarer):
            applyDown(subject, incarnation: incarnation, left: false, declarer: declarer, now: now, into: &out)
        case .left(let subject, let incarnation):
            applyDown(subject, incarnation: incarnation, left: true, declarer: subject, now: now, into: &out)
        }
    }

    /// Merges one record of a full-state sync. A remote "dead" only makes the member suspect here
    /// (memberlist's rule): the local node gives it the chance to refute instead of trusting a
    /// view that may come from the other side of a partition.
    ///
    /// The converse also holds: a member we hold dead that the remote holds alive or suspect at the
    /// same incarnation is disputed (typically: the two sides of a healed partition). We suspect it
    /// again, which makes us probe it and, through the buddy system, tell it to refute; a member that
    /// is really gone is declared dead again after the suspicion timeout.
    mutating func merge(_ record: SWIMMemberRecord, from sender: SWIMNodeID, now: SWIMTime, into out: inout [SWIMDirective]) {
        guard record.payload.count <= configuration.maxPayloadBytes else { return }
        if record.status.isLive, let index = recordIndex[record.id], records[index].status == .dead,
           records[index].incarnation == record.incarnation {
            let bounds = SWIMSuspicion.bounds(clusterSize: liveCount + 1, configuration: configuration)
            let suspicion = SWIMSuspicion(startedAt: now, by: id, expectedConfirmations: bounds.expected,
                                          minimumNanoseconds: bounds.minimum, maximumNanoseconds: bounds.maximum)
            setState(.suspect(suspicion), at: index)
            revivals += 1
            let position = probeCursor + random.below(probeOrder.count - probeCursor + 1)
            probeOrder.insert(record.id, at: position)
            broadcasts.enqueue(.suspect(record.id, incarnation: record.incarnation, from: id))
            out.append(change(at: index, previous: .dead, cause: .gossip))
            return
        }
        switch record.status {
        case .alive:
            applyAlive(record.id, incarnation: record.incarnation, metadata: record.metadata, payload: record.payload, now: now, into: &out)
        case .suspect, .dead:
            applySuspect(record.id, incarnation: record.incarnation, suspector: sender, cause: .gossip, now: now, into: &out)
        case .left:
            applyDown(record.id, incarnation: record.incarnation, left: true, declarer: record.id, now: now, into: &out)
        }
    }

    mutating func applyAlive(_ subject: SWIMNodeID, incarnation newIncarnation: UInt64, metadata newMetadata: SWIMNodeMetadata,
                             payload newPayload: [UInt8], now: SWIMTime, into out: inout [SWIMDirective]) {
        guard newPayload.count <= configuration.maxPayloadBytes else { return }
        if subject == id {
            // Someone holds a newer or different picture of us (a previous life of this node).
            if newIncarnation > incarnation || (newIncarnation == incarnation && (newMetadata != metadata || newPayload != payload)) {
                refute(above: newIncarnation)
            }
            return
        }
        guard let index = recordIndex[subject] else {
            addMember(subject, incarnation: newIncarnation, metadata: newMetadata, payload: newPayload)
            broadcasts.enqueue(.alive(subject, incarnation: newIncarnation, metadata: newMetadata, payload: newPayload))
            out.append(change(at: records.count - 1, previous: nil, cause: .gossip))
            return
        }
        guard newIncarnation > records[index].incarnation else { return }
        let previous = records[index].status
        records[index].incarnation = newIncarnation
        records[index].metadata = newMetadata
        records[index].payload = newPayload
        if previous != .alive {
            setState(.alive, at: index)
            if !previous.isLive {
                revivals += 1
                // Back from the dead: probe it again in this round.
                let position = probeCursor + random.below(probeOrder.count - probeCursor + 1)
                probeOrder.insert(subject, at: position)
            }
        }
        broadcasts.enqueue(.alive(subject, incarnation: newIncarnation, metadata: newMetadata, payload: newPayload))
        out.append(change(at: index, previous: previous, cause: .gossip))
    }

    mutating func applySuspect(_ subject: SWIMNodeID, incarnation newIncarnation: UInt64, suspector: SWIMNodeID,
                               cause: SWIMMembershipChange.Cause, now: SWIMTime, into out: inout [SWIMDirective]) {
        if subject == id {
            if newIncarnation >= incarnation {
                refute(above: newIncarnation)
                raiseLocalHealth(by: 1)
            } else {
                answerStaleClaim()
            }
            return
        }
        guard let index = recordIndex[subject] else { return }
        let record = records[index]
        guard record.status.isLive, newIncarnation >= record.incarnation else { return }
        if case .suspect(var suspicion) = record.state, newIncarnation == record.incarnation {
            // Lifeguard: an independent confirmation shortens the timeout; pass it on.
            if suspicion.confirm(by: suspector) {
                records[index].state = .suspect(suspicion)
                noteSuspicionDeadline(suspicion.deadline)
                broadcasts.enqueue(.suspect(subject, incarnation: newIncarnation, from: suspector))
            }
            return
        }
        let bounds = SWIMSuspicion.bounds(clusterSize: liveCount + 1, configuration: configuration)
        let suspicion = SWIMSuspicion(startedAt: now, by: suspector, expectedConfirmations: bounds.expected,
                                      minimumNanoseconds: bounds.minimum, maximumNanoseconds: bounds.maximum)
        let previous = record.status
        records[index].incarnation = newIncarnation
        setState(.suspect(suspicion), at: index)
        broadcasts.enqueue(.suspect(subject, incarnation: newIncarnation, from: suspector))
        out.append(change(at: index, previous: previous, cause: cause))
    }

    mutating func applyDown(_ subject: SWIMNodeID, incarnation newIncarnation: UInt64, left: Bool, declarer: SWIMNodeID,
                            now: SWIMTime, into out: inout [SWIMDirective]) {
        if subject == id {
            if newIncarnation >= incarnation { refute(above: newIncarnation) } else { answerStaleClaim() }
            return
        }
        guard let index = recordIndex[subject] else { return }
        let record = records[index]
        guard record.status.isLive, newIncarnation >= record.incarnation else { return }
        let previous = record.status
        records[index].incarnation = newIncarnation
        setState(left ? .left(since: now) : .dead(since: now), at: index)
        broadcasts.enqueue(left ? .left(subject, incarnation: newIncarnation) : .dead(subject, incarnation: newIncarnation, from: declarer))
        out.append(change(at: index, previous: previous, cause: .gossip))
    }

    /// Claims a higher incarnation than anyone has seen for us and spreads it.
    mutating func refute(above seen: UInt64) {
        incarnation = max(incarnation, seen) + 1
        statistics.refutations += 1
        broadcasts.enqueue(aliveUpdateAboutMyself())
    }

    /// Someone still suspects us (or holds us dead) at an incarnation we already refuted: our
    /// refutation never reached it. Spread the current incarnation again and answer the sender.
    mutating func answerStaleClaim() {
        if broadcasts.pending(about: id) == nil { broadcasts.enqueue(aliveUpdateAboutMyself()) }
        staleClaimSeen = true
    }

    mutating func raiseLocalHealth(by delta: Int) {
        localHealthMultiplier = min(configuration.maxLocalHealthMultiplier, localHealthMultiplier + delta)
    }

    mutating func lowerLocalHealth() {
        localHealthMultiplier = max(0, localHealthMultiplier - 1)
    }

    /// Declares members dead whose suspicion timer ran out, unless they sent us a message since
    /// the suspicion started (then the timer starts over).
    mutating func expireSuspicions(now: SWIMTime, into out: inout [SWIMDirective]) {
        guard let earliest = earliestSuspicionDeadline, earliest <= now else { return }
        earliestSuspicionDeadline = nil
        var position = 0
        while position < suspects.count {
            let subject = suspects[position]
            guard let index = recordIndex[subject], case .suspect(let suspicion) = records[index].state else {
                suspects.swapAt(position, suspects.count - 1)
                suspects.removeLast()
                continue
            }
            if suspicion.deadline <= now, records[index].lastHeardAt > suspicion.startedAt {
                // It has been talking to us since we suspected it: up but slow (a starved CPU)
                // to hear of the suspicion. Our replies carry the suspicion (buddy system); wait
                // another full timeout for its refutation instead of declaring it dead ourselves.
                var renewed = suspicion
                renewed.startedAt = now
                records[index].state = .suspect(renewed)
                noteSuspicionDeadline(renewed.deadline)
                position += 1
            } else if suspicion.deadline <= now {
                setState(.dead(since: now), at: index)  // removes it from `suspects` (swap with the last)
                broadcasts.enqueue(.dead(subject, incarnation: records[index].incarnation, from: id))
                out.append(change(at: index, previous: .suspect, cause: .localDetection))
            } else {
                noteSuspicionDeadline(suspicion.deadline)
                position += 1
            }
        }
    }
}
