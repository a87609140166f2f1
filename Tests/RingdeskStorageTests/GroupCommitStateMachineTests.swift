import Testing
@testable import RingdeskStorage

@Suite("GroupCommitStateMachine (pure)")
struct GroupCommitStateMachineTests {
    typealias Machine = GroupCommitStateMachine<String, Int>

    func batch(_ action: Machine.BatchAction) -> [String]? {
        if case .run(let requests) = action { return requests }
        return nil
    }

    @Test func firstRequestStartsTheWriterAndLaterOnesQueue() {
        var machine = Machine()
        guard case .startWriter = machine.enqueue("a", weight: 1) else { Issue.record("expected start"); return }
        guard case .queued = machine.enqueue("b", weight: 1) else { Issue.record("expected queued"); return }
        #expect(batch(machine.nextBatch(maxWeight: 10)) == ["a", "b"])
        // Arrivals during the transaction go to the next one, without a second writer.
        guard case .queued = machine.enqueue("c", weight: 1) else { Issue.record("expected queued"); return }
        #expect(batch(machine.nextBatch(maxWeight: 10)) == ["c"])
        guard case .stop(let closers) = machine.nextBatch(maxWeight: 10) else { Issue.record("expected stop"); return }
        #expect(closers.isEmpty)
        guard case .startWriter = machine.enqueue("d", weight: 1) else { Issue.record("expected restart"); return }
    }

    @Test func batchesRespectTheWeightLimitButAlwaysTakeOne() {
        var machine = Machine()
        _ = machine.enqueue("big", weight: 50)
        _ = machine.enqueue("a", weight: 3)
        _ = machine.enqueue("b", weight: 3)
        _ = machine.enqueue("c", weight: 3)
        #expect(batch(machine.nextBatch(maxWeight: 8)) == ["big"])
        #expect(batch(machine.nextBatch(maxWeight: 8)) == ["a", "b"])
        #expect(batch(machine.nextBatch(maxWeight: 8)) == ["c"])
        #expect(machine.queuedCount == 0)
    }

    @Test func closeDrainsQueuedRequestsThenReleasesWaiters() {
        var machine = Machine()
        _ = machine.enqueue("a", weight: 1)
        guard case .wait = machine.close(7) else { Issue.record("expected wait"); return }
        guard case .rejectClosed = machine.enqueue("late", weight: 1) else { Issue.record("expected reject"); return }
        #expect(batch(machine.nextBatch(maxWeight: 10)) == ["a"])
        guard case .stop(let closers) = machine.nextBatch(maxWeight: 10) else { Issue.record("expected stop"); return }
        #expect(closers == [7])
        guard case .closeNow = machine.close(8) else { Issue.record("expected closeNow"); return }
    }

    @Test func pauseHoldsRequestsUntilResume() {
        var machine = Machine()
        machine.pause()
        guard case .queued = machine.enqueue("a", weight: 1) else { Issue.record("expected queued"); return }
        let early = machine.waitUntilQueued(2, 1)
        #expect(early == nil)
        guard case .queued(let ready) = machine.enqueue("b", weight: 1) else { Issue.record("expected queued"); return }
        #expect(ready == [1])
        let immediate = machine.waitUntilQueued(2, 2)
        #expect(immediate == 2)
        let started = machine.resume()
        #expect(started)
        #expect(batch(machine.nextBatch(maxWeight: 10)) == ["a", "b"])
    }

    @Test func closeWhilePausedStartsTheWriter() {
        var machine = Machine()
        machine.pause()
        _ = machine.enqueue("a", weight: 1)
        guard case .startWriterAndWait = machine.close(1) else { Issue.record("expected start and wait"); return }
        #expect(batch(machine.nextBatch(maxWeight: 10)) == ["a"])
        guard case .stop(let closers) = machine.nextBatch(maxWeight: 10) else { Issue.record("expected stop"); return }
        #expect(closers == [1])
    }
}
