/// A replica's log as the core sees it: a snapshot point, the entries after it, and three marks.
///
/// `applied ≤ committed` and `applied ≥ snapshotIndex`. Entries above `handed` have not been handed
/// to the application for persistence yet; entries up to `stabled` are known to be on disk
/// (`handed ≥ stabled`: writes may be in flight, see `RaftNode.ready()`).
struct RaftLog: Sendable {
    private(set) var snapshotIndex: UInt64
    private(set) var snapshotTerm: UInt64
    /// `entries[i].index == snapshotIndex + 1 + i`.
    private(set) var entries: [RaftEntry]
    /// Highest index known to be persisted (reported through `advance`).
    var stabled: UInt64
    /// Highest index handed to the application to persist.
    var handed: UInt64
    private(set) var committed: UInt64
    /// Highest index handed to the application to apply.
    var applied: UInt64

    init(snapshotIndex: UInt64, snapshotTerm: UInt64, entries: [RaftEntry], committed: UInt64, applied: UInt64) {
        self.snapshotIndex = snapshotIndex
        self.snapshotTerm = snapshotTerm
        self.entries = entries
        self.stabled = snapshotIndex + UInt64(entries.count)
        self.handed = stabled
        self.committed = min(max(committed, snapshotIndex), stabled)
        self.applied = min(max(applied, snapshotIndex), self.committed)
    }

    var firstIndex: UInt64 { snapshotIndex + 1 }
    var lastIndex: UInt64 { snapshotIndex + UInt64(entries.count) }
    var lastTerm: UInt64 { entries.last?.term ?? snapshotTerm }

    /// The term of the entry at `index`, or nil when it was compacted away or does not exist yet.
    func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshotTerm }
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)].term
    }

    func matchTerm(_ index: UInt64, _ term: UInt64) -> Bool { self.term(at: index) == term }

    func entry(at index: UInt64) -> RaftEntry? {
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)]
    }

    /// Raft's "at least as up to date" comparison of a candidate's last entry with ours.
    func isUpToDate(lastIndex candidateIndex: UInt64, lastTerm candidateTerm: UInt64) -> Bool {
        candidateTerm > lastTerm || (candidateTerm == lastTerm && candidateIndex >= lastIndex)
    }

    /// Entries from `from` on, at most `maxCount` and about `maxBytes` (never fewer than one).
    func slice(from: UInt64, maxCount: Int, maxBytes: Int) -> [RaftEntry] {
        guard from > snapshotIndex, from <= lastIndex, maxCount > 0 else { return [] }
        let start = Int(from - snapshotIndex - 1)
        var end = start
        var bytes = 0
        while end < entries.count, end - start < maxCount {
            bytes += entries[end].data.count + 24
            if end > start, bytes > maxBytes { break }
            end += 1
        }
        return Array(entries[start..<end])
    }

    /// Leader side: appends entries it made itself (contiguous after `lastIndex`).
    mutating func appendLocal(_ newEntries: [RaftEntry]) {
        entries.append(contentsOf: newEntries)
    }

    /// Follower side: entries that follow `prevIndex` (whose term already matched). Entries already
    /// present with the same term are kept; the first conflicting one truncates the suffix.
    /// Returns false when the conflict would rewrite a committed entry (a protocol violation).
    mutating func appendReplicated(after prevIndex: UInt64, _ newEntries: [RaftEntry]) -> Bool {
        var offset = 0
        while offset < newEntries.count {
            let entry = newEntries[offset]
            if entry.index <= snapshotIndex { offset += 1; continue }
            guard let existing = term(at: entry.index) else { break }
            if existing != entry.term { break }
            offset += 1
        }
        guard offset < newEntries.count else { return true }
        let first = newEntries[offset].index
        guard first > committed else { return false }
        if first <= lastIndex {
            entries.removeSubrange(Int(first - snapshotIndex - 1)...)
            stabled = min(stabled, first - 1)
            handed = min(handed, first - 1)
        }
        entries.append(contentsOf: newEntries[offset...])
        return true
    }

    /// The index the leader should try next after a rejection: the largest index ≤ `index` whose
    /// term is ≤ `term` (skips a whole conflicting term per round trip).
    func findConflict(atOrBefore index: UInt64, term: UInt64) -> UInt64 {
        var candidate = min(index, lastIndex)
        while candidate > snapshotIndex, let t = self.term(at: candidate), t > term {
            candidate -= 1
        }
        return candidate
    }

    mutating func commit(to index: UInt64) {
        if index > committed, index <= lastIndex { committed = index }
    }

    /// Entries the application has not been given to persist yet.
    var unstableEntries: [RaftEntry] {
        guard handed < lastIndex else { return [] }
        return Array(entries[Int(max(handed, snapshotIndex) - snapshotIndex)...])
    }

    /// Committed entries not yet handed out for applying.
    var nextCommittedEntries: [RaftEntry] {
        guard committed > applied else { return [] }
        let start = Int(applied - snapshotIndex)
        let end = Int(committed - snapshotIndex)
        return Array(entries[start..<end])
    }

    /// Replaces everything with a snapshot received from the leader.
    mutating func restore(index: UInt64, term: UInt64) {
        snapshotIndex = index
        snapshotTerm = term
        entries = []
        committed = index
        applied = index
        stabled = index
        handed = index
    }

    /// Drops entries up to `index` (≤ applied), which a local snapshot now covers.
    mutating func compact(upTo index: UInt64) {
        guard index > snapshotIndex, index <= applied, let t = term(at: index) else { return }
        entries.removeFirst(Int(index - snapshotIndex))
        snapshotIndex = index
        snapshotTerm = t
    }
}
