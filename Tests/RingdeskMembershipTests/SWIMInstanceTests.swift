import RingdeskMembership
import Testing

/// Every transition of the core, driven by hand with a manual clock.
@Suite struct SWIMInstanceProbeTests {
    /// Ticks until the first probe goes out; returns it and the time.
    static func firstProbe(_ instance: inout SWIMInstance) -> (sequence: UInt32, target: SWIMNodeID, at: SWIMTime) {
        var now = SWIMTime.zero
        while true {
            let deadline = instance.nextDeadline!
            now = deadline
            if let ping = instance.tick(now: now).pings.first { return (ping.sequence, ping.target, now) }
        }
    }

    @Test func ackKeepsTheTargetAliveAndNoIndirectProbeFollows() throws {
        var instance = try Fixture.instance(members: 4)
        let probe = Self.firstProbe(&instance)
        _ = instance.receive(SWIMMessage(sender: probe.target, kind: .ack(sequence: probe.sequence, target: probe.target)), now: probe.at + .milliseconds(5))
        let later = instance.advance(to: probe.at + .milliseconds(999))
        #expect(later.pingRequests.isEmpty)
        #expect(later.changes.isEmpty)
        #expect(instance.member(probe.target)?.status == .alive)
        #expect(instance.localHealthMultiplier == 0)
    }

    @Test func missingDirectAckAsksKHelpersAtTheProbeTimeout() throws {
        var instance = try Fixture.instance(members: 5)
        let probe = Self.firstProbe(&instance)
        #expect(instance.tick(now: probe.at + .milliseconds(499)).pingRequests.isEmpty)
        let requests = instance.tick(now: probe.at + .milliseconds(500)).pingRequests
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.target == probe.target && $0.sequence == probe.sequence && $0.helper != .member(probe.target) })
        #expect(Set(requests.map(\.helper)).count == 3)
    }

    @Test func indirectAckAvoidsSuspicion() throws {
        var instance = try Fixture.instance(members: 5)
        let probe = Self.firstProbe(&instance)
        let requests = instance.tick(now: probe.at + .milliseconds(500)).pingRequests
        guard case .member(let helper) = requests[0].helper else { Issue.record("no helper"); return }
        _ = instance.receive(SWIMMessage(sender: helper, kind: .ack(sequence: probe.sequence, target: probe.target)), now: probe.at + .milliseconds(600))
        let later = instance.advance(to: probe.at + .milliseconds(999))
        #expect(later.changes.isEmpty)
        #expect(instance.member(probe.target)?.status == .alive)
    }

    @Test func failedProbeSuspectsThenTheSuspicionTimeoutDeclaresDead() throws {
        var instance = try Fixture.instance(members: 5)
        let probe = Self.firstProbe(&instance)
        _ = instance.tick(now: probe.at + .milliseconds(500))
        let failed = instance.tick(now: probe.at + .milliseconds(1000))
        #expect(failed.changes.count == 1)
        #expect(failed.changes.first?.member.status == .suspect)
        #expect(failed.changes.first?.cause == .localDetection)
        // 6 nodes: minimum 4 × max(1, log10 6) × 1 s = 4 s, maximum 6 × 4 s = 24 s, K = 3; no confirmations yet.
        let suspectedAt = probe.at + .milliseconds(1000)
        let almost = instance.advance(to: suspectedAt + .milliseconds(23_999))
        #expect(almost.changes.allSatisfy { $0.member.id != probe.target })
        let dead = instance.advance(to: suspectedAt + .seconds(24)).changes.filter { $0.member.id == probe.target }
        #expect(dead.count == 1)
        #expect(dead.first?.member.status == .dead)
        #expect(dead.first?.previousStatus == .suspect)
        #expect(dead.first?.cause == .localDetection)
    }

    @Test func nacksFromAllHelpersSpareTheLocalHealth() throws {
        var instance = try Fixture.instance(members: 5)
        let probe = Self.firstProbe(&instance)
        let requests = instance.tick(now: probe.at + .milliseconds(500)).pingRequests
        for request in requests {
            guard case .member(let helper) = request.helper else { continue }
            _ = instance.receive(SWIMMessage(sender: helper, kind: .nack(sequence: probe.sequence, target: probe.target)), now: probe.at + .milliseconds(900))
        }
        _ = instance.tick(now: probe.at + .milliseconds(1000))
        #expect(instance.member(probe.target)?.status == .suspect)
        #expect(instance.localHealthMultiplier == 0, "every helper answered: our own links work")
    }

    @Test func localHealthRisesOnMissedNacksStretchesTheProbeAndFallsOnSuccess() throws {
        var instance = try Fixture.instance(members: 5)
        let probe = Self.firstProbe(&instance)
        _ = instance.tick(now: probe.at + .milliseconds(500))
        let nextAt = probe.at + .milliseconds(1000)
        // The failed probe ends and the next one starts in the same tick (its period has come).
        let next = instance.tick(now: nextAt).pings
        #expect(instance.localHealthMultiplier == 3, "three helpers, no nacks")
        #expect(next.count == 1)
        guard let ping = next.first else { return }
        // Its timeout is stretched × (LHM + 1) = 4: no ping-request before 2 s.
        #expect(instance.tick(now: nextAt + .milliseconds(1999)).pingRequests.isEmpty)
        _ = instance.receive(SWIMMessage(sender: ping.target, kind: .ack(sequence: ping.sequence, target: ping.target)), now: nextAt + .milliseconds(1999))
        #expect(instance.localHealthMultiplier == 2, "a successful probe lowers it")
        // The probe after that comes probeInterval × 4 after the second one started.
        #expect(instance.advance(to: nextAt + .milliseconds(3999), acking: true).pings.isEmpty)
        #expect(instance.advance(to: nextAt + .milliseconds(4000), acking: true).pings.count == 1)
    }

    @Test func localHealthIsBoundedBySaturation() throws {
        var configuration = SWIMConfiguration.defaults
        configuration.maxLocalHealthMultiplier = 2
        var instance = try Fixture.instance(members: 5, configuration: configuration)
        for _ in 0..<3 {
            _ = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .gossip, updates: [.suspect(instance.id, incarnation: instance.incarnation, from: Fixture.id(2))]), now: .zero)
        }
        #expect(instance.localHealthMultiplier == 2)
    }

    @Test func roundRobinProbesEveryLiveMemberOncePerRound() throws {
        var instance = try Fixture.instance(members: 6)
        var targets: [SWIMNodeID] = []
        var now = SWIMTime.zero
        while targets.count < 12, let deadline = instance.nextDeadline {
            now = deadline
            for ping in instance.tick(now: now).pings {
                targets.append(ping.target)
                _ = instance.receive(SWIMMessage(sender: ping.target, kind: .ack(sequence: ping.sequence, target: ping.target)), now: now)
            }
        }
        #expect(Set(targets.prefix(6)).count == 6)
        #expect(Set(targets.suffix(6)).count == 6)
    }

    @Test func helperForwardsAnAckOrSendsANack() throws {
        var helper = try Fixture.instance(members: 4)
        let origin = Fixture.id(2), target = Fixture.id(3)
        let sent = helper.receive(SWIMMessage(sender: origin, kind: .pingRequest(sequence: 42, target: target)), now: .seconds(10))
        guard let ping = sent.pings.first else { Issue.record("no forwarded ping"); return }
        #expect(ping.target == target)
        let forwarded = helper.receive(SWIMMessage(sender: target, kind: .ack(sequence: ping.sequence, target: target)), now: .seconds(10.01))
        #expect(forwarded.messages.contains { $0.target == .member(origin) && $0.message.kind == .ack(sequence: 42, target: target) })

        let second = helper.receive(SWIMMessage(sender: origin, kind: .pingRequest(sequence: 43, target: target)), now: .seconds(20))
        #expect(second.pings.count == 1)
        let nack = helper.advance(to: .seconds(20.4))
        #expect(nack.messages.contains { $0.target == .member(origin) && $0.message.kind == .nack(sequence: 43, target: target) })
    }
}

@Suite struct SWIMInstanceGossipTests {
    @Test func refutationRaisesTheIncarnationAndTheLocalHealth() throws {
        var instance = try Fixture.instance(members: 3)
        _ = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .gossip, updates: [.suspect(instance.id, incarnation: 0, from: Fixture.id(2))]), now: .seconds(1))
        #expect(instance.incarnation == 1)
        #expect(instance.localHealthMultiplier == 1)
        #expect(instance.statistics.refutations == 1)
        // The refutation is the next thing any message carries.
        let reply = instance.receive(SWIMMessage(sender: Fixture.id(3), kind: .ping(sequence: 9, target: instance.id)), now: .seconds(1))
        #expect(reply.messages.first?.message.updates.contains(.alive(instance.id, incarnation: 1, metadata: instance.metadata, payload: [])) == true)
        // A stale suspicion (older incarnation) is ignored.
        _ = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .gossip, updates: [.suspect(instance.id, incarnation: 0, from: Fixture.id(2))]), now: .seconds(2))
        #expect(instance.incarnation == 1)
    }

    @Test func aSuspectComesBackOnlyWithAHigherIncarnation() throws {
        var instance = try Fixture.instance(members: 3)
        let b = Fixture.id(2)
        let suspected = instance.receive(SWIMMessage(sender: Fixture.id(3), kind: .gossip, updates: [.suspect(b, incarnation: 0, from: Fixture.id(3))]), now: .seconds(1))
        #expect(suspected.changes.map(\.member.status) == [.suspect])
        _ = instance.receive(SWIMMessage(sender: b, kind: .gossip, updates: [Fixture.alive(2, incarnation: 0)]), now: .seconds(1))
        #expect(instance.member(b)?.status == .suspect)
        let refuted = instance.receive(SWIMMessage(sender: b, kind: .gossip, updates: [Fixture.alive(2, incarnation: 1)]), now: .seconds(2))
        #expect(refuted.changes.map(\.member.status) == [.alive])
        #expect(refuted.changes.first?.previousStatus == .suspect)
        #expect(instance.member(b)?.incarnation == 1)
    }

    @Test func deadIsFinalForItsIncarnation() throws {
        var instance = try Fixture.instance(members: 3)
        let b = Fixture.id(2)
        _ = instance.receive(SWIMMessage(sender: Fixture.id(3), kind: .gossip, updates: [.dead(b, incarnation: 0, from: Fixture.id(3))]), now: .seconds(1))
        #expect(instance.member(b)?.status == .dead)
        _ = instance.receive(SWIMMessage(sender: Fixture.id(3), kind: .gossip, updates: [.suspect(b, incarnation: 0, from: Fixture.id(3)), Fixture.alive(2, incarnation: 0)]), now: .seconds(2))
        #expect(instance.member(b)?.status == .dead)
        _ = instance.receive(SWIMMessage(sender: b, kind: .gossip, updates: [Fixture.alive(2, incarnation: 1)]), now: .seconds(3))
        #expect(instance.member(b)?.status == .alive)
        #expect(instance.liveMemberCount == 3)
    }

    @Test func confirmationsShrinkTheSuspicionTimeout() throws {
        // 11 nodes: minimum 4 × log10(11) s ≈ 4.166 s, maximum 6 × that ≈ 25 s, K = 3.
        var instance = try Fixture.instance(members: 10)
        let target = Fixture.id(5)
        var deadlines: [SWIMTime] = []
        for suspector in [UInt64(6), 7, 8, 9, 10] {
            _ = instance.receive(SWIMMessage(sender: Fixture.id(suspector), kind: .gossip,
                                             updates: [.suspect(target, incarnation: 0, from: Fixture.id(suspector))]), now: .zero)
            deadlines.append(instance.nextDeadline ?? .zero)
        }
        // Three confirmations bring the timeout to its minimum, 4 × log10(11) s ≈ 4.17 s.
        let timeout = SWIMConfiguration.defaults.suspicionTimeout(clusterSize: 11, confirmations: 3)
        #expect(timeout == SWIMConfiguration.defaults.suspicionTimeout(clusterSize: 11, confirmations: 0) / 6)
        let before = instance.advance(to: .zero + (timeout - .milliseconds(10))).changes.filter { $0.member.id == target && $0.member.status == .dead }
        #expect(before.isEmpty)
        let after = instance.advance(to: .zero + (timeout + .milliseconds(10))).changes.filter { $0.member.id == target && $0.member.status == .dead }
        #expect(after.count == 1)
        #expect(deadlines.count == 5)
    }

    @Test func suspicionTimeoutFormula() {
        // Lifeguard: max(min, max − (max − min) · log(c + 1) / log(K + 1)).
        // 6 nodes: min = 4 × max(1, log10 6) × 1 s = 4 s, max = 6 × 4 s = 24 s, K = 3.
        let configuration = SWIMConfiguration.defaults
        #expect(configuration.suspicionTimeout(clusterSize: 6, confirmations: 0) == .seconds(24))
        #expect(configuration.suspicionTimeout(clusterSize: 6, confirmations: 1) == .seconds(14))
        #expect(configuration.suspicionTimeout(clusterSize: 6, confirmations: 3) == .seconds(4))
        #expect(configuration.suspicionTimeout(clusterSize: 6, confirmations: 9) == .seconds(4))
        // 1,000 nodes: min = 4 × 3 × 1 s = 12 s, max = 72 s.
        #expect(configuration.suspicionTimeout(clusterSize: 1000, confirmations: 0) == .seconds(72))
        #expect(configuration.suspicionTimeout(clusterSize: 1000, confirmations: 3) == .seconds(12))
        // 4 nodes cannot gather K = 3 confirmations: the minimum at once.
        #expect(configuration.suspicionTimeout(clusterSize: 4, confirmations: 0) == .seconds(4))
    }

    @Test func aSuspectThatKeepsTalkingIsNotDeclaredDeadLocally() throws {
        // 4 nodes: K = 0, so the suspicion timeout is its minimum, 4 s.
        var instance = try Fixture.instance(members: 3)
        let slow = Fixture.id(3)
        _ = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .gossip, updates: [.suspect(slow, incarnation: 0, from: Fixture.id(2))]), now: .zero)
        // The slow member pings us (it runs, it just has not heard of the suspicion yet).
        let reply = instance.receive(SWIMMessage(sender: slow, kind: .ping(sequence: 5, target: instance.id)), now: .seconds(2))
        #expect(reply.messages.first?.message.updates.first == .suspect(slow, incarnation: 0, from: Fixture.id(2)), "buddy system")
        let renewed = instance.advance(to: .seconds(4)).changes.filter { $0.member.id == slow }
        #expect(renewed.isEmpty, "heard from it after the suspicion started: the timer starts over")
        #expect(instance.member(slow)?.status == .suspect)
        // Silent for a whole timeout: now it is declared dead.
        let dead = instance.advance(to: .seconds(8)).changes.filter { $0.member.id == slow }
        #expect(dead.map(\.member.status) == [.dead])
    }

    @Test func aRefutationIsGossipedAtOnce() throws {
        var instance = try Fixture.instance(members: 6)
        let out = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .gossip, updates: [.suspect(instance.id, incarnation: 0, from: Fixture.id(2))]), now: .seconds(1))
        let refutation = SWIMUpdate.alive(instance.id, incarnation: 1, metadata: instance.metadata, payload: [])
        #expect(out.messages.count == 3, "gossip fan-out, without waiting for the next round")
        #expect(out.messages.allSatisfy { $0.message.updates.first == refutation })
    }

    @Test func buddySystemTellsASuspectFirst() throws {
        var instance = try Fixture.instance(members: 5)
        let target = Fixture.id(4)
        _ = instance.receive(SWIMMessage(sender: Fixture.id(3), kind: .gossip, updates: [.suspect(target, incarnation: 0, from: Fixture.id(3))]), now: .zero)
        // Whatever we send to the suspect next starts with its suspicion, even when the queue has drained.
        instance.drainBroadcasts(now: .zero)
        let reply = instance.receive(SWIMMessage(sender: target, kind: .ping(sequence: 1, target: instance.id)), now: .zero)
        #expect(reply.messages.first?.message.updates.first == .suspect(target, incarnation: 0, from: Fixture.id(3)))
    }

    @Test func retransmissionIsBoundedByLambdaLogN() throws {
        var instance = try Fixture.instance(members: 9)
        // n = 10: limit = 4 × ceil(log10(11)) = 8.
        #expect(instance.retransmitLimit == 8)
        _ = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .gossip, updates: [Fixture.alive(3, incarnation: 1)]), now: .zero)
        var carried = 0
        for second in 0..<60 {
            let out = instance.tick(now: .seconds(Double(second) * 0.2))
            carried += out.messages.filter { $0.message.updates.contains(Fixture.alive(3, incarnation: 1)) }.count
            for ping in out.pings {
                _ = instance.receive(SWIMMessage(sender: ping.target, kind: .ack(sequence: ping.sequence, target: ping.target)), now: .seconds(Double(second) * 0.2))
            }
        }
        #expect(carried == 8)
        #expect(instance.pendingBroadcastCount == 0)
    }

    @Test func gossipGoesToFanoutPeersOnlyWhenThereIsNews() throws {
        var instance = try Fixture.instance(members: 9)
        let quiet = instance.advance(to: .seconds(0.9))
        #expect(quiet.messages.allSatisfy { if case .gossip = $0.message.kind { false } else { true } })
        _ = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .gossip, updates: [Fixture.alive(3, incarnation: 1)]), now: .seconds(0.9))
        let round = instance.advance(to: .seconds(1.0))
        let gossip = round.messages.filter { if case .gossip = $0.message.kind { true } else { false } }
        #expect(gossip.count == 3)
        #expect(Set(gossip.map(\.target)).count == 3)
    }

    @Test func gracefulLeaveIsAnnouncedAndThenEverythingIsIgnored() throws {
        var instance = try Fixture.instance(members: 4)
        let out = instance.leave(now: .seconds(1))
        #expect(out.messages.count == 4)
        #expect(out.messages.allSatisfy { $0.message.updates == [.left(instance.id, incarnation: 0)] })
        #expect(instance.hasLeft)
        #expect(instance.nextDeadline == nil)
        #expect(instance.tick(now: .seconds(5)).isEmpty)

        var peer = try Fixture.instance(members: 4)
        let seen = peer.receive(SWIMMessage(sender: Fixture.id(3), kind: .gossip, updates: [.left(Fixture.id(3), incarnation: 0)]), now: .seconds(1))
        #expect(seen.changes.map(\.member.status) == [.left])
        #expect(peer.liveMemberCount == 3)
    }

    @Test func metadataChangeBumpsTheIncarnationAndSpreads() throws {
        var instance = try Fixture.instance(members: 2)
        var metadata = instance.metadata
        metadata.load = 17
        try instance.update(metadata: metadata, payload: [1, 2, 3])
        #expect(instance.incarnation == 1)
        let reply = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .ping(sequence: 1, target: instance.id)), now: .zero)
        #expect(reply.messages.first?.message.updates == [.alive(instance.id, incarnation: 1, metadata: metadata, payload: [1, 2, 3])])
    }

    @Test func payloadSizeIsBounded() throws {
        var configuration = SWIMConfiguration.defaults
        configuration.maxPayloadBytes = 16
        #expect(throws: SWIMError.self) {
            _ = try SWIMInstance(id: Fixture.id(1), metadata: Fixture.metadata(1), payload: Array(repeating: 0, count: 17),
                                 configuration: configuration, seed: 1, now: .zero)
        }
        var instance = try Fixture.instance(members: 2, configuration: configuration)
        do {
            try instance.update(metadata: instance.metadata, payload: Array(repeating: 0, count: 17))
            Issue.record("an oversized payload was accepted")
        } catch {
            #expect(error.code == "swim_payload_too_large")
        }
        // Oversized payloads from peers are ignored.
        _ = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .gossip,
                                         updates: [.alive(Fixture.id(2), incarnation: 5, metadata: Fixture.metadata(2), payload: Array(repeating: 1, count: 17))]), now: .zero)
        #expect(instance.member(Fixture.id(2))?.incarnation == 0)
    }

    @Test func configurationIsValidated() {
        var configuration = SWIMConfiguration.defaults
        configuration.probeTimeout = .milliseconds(600)
        #expect(throws: SWIMError.self) { try configuration.validate() }
        #expect(throws: Never.self) { try SWIMConfiguration.defaults.validate() }
    }
}

@Suite struct SWIMInstanceSyncTests {
    @Test func pushPullMergesAndAnswersWithTheLocalState() throws {
        var instance = try Fixture.instance(members: 2)
        let request = SWIMMessage(sender: Fixture.id(9), kind: .pushPull(SWIMPushPull(isResponse: false, isJoin: true, members: [
            Fixture.record(9), Fixture.record(10, incarnation: 3), Fixture.record(2, .dead, incarnation: 0), Fixture.record(3, .left, incarnation: 0),
        ])))
        let out = instance.receive(request, now: .seconds(1))
        #expect(instance.member(Fixture.id(9))?.status == .alive)
        #expect(instance.member(Fixture.id(10))?.incarnation == 3)
        #expect(instance.member(Fixture.id(2))?.status == .suspect, "a remote death only makes us suspect")
        #expect(instance.member(Fixture.id(3))?.status == .left)
        let reply = out.messages.first { $0.target == .member(Fixture.id(9)) }
        guard case .pushPull(let state)? = reply?.message.kind else { Issue.record("no push-pull answer"); return }
        #expect(state.isResponse)
        #expect(state.members.first?.id == instance.id)
        #expect(Set(state.members.map(\.id)) == Set([1, 2, 3, 9, 10].map(Fixture.id)))
        // A response is not answered again.
        let response = SWIMMessage(sender: Fixture.id(9), kind: .pushPull(SWIMPushPull(isResponse: true, isJoin: false, members: [Fixture.record(9)])))
        #expect(instance.receive(response, now: .seconds(2)).messages.isEmpty)
    }

    @Test func aDisputedDeathIsSuspectedAgain() throws {
        var instance = try Fixture.instance(members: 3)
        _ = instance.receive(SWIMMessage(sender: Fixture.id(3), kind: .gossip, updates: [.dead(Fixture.id(2), incarnation: 0, from: Fixture.id(3))]), now: .seconds(1))
        #expect(instance.member(Fixture.id(2))?.status == .dead)
        // After a partition heals, the other side still holds it alive at the same incarnation.
        let out = instance.receive(SWIMMessage(sender: Fixture.id(4), kind: .pushPull(SWIMPushPull(isResponse: true, isJoin: false, members: [Fixture.record(2)]))), now: .seconds(2))
        #expect(out.changes.map(\.member.status) == [.suspect])
        #expect(out.changes.first?.previousStatus == .dead)
    }

    @Test func aRestartedNodeRefutesItsOwnDeath() throws {
        var restarted = try Fixture.instance(members: 0)
        let out = restarted.receive(SWIMMessage(sender: Fixture.id(2), kind: .pushPull(SWIMPushPull(isResponse: true, isJoin: false, members: [
            Fixture.record(2), Fixture.record(1, .dead, incarnation: 5),
        ]))), now: .seconds(1))
        #expect(restarted.incarnation == 6)
        #expect(out.changes.map(\.member.id) == [Fixture.id(2)])
    }

    @Test func joinContactsTheSeedsAndRetriesWhileAlone() throws {
        var configuration = SWIMConfiguration.defaults
        configuration.seeds = ["10.0.0.1:7946", "10.0.0.2:7946", "10.0.0.3:7946"]
        var instance = try SWIMInstance(id: Fixture.id(1), metadata: Fixture.metadata(1), configuration: configuration, seed: 3, now: .zero)
        let join = instance.join(now: .zero)
        #expect(Set(join.messages.map(\.target)) == [.seed("10.0.0.2:7946"), .seed("10.0.0.3:7946")], "not to itself")
        #expect(join.messages.allSatisfy { if case .pushPull(let state) = $0.message.kind { state.isJoin } else { false } })
        // No answer: while alone it retries through a seed every protocol period after the first re-join.
        let retries = instance.advance(to: .seconds(30)).messages.filter { if case .seed = $0.target { true } else { false } }
        #expect(retries.count >= 10)
    }

    @Test func rejoinSkipsSeedsThatAreAliveAndReconnectsToTheDead() throws {
        var configuration = SWIMConfiguration.defaults
        configuration.seeds = ["10.0.0.2:7946"]
        var instance = try Fixture.instance(members: 2, configuration: configuration)
        // Seed 2 is alive: no seed traffic at re-join time.
        let quiet = instance.advance(to: .seconds(16), acking: true).messages.filter { if case .pushPull(let state) = $0.message.kind { state.isJoin } else { false } }
        #expect(quiet.isEmpty)
        // Node 3 dies: dead/alive = 1/1, so the next re-join syncs with it.
        _ = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .gossip, updates: [.dead(Fixture.id(3), incarnation: 0, from: Fixture.id(2))]), now: .seconds(16))
        let reconnect = instance.advance(to: .seconds(27), acking: true).messages.filter { if case .pushPull(let state) = $0.message.kind { state.isJoin } else { false } }
        #expect(reconnect.map(\.target).contains(.member(Fixture.id(3))))
        #expect(instance.statistics.rejoinAttempts >= 1)
    }

    @Test func revivalsBringAFullStateSyncForward() throws {
        var instance = try Fixture.instance(members: 4)
        for dead in [UInt64(2), 3] {
            _ = instance.receive(SWIMMessage(sender: Fixture.id(4), kind: .gossip, updates: [.dead(Fixture.id(dead), incarnation: 0, from: Fixture.id(4))]), now: .seconds(1))
        }
        // Both come back (a partition healed): a push-pull follows within a re-join interval,
        // long before the regular 30 s period.
        _ = instance.receive(SWIMMessage(sender: Fixture.id(4), kind: .gossip, updates: [Fixture.alive(2, incarnation: 1), Fixture.alive(3, incarnation: 1)]), now: .seconds(2))
        let syncs = instance.advance(to: .seconds(12.5), acking: true).messages.filter {
            if case .pushPull(let state) = $0.message.kind { !state.isJoin } else { false }
        }
        #expect(syncs.count == 1)
    }

    @Test func aStaleSuspicionOfUsIsAnsweredWithOurIncarnation() throws {
        var instance = try Fixture.instance(members: 3)
        _ = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .gossip, updates: [.suspect(instance.id, incarnation: 0, from: Fixture.id(2))]), now: .seconds(1))
        instance.drainBroadcasts(now: .seconds(1))
        // Node 3 never heard the refutation and still suspects incarnation 0.
        let out = instance.receive(SWIMMessage(sender: Fixture.id(3), kind: .gossip, updates: [.suspect(instance.id, incarnation: 0, from: Fixture.id(3))]), now: .seconds(2))
        #expect(instance.incarnation == 1, "no new refutation")
        let answer = out.messages.first { $0.target == .member(Fixture.id(3)) }
        #expect(answer?.message.updates.first == .alive(instance.id, incarnation: 1, metadata: instance.metadata, payload: []))
    }

    @Test func tombstonesAreForgottenAfterTheRetention() throws {
        var configuration = SWIMConfiguration.defaults
        configuration.deadMemberRetention = .seconds(60)
        var instance = try Fixture.instance(members: 3, configuration: configuration)
        _ = instance.receive(SWIMMessage(sender: Fixture.id(2), kind: .gossip, updates: [.dead(Fixture.id(3), incarnation: 0, from: Fixture.id(2))]), now: .seconds(1))
        _ = instance.advance(to: .seconds(100), acking: true)
        #expect(instance.member(Fixture.id(3)) == nil)
        #expect(instance.members.count == 2)
    }
}
