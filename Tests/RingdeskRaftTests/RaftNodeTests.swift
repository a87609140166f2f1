import Testing
@testable import RingdeskRaft

@Suite("Raft core: election")
struct RaftElectionTests {
    @Test("a new group's membership is its first committed entries, and a lone voter leads itself")
    func bootstrapSingle() throws {
        var cluster = RaftTestCluster(voters: [1])
        #expect(cluster.disks[1]!.entries.map(\.kind) == [.configChange])
        #expect(cluster.disks[1]!.hardState.term == 1)
        let leader = try cluster.requireLeader()
        #expect(leader == 1)
        _ = try cluster.propose("a")
        cluster.deliverAll()
        #expect(cluster.applied(1) == ["a"])
    }

    @Test("three voters elect exactly one leader, and everyone agrees on it")
    func electOne() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        let term = cluster.nodes[leader]!.term
        #expect(cluster.nodes.values.filter { $0.role == .leader }.count == 1)
        for node in cluster.nodes.values {
            #expect(node.term == term)
            #expect(node.leader == leader)
        }
    }

    @Test("no election happens before the timeout, and the timeout is randomised within [T, 2T)")
    func electionTimeout() {
        var cluster = RaftTestCluster(voters: [1, 2, 3], electionTicks: 10)
        cluster.tick(times: 9)
        #expect(cluster.leaderID == nil)
        cluster.tick(times: 11)
        #expect(cluster.leaderID != nil)
    }

    @Test("pre-vote: a replica cut off for a long time does not raise its term or depose the leader on return")
    func preVoteKeepsLeader() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        let follower: RaftNodeID = leader == 3 ? 2 : 3
        let term = cluster.nodes[leader]!.term
        cluster.isolated = [follower]
        cluster.tick(times: 100)
        #expect(cluster.nodes[follower]!.term == term, "pre-candidates do not bump the term")
        cluster.isolated = []
        cluster.tick(times: 5)
        #expect(cluster.leaderID == leader)
        #expect(cluster.nodes[leader]!.term == term)
    }

    @Test("without pre-vote the same isolation does disrupt the leader (the test can fail)")
    func withoutPreVoteDisrupts() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3], preVote: false, checkQuorum: false)
        let leader = try cluster.requireLeader()
        let follower: RaftNodeID = leader == 3 ? 2 : 3
        let term = cluster.nodes[leader]!.term
        cluster.isolated = [follower]
        cluster.tick(times: 100)
        #expect(cluster.nodes[follower]!.term > term)
        cluster.isolated = []
        cluster.tick(times: 1)
        #expect(cluster.nodes[leader]!.term > term)
    }

    @Test("check-quorum: a leader cut off from the majority steps down within an election timeout")
    func checkQuorumStepsDown() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        cluster.isolated = [leader]
        cluster.tick([leader], times: 10)
        cluster.tick([leader], times: 10)
        #expect(cluster.nodes[leader]!.role == .follower)
    }

    @Test("lease: a follower that hears from its leader ignores a higher-term vote request")
    func followerLease() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        let follower: RaftNodeID = leader == 1 ? 2 : 1
        let term = cluster.nodes[follower]!.term
        let last = cluster.nodes[follower]!.lastIndex
        cluster.nodes[follower]!.step(RaftMessage(kind: .vote, from: 99, to: follower, term: term + 5, logTerm: term + 5, index: last + 10))
        #expect(cluster.nodes[follower]!.term == term)
        let ready = cluster.nodes[follower]!.ready()
        #expect(!ready.messages.contains { $0.kind == .voteResponse })
        cluster.nodes[follower]!.advance(ready)
    }

    @Test("a candidate whose log is behind gets no vote")
    func upToDateCheck() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        let behind: RaftNodeID = leader == 1 ? 2 : 1
        cluster.isolated = [behind]
        for i in 0..<3 { _ = try cluster.propose("x\(i)") }
        cluster.deliverAll()
        cluster.isolated = []
        // The stale replica campaigns directly (as after a timeout with pre-vote off).
        cluster.nodes[behind]!.step(RaftMessage(kind: .timeoutNow, from: leader, to: behind, term: cluster.nodes[behind]!.term))
        cluster.deliverAll()
        #expect(cluster.nodes[behind]!.role != .leader)
    }

    @Test("leadership transfer: the target catches up, campaigns at once and wins; proposals are refused meanwhile")
    func transfer() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        let target: RaftNodeID = leader == 3 ? 1 : 3
        cluster.isolated = [target]
        _ = try cluster.propose("before")
        cluster.deliverAll()
        cluster.isolated = []
        try cluster.nodes[leader]!.transferLeadership(to: target)
        #expect(throws: RaftError.self) { try cluster.nodes[leader]!.propose([1]) }
        cluster.deliverAll()
        cluster.tick(times: 2)
        #expect(cluster.leaderID == target)
        _ = try cluster.propose("after")
        cluster.tick(times: 2)
        for id: RaftNodeID in [1, 2, 3] { #expect(cluster.applied(id) == ["before", "after"]) }
    }

    @Test("a transfer to an unreachable replica is abandoned after an election timeout")
    func transferTimesOut() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        let target: RaftNodeID = leader == 3 ? 1 : 3
        cluster.isolated = [target]
        try cluster.nodes[leader]!.transferLeadership(to: target)
        cluster.tick([leader], times: 10)
        #expect(cluster.nodes[leader]!.role == .leader)
        _ = try cluster.propose("ok")
    }
}

@Suite("Raft core: replication")
struct RaftReplicationTests {
    @Test("proposals commit on a majority and apply in order everywhere")
    func commitAndApply() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        _ = try cluster.requireLeader()
        for i in 0..<20 { _ = try cluster.propose("e\(i)") }
        cluster.deliverAll()
        cluster.tick(times: 2)
        let expected = (0..<20).map { "e\($0)" }
        for id: RaftNodeID in [1, 2, 3] { #expect(cluster.applied(id) == expected) }
    }

    @Test("a follower proposal is refused with the leader as a hint")
    func followerRefuses() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        let follower: RaftNodeID = leader == 1 ? 2 : 1
        do {
            _ = try cluster.propose("x", at: follower)
            Issue.record("a follower accepted a proposal")
        } catch {
            #expect(error.code == "raft_not_leader")
            #expect(error.leaderHint == leader)
        }
    }

    @Test("one replica down: the other two still commit; it catches up on return")
    func minorityDown() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        let down: RaftNodeID = leader == 2 ? 3 : 2
        cluster.isolated = [down]
        for i in 0..<10 { _ = try cluster.propose("m\(i)") }
        cluster.deliverAll()
        #expect(cluster.applied(leader).count == 10)
        #expect(cluster.applied(down).isEmpty)
        cluster.isolated = []
        cluster.tick(times: 5)
        #expect(cluster.applied(down).count == 10)
    }

    @Test("no commit without a majority")
    func noMajority() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        cluster.isolated = Set<RaftNodeID>([1, 2, 3]).subtracting([leader])
        let before = cluster.nodes[leader]!.commitIndex
        _ = try cluster.propose("lonely")
        cluster.deliverAll()
        #expect(cluster.nodes[leader]!.commitIndex == before)
        #expect(cluster.applied(leader).isEmpty)
    }

    @Test("a deposed leader's uncommitted entries are overwritten by the new leader's log")
    func conflictingSuffix() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let old = try cluster.requireLeader()
        _ = try cluster.propose("committed")
        cluster.deliverAll()
        cluster.isolated = [old]
        for i in 0..<9 { _ = try cluster.propose("lost\(i)", at: old) }
        cluster.deliverAll()
        cluster.tick(Array(Set<RaftNodeID>([1, 2, 3]).subtracting([old])), times: 40)
        let new = try #require(cluster.leaderID)
        #expect(new != old)
        _ = try cluster.propose("kept")
        cluster.deliverAll()
        cluster.isolated = []
        cluster.tick(times: 30)
        for id: RaftNodeID in [1, 2, 3] { #expect(cluster.applied(id) == ["committed", "kept"]) }
        #expect(!cluster.disks[old]!.entries.contains { String(decoding: $0.data, as: UTF8.self).hasPrefix("lost") })
    }

    @Test("appends are pipelined up to the in-flight window and batched up to the entry limit")
    func pipelining() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        cluster.tick(times: 2)
        for i in 0..<40 { _ = try cluster.propose("p\(i)") }
        cluster.process()
        let appends = cluster.inFlight.filter { $0.kind == .append && $0.from == leader && !$0.entries.isEmpty }
        let perFollower = Dictionary(grouping: appends, by: \.to)
        for (_, messages) in perFollower {
            #expect(messages.count <= 4, "window of 4")
            #expect(messages.allSatisfy { $0.entries.count <= 4 })
        }
        cluster.deliverAll()
        cluster.tick(times: 2)
        for id: RaftNodeID in [1, 2, 3] { #expect(cluster.applied(id).count == 40) }
    }

    @Test("lost appends are recovered through heartbeats")
    func lossRecovery() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        _ = try cluster.requireLeader()
        cluster.tick(times: 2)
        for i in 0..<10 { _ = try cluster.propose("l\(i)") }
        cluster.process()
        cluster.inFlight.removeAll()  // every append lost
        cluster.tick(times: 10)
        for id: RaftNodeID in [1, 2, 3] { #expect(cluster.applied(id).count == 10) }
    }

    @Test("a restarted replica resumes from its disk without reapplying")
    func restart() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        for i in 0..<5 { _ = try cluster.propose("r\(i)") }
        cluster.deliverAll()
        cluster.tick(times: 2)
        for id: RaftNodeID in [1, 2, 3] { cluster.restart(id) }
        #expect(cluster.nodes[leader]!.role == .follower)
        _ = try cluster.requireLeader()
        _ = try cluster.propose("r5")
        cluster.tick(times: 3)
        for id: RaftNodeID in [1, 2, 3] { #expect(cluster.applied(id) == (0..<6).map { "r\($0)" }) }
    }

    @Test("messages with extreme indexes and terms are ignored, not trapped on")
    func extremeValues() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        let follower: RaftNodeID = leader == 1 ? 2 : 1
        let term = cluster.nodes[leader]!.term
        let huge = UInt64.max
        for kind in RaftMessageKind.allCases {
            for target in [leader, follower] {
                cluster.nodes[target]!.step(RaftMessage(kind: kind, from: 3 - (target == 1 ? 0 : 1), to: target, term: term, logTerm: huge,
                                                        index: huge, entries: [RaftEntry(term: term, index: huge)], commit: huge,
                                                        rejectHint: huge, context: huge))
                cluster.nodes[target]!.step(RaftMessage(kind: kind, from: follower == target ? leader : follower, to: target, term: term,
                                                        index: huge - 1, commit: huge - 1, rejectHint: huge - 1))
            }
        }
        cluster.deliverAll()
        _ = try cluster.propose("still fine")
        cluster.tick(times: 3)
        #expect(cluster.applied(leader).last == "still fine")
    }

    @Test("garbage messages never trap and never change a term they should not")
    func garbage() {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        var random = RaftRandom(seed: 7)
        for _ in 0..<5_000 {
            let kind = RaftMessageKind.allCases[random.below(RaftMessageKind.allCases.count)]
            let entries = (0..<random.below(3)).map { _ in
                RaftEntry(term: UInt64(random.below(4)), index: UInt64(random.below(30)), kind: random.below(2) == 0 ? .normal : .configChange,
                          data: (0..<random.below(10)).map { _ in UInt8(random.below(256)) })
            }
            let message = RaftMessage(kind: kind, from: UInt64(random.below(5)), to: UInt64(1 + random.below(3)), term: UInt64(random.below(4)),
                                      logTerm: UInt64(random.below(4)), index: UInt64(random.below(30)), entries: entries,
                                      commit: UInt64(random.below(40)), reject: random.below(2) == 0, rejectHint: UInt64(random.below(40)),
                                      context: UInt64(random.below(3)))
            cluster.nodes[message.to]?.step(message)
            cluster.process()
            cluster.inFlight.removeAll()
            if random.below(10) == 0 { cluster.tick() }
        }
    }
}

@Suite("Raft core: reads, snapshots, membership, recovery")
struct RaftFeatureTests {
    @Test("read-index answers with the commit index once a quorum confirmed leadership, and not before")
    func readIndex() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        _ = try cluster.propose("v")
        cluster.deliverAll()
        cluster.isolated = Set<RaftNodeID>([1, 2, 3]).subtracting([leader])
        try cluster.nodes[leader]!.readIndex(requestID: 42)
        cluster.deliverAll()
        #expect(cluster.readStates[leader, default: []].isEmpty, "no quorum, no answer")
        cluster.isolated = []
        try cluster.nodes[leader]!.readIndex(requestID: 43)
        cluster.deliverAll()
        let answered = cluster.readStates[leader, default: []]
        #expect(answered.map(\.requestID) == [42, 43])
        #expect(answered.allSatisfy { $0.index == cluster.nodes[leader]!.commitIndex })
        let follower: RaftNodeID = leader == 1 ? 2 : 1
        #expect(throws: RaftError.self) { try cluster.nodes[follower]!.readIndex(requestID: 1) }
    }

    @Test("a follower behind the leader's compacted log gets the snapshot and then the rest")
    func snapshotCatchUp() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        let lagging: RaftNodeID = leader == 3 ? 2 : 3
        cluster.isolated = [lagging]
        for i in 0..<10 { _ = try cluster.propose("s\(i)") }
        cluster.deliverAll()
        let applied = cluster.nodes[leader]!.appliedIndex
        cluster.nodes[leader]!.compact(appliedIndex: applied, snapshotData: Array("image@\(applied)".utf8))
        #expect(cluster.nodes[leader]!.firstIndex == applied + 1)
        _ = try cluster.propose("after")
        cluster.deliverAll()
        cluster.isolated = []
        cluster.tick(times: 5)
        #expect(cluster.applied(lagging) == ["image@\(applied)", "after"])
        #expect(cluster.disks[lagging]!.snapshot?.metadata.index == applied)
        #expect(cluster.nodes[lagging]!.conf.voters == [1, 2, 3])
    }

    @Test("a log compacted without an image asks for one when a follower needs it, and sends the image it gets")
    func snapshotImageOnDemand() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        let lagging: RaftNodeID = leader == 3 ? 2 : 3
        cluster.isolated = [lagging]
        for i in 0..<10 { _ = try cluster.propose("s\(i)") }
        cluster.deliverAll()
        cluster.nodes[leader]!.compact(cluster.nodes[leader]!.snapshotMetadataAtApplied, image: nil)
        let compactedAt = cluster.nodes[leader]!.appliedIndex
        #expect(cluster.nodes[leader]!.firstIndex == compactedAt + 1)
        #expect(!cluster.nodes[leader]!.wantsSnapshotImage)
        _ = try cluster.propose("after")
        cluster.deliverAll()
        cluster.isolated = []
        cluster.tick(times: 3)
        // Nothing to send yet: the leader asks, and the follower has not moved.
        #expect(cluster.nodes[leader]!.wantsSnapshotImage && cluster.nodes[leader]!.isSendingSnapshot)
        #expect(!cluster.applied(lagging).contains("after"))
        // A stale image (below the snapshot) is refused; one at the applied index is taken.
        cluster.nodes[leader]!.compact(RaftSnapshotMetadata(index: compactedAt - 1, term: 1, conf: cluster.nodes[leader]!.conf),
                                       image: Array("stale".utf8))
        #expect(cluster.nodes[leader]!.wantsSnapshotImage)
        let applied = cluster.nodes[leader]!.appliedIndex
        cluster.nodes[leader]!.compact(cluster.nodes[leader]!.snapshotMetadataAtApplied, image: Array("image@\(applied)".utf8))
        #expect(!cluster.nodes[leader]!.wantsSnapshotImage)
        #expect(cluster.nodes[leader]!.firstIndex == applied + 1)
        // Sent at once, without waiting for a heartbeat; acknowledged, nothing is in flight any more.
        #expect(cluster.nodes[leader]!.isSendingSnapshot)
        cluster.deliverAll()
        #expect(cluster.applied(lagging) == ["image@\(applied)"])
        #expect(!cluster.nodes[leader]!.isSendingSnapshot)
        _ = try cluster.propose("later")
        cluster.deliverAll()
        #expect(cluster.applied(lagging) == ["image@\(applied)", "later"])
        #expect(cluster.disks[lagging]!.snapshot?.metadata.index == applied)
    }

    @Test("a learner joins with an empty log, catches up, is promoted, and then a voter is removed")
    func membership() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        for i in 0..<5 { _ = try cluster.propose("m\(i)") }
        cluster.deliverAll()
        cluster.addEmptyReplica(4)
        try cluster.nodes[leader]!.proposeConfChange(RaftConfChange(.addLearner, node: 4))
        #expect(throws: RaftError.self) { try cluster.nodes[leader]!.proposeConfChange(RaftConfChange(.promote, node: 4)) }
        cluster.tick(times: 4)
        #expect(cluster.nodes[4]!.conf == RaftConfState(voters: [1, 2, 3], learners: [4]))
        #expect(cluster.applied(4) == (0..<5).map { "m\($0)" })
        try cluster.nodes[leader]!.proposeConfChange(RaftConfChange(.promote, node: 4))
        cluster.tick(times: 4)
        #expect(cluster.nodes[leader]!.conf.voters == [1, 2, 3, 4])
        let removed: RaftNodeID = leader == 1 ? 2 : 1
        try cluster.nodes[leader]!.proposeConfChange(RaftConfChange(.remove, node: removed))
        cluster.tick(times: 4)
        #expect(!cluster.nodes[leader]!.conf.contains(removed))
        // Now three voters remain; with the removed one gone, two of them still form a quorum.
        cluster.isolated = [removed]
        _ = try cluster.propose("after")
        cluster.tick(times: 4)
        #expect(cluster.applied(4).last == "after")
    }

    @Test("a removed leader steps down and the others elect a new one")
    func removeLeader() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        try cluster.nodes[leader]!.proposeConfChange(RaftConfChange(.remove, node: leader))
        cluster.tick(times: 3)
        #expect(cluster.nodes[leader]!.role == .follower)
        cluster.isolated = [leader]
        let next = try cluster.requireLeader()
        #expect(next != leader)
        #expect(cluster.nodes[next]!.conf.voters.count == 2)
    }

    @Test("a replica that lost its data neither votes nor campaigns until the leader has caught it up")
    func recovering() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        for i in 0..<6 { _ = try cluster.propose("c\(i)") }
        cluster.deliverAll()
        cluster.tick(times: 2)
        let victim: RaftNodeID = leader == 1 ? 2 : 1
        cluster.restart(victim, recovering: true)
        #expect(cluster.nodes[victim]!.recovering)
        // It refuses a vote even for an up-to-date candidate.
        let term = cluster.nodes[victim]!.term
        cluster.nodes[victim]!.step(RaftMessage(kind: .vote, from: 3, to: victim, term: term + 1, logTerm: term + 1, index: 100))
        let ready = cluster.nodes[victim]!.ready()
        #expect(ready.messages.contains { $0.kind == .voteResponse && $0.reject })
        cluster.nodes[victim]!.advance(ready)
        cluster.electLeader()
        cluster.tick(times: 20)
        #expect(!cluster.nodes[victim]!.recovering)
        #expect(cluster.applied(victim) == (0..<6).map { "c\($0)" })
    }

    @Test("a wiped replica that installs a snapshot older than the leader's log stays out of elections until it holds the rest")
    func recoveringThroughAnOldSnapshot() throws {
        // Simulation seed 7018 (chaos): the wiped replica left recovery on installing a snapshot
        // at 147 while 148–156 were committed; with a lagging third voter it then won an election
        // without them.
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        for i in 0..<4 { _ = try cluster.propose("a\(i)") }
        cluster.deliverAll()
        cluster.nodes[leader]!.compact(appliedIndex: cluster.nodes[leader]!.appliedIndex, snapshotData: Array("image".utf8))
        let snapshotIndex = cluster.nodes[leader]!.firstIndex - 1
        for i in 0..<4 { _ = try cluster.propose("b\(i)") }
        cluster.deliverAll()
        let victim: RaftNodeID = leader == 1 ? 2 : 1
        cluster.restart(victim, recovering: true)
        // Run until the leader sends the snapshot; deliver only that.
        var snapshot: RaftMessage?
        for _ in 0..<50 where snapshot == nil {
            cluster.nodes[leader]!.tick()
            cluster.process()
            snapshot = cluster.inFlight.first { $0.kind == .installSnapshot && $0.to == victim }
            if snapshot == nil {
                for message in cluster.inFlight { cluster.nodes[message.to]?.step(message) }
                cluster.inFlight = []
            }
        }
        let message = try #require(snapshot)
        #expect(message.snapshot?.metadata.index == snapshotIndex && message.context > snapshotIndex)
        cluster.inFlight = []
        cluster.nodes[victim]!.step(message)
        // Still recovering, so it refuses votes (see `recovering()`): the snapshot is older than the leader's log.
        #expect(cluster.nodes[victim]!.recovering, "the snapshot is older than what the leader holds")
        // The appends that follow bring it up to the leader's log, and it votes again.
        cluster.electLeader()
        cluster.tick(times: 20)
        #expect(!cluster.nodes[victim]!.recovering)
        #expect(cluster.applied(victim).suffix(4) == (0..<4).map { "b\($0)" })
    }

    @Test("late acknowledgements from before a wipe do not make the leader forget the wiped follower")
    func lateAcksAfterWipe() throws {
        var cluster = RaftTestCluster(voters: [1, 2, 3])
        let leader = try cluster.requireLeader()
        for i in 0..<6 { _ = try cluster.propose("w\(i)") }
        cluster.deliverAll()
        cluster.tick(times: 2)
        let victim: RaftNodeID = leader == 1 ? 2 : 1
        let last = cluster.nodes[leader]!.lastIndex
        cluster.restart(victim, recovering: true)
        // An acknowledgement it sent before the wipe arrives now.
        cluster.nodes[leader]!.step(RaftMessage(kind: .appendResponse, from: victim, to: leader, term: cluster.nodes[leader]!.term, index: last))
        cluster.tick(times: 20)
        #expect(!cluster.nodes[victim]!.recovering)
        #expect(cluster.applied(victim) == (0..<6).map { "w\($0)" })
    }
}
