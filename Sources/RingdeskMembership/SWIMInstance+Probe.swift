extension SWIMInstance {
    /// The local node's failure-detector round: idle → direct ping → (no ack) ping-requests
    /// through k helpers → (no ack) suspect. One probe per protocol period.
    enum ProbeState: Sendable {
        case idle
        case direct(PendingProbe)
        case indirect(PendingProbe, IndirectPhase)
    }

    struct PendingProbe: Sendable {
        var target: SWIMNodeID
        var sequence: UInt32
        /// End of the direct phase (probe timeout × (LHM + 1)).
        var directDeadline: SWIMTime
        /// End of the indirect phase (as long again).
        var finalDeadline: SWIMTime
    }

    struct IndirectPhase: Sendable {
        /// Lifeguard: helpers that should send a nack if they cannot reach the target.
        var expectedNacks: Int
        var nacks: Int
    }

    /// An indirect probe this node performs for `origin`.
    struct Forward: Sendable {
        var sequence: UInt32
        var origin: SWIMNodeID
        var originSequence: UInt32
        var target: SWIMNodeID
        /// When to give up and send the origin a nack (0.8 × probe timeout, inside its window).
        var deadline: SWIMTime
    }

    /// Runs the probe phases that are due, then starts the next probe if its period came.
    mutating func advanceProbe(now: SWIMTime, into out: inout [SWIMDirective]) {
        if case .direct(let pending) = probe, now >= pending.directDeadline {
            let helpers = randomLiveMembers(count: configuration.indirectProbeCount, excluding: pending.target)
            for helper in helpers {
                send(.pingRequest(sequence: pending.sequence, target: pending.target), to: helper,
                     deadline: pending.finalDeadline, into: &out)
            }
            statistics.indirectProbesSent += helpers.count
            probe = .indirect(pending, IndirectPhase(expectedNacks: helpers.count, nacks: 0))
        }
        if case .indirect(let pending, let phase) = probe, now >= pending.finalDeadline {
            probe = .idle
            statistics.probesFailed += 1
            // Lifeguard: missing nacks mean our own links may be at fault; without helpers any failure counts.
            raiseLocalHealth(by: phase.expectedNacks > 0 ? phase.expectedNacks - phase.nacks : 1)
            if let index = recordIndex[pending.target], records[index].status.isLive {
                applySuspect(pending.target, incarnation: records[index].incarnation, suspector: id,
                             cause: .localDetection, now: now, into: &out)
            }
        }
        guard case .idle = probe, now >= nextProbeAt else { return }
        let scale = Int64(localHealthMultiplier + 1)
        nextProbeAt = now.advanced(byNanoseconds: timing.probeInterval * scale)
        guard let target = nextProbeTarget() else { return }
        let sequence = allocateSequence()
        let directDeadline = now.advanced(byNanoseconds: timing.probeTimeout * scale)
        let pending = PendingProbe(target: target, sequence: sequence, directDeadline: directDeadline,
                                   finalDeadline: directDeadline.advanced(byNanoseconds: timing.probeTimeout * scale))
        probe = .direct(pending)
        statistics.probesSent += 1
        send(.ping(sequence: sequence, target: target), to: target, deadline: directDeadline, into: &out)
    }

    /// Randomised round-robin over live members: each is probed once per round, in a fresh order.
    mutating func nextProbeTarget() -> SWIMNodeID? {
        guard liveCount > 0 else { return nil }
        for _ in 0..<2 {
            while probeCursor < probeOrder.count {
                let candidate = probeOrder[probeCursor]
                probeCursor += 1
                if let index = recordIndex[candidate], records[index].status.isLive {
                    return candidate
                }
            }
            probeOrder.removeAll(keepingCapacity: true)
            for record in records where record.status.isLive {
                probeOrder.append(record.id)
            }
            probeOrder.shuffle(using: &random)
            probeCursor = 0
        }
        return nil
    }

    mutating func handlePingRequest(sequence originSequence: UInt32, target: SWIMNodeID, origin: SWIMNodeID, now: SWIMTime,
                                    into out: inout [SWIMDirective]) {
        if target == id {
            send(.ack(sequence: originSequence, target: id), to: origin, deadline: nil, into: &out)
            return
        }
        guard recordIndex[target] != nil, forwards.count < 64 else {
            // Cannot help (unknown target or too busy): say so at once, so the origin's health is spared.
            send(.nack(sequence: originSequence, target: target), to: origin, deadline: nil, into: &out)
            return
        }
        let sequence = allocateSequence()
        let deadline = now.advanced(byNanoseconds: timing.probeTimeout * 4 / 5)
        forwards.append(Forward(sequence: sequence, origin: origin, originSequence: originSequence, target: target, deadline: deadline))
        send(.ping(sequence: sequence, target: target), to: target, deadline: deadline, into: &out)
    }

    mutating func handleAck(sequence: UInt32, target: SWIMNodeID, now: SWIMTime, into out: inout [SWIMDirective]) {
        switch probe {
        case .direct(let pending) where pending.sequence == sequence && pending.target == target,
             .indirect(let pending, _) where pending.sequence == sequence && pending.target == target:
            probe = .idle
            lowerLocalHealth()
            return
        default:
            break
        }
        if let position = forwards.firstIndex(where: { $0.sequence == sequence && $0.target == target }) {
            let forward = forwards.remove(at: position)
            send(.ack(sequence: forward.originSequence, target: target), to: forward.origin, deadline: nil, into: &out)
        }
    }

    mutating func handleNack(sequence: UInt32, target: SWIMNodeID) {
        if case .indirect(let pending, var phase) = probe, pending.sequence == sequence, pending.target == target {
            phase.nacks += 1
            probe = .indirect(pending, phase)
        }
    }

    mutating func expireForwards(now: SWIMTime, into out: inout [SWIMDirective]) {
        guard !forwards.isEmpty else { return }
        var kept: [Forward] = []
        for forward in forwards {
            if forward.deadline <= now {
                send(.nack(sequence: forward.originSequence, target: forward.target), to: forward.origin, deadline: nil, into: &out)
            } else {
                kept.append(forward)
            }
        }
        forwards = kept
    }
}
