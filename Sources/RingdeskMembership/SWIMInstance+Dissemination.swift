extension SWIMInstance {
    /// Sends `kind` to a member with as many pending updates as fit. Lifeguard's buddy system: a
    /// member we suspect hears about it first, so it can refute before the timeout.
    mutating func send(_ kind: SWIMMessage.Kind, to target: SWIMNodeID, deadline: SWIMTime?, into out: inout [SWIMDirective]) {
        var updates: [SWIMUpdate] = []
        var budget = configuration.maxMessageBytes - SWIMCodec.headerSize(of: kind) - 3
        if let index = recordIndex[target], case .suspect(let suspicion) = records[index].state {
            let notice = SWIMUpdate.suspect(target, incarnation: records[index].incarnation, from: suspicion.suspectors[0])
            updates.append(notice)
            budget -= SWIMCodec.encodedSize(of: notice)
            _ = broadcasts.select(byteBudget: budget, limit: retransmitLimit, excluding: target, into: &updates)
        } else {
            _ = broadcasts.select(byteBudget: budget, limit: retransmitLimit, into: &updates)
        }
        out.append(.send(SWIMMessage(sender: id, kind: kind, updates: updates), to: .member(target), deadline: deadline))
    }

    /// One gossip round: pending updates to `gossipFanout` random live members.
    mutating func gossip(now: SWIMTime, into out: inout [SWIMDirective]) {
        guard !broadcasts.isEmpty else { return }
        for target in randomLiveMembers(count: configuration.gossipFanout, excluding: nil) {
            guard !broadcasts.isEmpty else { break }
            statistics.gossipMessagesSent += 1
            send(.gossip, to: target, deadline: nil, into: &out)
        }
    }

    /// The local full state: the local node first, then live members, then tombstones, as many
    /// as fit in `maxPushPullBytes`.
    func fullState() -> [SWIMMemberRecord] {
        var budget = configuration.maxPushPullBytes - SWIMCodec.headerSize(of: .gossip) - 16
        var state: [SWIMMemberRecord] = []
        state.reserveCapacity(records.count + 1)
        let me = SWIMMemberRecord(id: id, status: .alive, incarnation: incarnation, metadata: metadata, payload: payload)
        budget -= SWIMCodec.encodedSize(of: me)
        state.append(me)
        for pass in 0..<2 {
            for record in records where record.status.isLive == (pass == 0) {
                let entry = record.record
                let size = SWIMCodec.encodedSize(of: entry)
                guard size <= budget else { return state }
                budget -= size
                state.append(entry)
            }
        }
        return state
    }

    mutating func sendPushPull(to target: SWIMTarget, isJoin: Bool, isResponse: Bool = false, now: SWIMTime, into out: inout [SWIMDirective]) {
        statistics.pushPullsSent += 1
        let message = SWIMMessage(sender: id, kind: .pushPull(SWIMPushPull(isResponse: isResponse, isJoin: isJoin, members: fullState())))
        let deadline = isResponse ? nil : now.advanced(byNanoseconds: timing.probeInterval * 5)
        out.append(.send(message, to: target, deadline: deadline))
    }

    /// Re-join: with probability dead/alive (Serf's reconnect rule) sync with a random dead member,
    /// and sync with one seed that is not alive in the local view. This is what merges a
    /// partition that outlived the suspicion timeout.
    mutating func rejoin(now: SWIMTime, into out: inout [SWIMDirective]) {
        reclaimTombstones(now: now)
        if deadCount > 0, random.below(max(1, liveCount)) < deadCount {
            var pick = random.below(deadCount)
            for record in records where record.status == .dead {
                if pick == 0 {
                    statistics.rejoinAttempts += 1
                    sendPushPull(to: .member(record.id), isJoin: true, now: now, into: &out)
                    break
                }
                pick -= 1
            }
        }
        let seeds = configuration.seeds.filter { !metadata.addresses.contains($0) }
        guard !seeds.isEmpty else { return }
        var liveAddresses = Set<String>()
        for record in records where record.status.isLive {
            for address in record.metadata.addresses where seeds.contains(address) {
                liveAddresses.insert(address)
            }
        }
        let missing = seeds.filter { !liveAddresses.contains($0) }
        if !missing.isEmpty {
            statistics.rejoinAttempts += 1
            sendPushPull(to: .seed(missing[random.below(missing.count)]), isJoin: true, now: now, into: &out)
        }
    }
}
