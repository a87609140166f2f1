/// Updates waiting to be piggybacked, at most one per member (a newer update replaces the older).
/// Each is sent at most `limit` times; the least-sent and, among those, the newest go first
/// (memberlist's order), kept in one bucket per transmit count so picking is cheap.
struct SWIMBroadcastQueue: Sendable {
    struct Entry: Sendable {
        var update: SWIMUpdate
        var size: Int
        var transmits: Int
        var generation: UInt64
    }

    private var entries: [SWIMNodeID: Entry] = [:]
    /// `buckets[t]` holds (member, generation) pairs sent `t` times; the newest at the end.
    /// Stale pairs (replaced or dropped updates) are skipped and discarded lazily.
    private var buckets: [[(SWIMNodeID, UInt64)]] = [[]]
    private var nextGeneration: UInt64 = 0

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    func pending(about id: SWIMNodeID) -> SWIMUpdate? {
        entries[id]?.update
    }

    /// Queues `update`, replacing any pending update about the same member.
    mutating func enqueue(_ update: SWIMUpdate) {
        nextGeneration &+= 1
        let id = update.subject
        entries[id] = Entry(update: update, size: SWIMCodec.encodedSize(of: update), transmits: 0, generation: nextGeneration)
        buckets[0].append((id, nextGeneration))
    }

    mutating func remove(about id: SWIMNodeID) {
        entries[id] = nil
    }

    /// Picks updates for one message: least-sent first, newest first among equals, until
    /// `byteBudget` is used up. Each picked update counts one transmission; one that reached
    /// `limit` leaves the queue.
    mutating func select(byteBudget: Int, limit: Int, excluding excluded: SWIMNodeID? = nil, into updates: inout [SWIMUpdate]) -> Int {
        guard !entries.isEmpty else { return 0 }
        var budget = byteBudget
        var used = 0
        var promoted: [(SWIMNodeID, UInt64, Int)] = []
        var skipped: [(Int, (SWIMNodeID, UInt64))] = []
        var transmits = 0
        scan: while transmits < buckets.count {
            while let candidate = buckets[transmits].popLast() {
                guard let entry = entries[candidate.0], entry.generation == candidate.1, entry.transmits == transmits else {
                    continue  // stale
                }
                if candidate.0 == excluded || entry.size > budget {
                    skipped.append((transmits, candidate))
                    if budget < 12 { break scan }  // not even a left/suspect update fits any more
                    continue
                }
                budget -= entry.size
                used += entry.size
                updates.append(entry.update)
                let sent = transmits + 1
                if sent >= limit {
                    entries[candidate.0] = nil
                } else {
                    entries[candidate.0]!.transmits = sent
                    promoted.append((candidate.0, candidate.1, sent))
                }
            }
            transmits += 1
        }
        // Put back in original order: skipped candidates were popped newest-first.
        for (bucket, candidate) in skipped.reversed() {
            buckets[bucket].append(candidate)
        }
        // Promoted ones were picked newest-first; re-append oldest-first so the newest stays at the end.
        for (id, generation, sent) in promoted.reversed() {
            while buckets.count <= sent { buckets.append([]) }
            buckets[sent].append((id, generation))
        }
        if entries.isEmpty {
            for index in buckets.indices { buckets[index].removeAll(keepingCapacity: true) }
        }
        return used
    }
}
