@testable import RingdeskRaft

/// A hand-driven group for unit tests: every message waits in `inFlight` until a test delivers it,
/// and each replica's "disk" is a value the test can keep across a crash.
struct RaftTestCluster {
    struct Disk {
        var hardState = RaftHardState()
        var snapshot: RaftSnapshot?
        var entries: [RaftEntry] = []
        var applied: UInt64 = 0
        var appliedData: [[UInt8]] = []
        var initialConf: RaftConfState
    }

    var nodes: [RaftNodeID: RaftNode] = [:]
    var disks: [RaftNodeID: Disk] = [:]
    var inFlight: [RaftMessage] = []
    var readStates: [RaftNodeID: [RaftReadState]] = [:]
    /// Replicas whose messages (both ways) are dropped.
    var isolated: Set<RaftNodeID> = []

    init(voters: [RaftNodeID], electionTicks: Int = 10, preVote: Bool = true, checkQuorum: Bool = true) {
        let conf = RaftConfState(voters: voters)
        for id in voters {
            disks[id] = Disk(initialConf: conf)
            nodes[id] = RaftNode(configuration: Self.configuration(id, electionTicks: electionTicks, preVote: preVote, checkQuorum: checkQuorum),
                                 persisted: RaftPersistentState(initialConf: conf), applied: 0)
        }
        process()
    }

    static func configuration(_ id: RaftNodeID, electionTicks: Int = 10, preVote: Bool = true, checkQuorum: Bool = true) -> RaftConfiguration {
        RaftConfiguration(id: id, electionTicks: electionTicks, preVote: preVote, checkQuorum: checkQuorum,
                          maxEntriesPerAppend: 4, maxInflightAppends: 4)
    }

    /// Adds a replica that joins with nothing (it will be added as a learner).
    mutating func addEmptyReplica(_ id: RaftNodeID) {
        disks[id] = Disk(initialConf: RaftConfState(voters: []))
        nodes[id] = RaftNode(configuration: Self.configuration(id), persisted: RaftPersistentState(initialConf: RaftConfState(voters: [])), applied: 0)
    }

    /// Runs every replica's ready loop until none has work (messages go to `inFlight`).
    mutating func process() {
        for _ in 0..<100 {
            var any = false
            for id in nodes.keys.sorted() where nodes[id]!.hasReady {
                any = true
                var node = nodes[id]!
                let ready = node.ready()
                var disk = disks[id]!
                if let hard = ready.hardState { disk.hardState = hard }
                if let snapshot = ready.snapshot {
                    disk.snapshot = snapshot
                    disk.entries = []
                }
                if let first = ready.entries.first {
                    disk.entries.removeAll { $0.index >= first.index }
                    disk.entries.append(contentsOf: ready.entries)
                }
                inFlight.append(contentsOf: ready.messages)
                if let snapshot = ready.snapshot {
                    disk.applied = snapshot.metadata.index
                    disk.appliedData = [snapshot.data]
                }
                for entry in ready.committedEntries {
                    precondition(entry.index == disk.applied + 1, "applied out of order")
                    if entry.kind == .configChange, let change = RaftConfChange(encoded: entry.data) {
                        node.applyConfChange(change)
                    } else if !entry.data.isEmpty {
                        disk.appliedData.append(entry.data)
                    }
                    disk.applied = entry.index
                }
                readStates[id, default: []].append(contentsOf: ready.readStates)
                node.advance(ready)
                nodes[id] = node
                disks[id] = disk
            }
            if !any { return }
        }
    }

    /// Delivers messages (and what they cause) until nothing is left, at most `rounds` times.
    mutating func deliverAll(rounds: Int = 200) {
        for _ in 0..<rounds {
            process()
            if inFlight.isEmpty { return }
            let batch = inFlight
            inFlight = []
            for message in batch where !isolated.contains(message.from) && !isolated.contains(message.to) {
                nodes[message.to]?.step(message)
            }
        }
    }

    mutating func tick(_ ids: [RaftNodeID]? = nil, times: Int = 1) {
        for _ in 0..<times {
            for id in (ids ?? nodes.keys.sorted()) { nodes[id]?.tick() }
            deliverAll()
        }
    }

    /// Ticks everyone until some replica leads (bounded).
    @discardableResult
    mutating func electLeader(maxTicks: Int = 200) -> RaftNodeID? {
        for _ in 0..<maxTicks {
            if let leader = leaderID { return leader }
            tick()
        }
        return leaderID
    }

    struct NoLeader: Error {}

    /// Like `electLeader`, throwing when none emerged.
    mutating func requireLeader() throws -> RaftNodeID {
        guard let leader = electLeader() else { throw NoLeader() }
        return leader
    }

    var leaderID: RaftNodeID? {
        nodes.values.filter { $0.role == .leader && !isolated.contains($0.id) }.max { $0.term < $1.term }?.id
    }

    /// Crash: everything not on the disk is lost; the replica restarts from its disk.
    mutating func restart(_ id: RaftNodeID, recovering: Bool = false) {
        var disk = disks[id]!
        if recovering {
            disk = Disk(hardState: RaftHardState(term: disk.hardState.term, vote: disk.hardState.vote, commit: 0),
                        initialConf: disk.initialConf)
            disks[id] = disk
        }
        inFlight.removeAll { $0.to == id }
        let persisted = RaftPersistentState(hardState: disk.hardState, snapshot: disk.snapshot?.metadata, entries: disk.entries,
                                            initialConf: disk.initialConf)
        nodes[id] = RaftNode(configuration: Self.configuration(id), persisted: persisted, applied: disk.applied,
                             snapshotData: disk.snapshot?.data, recovering: recovering)
    }

    mutating func propose(_ text: String, at id: RaftNodeID? = nil) throws(RaftError) -> UInt64 {
        let target = id ?? leaderID ?? 0
        guard var node = nodes[target] else { throw RaftError(code: "test", message: "no leader") }
        let index = try node.propose(Array(text.utf8))
        nodes[target] = node
        return index
    }

    func applied(_ id: RaftNodeID) -> [String] {
        disks[id]!.appliedData.map { String(decoding: $0, as: UTF8.self) }
    }
}
