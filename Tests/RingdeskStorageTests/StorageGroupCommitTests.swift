import Foundation
import Testing
@_spi(Testing) import RingdeskStorage

@Suite("Group commit")
struct StorageGroupCommitTests {
    /// With the writer held while 2,000 callers enqueue, the batch limit alone decides the
    /// number of transactions: ceil(2000 / 1024) = 2.
    @Test func concurrentWritesShareTransactions() async throws {
        try await withStorage(maxBatchSize: 1024) { storage, _ async throws in
            let writes = 2000
            storage.pauseWriter()
            try await withThrowingTaskGroup(of: StorageWriteResult.self) { group in
                for i in 0..<writes {
                    group.addTask { try await storage.write(create(makeTicket("t\(i)", key: "k\(i)"))) }
                }
                await storage.waitUntilQueued(writes)
                #expect(storage.statistics().queuedWrites == writes)
                storage.resumeWriter()
                var applied = 0
                for try await result in group where result == .applied { applied += 1 }
                #expect(applied == writes)
            }
            let stats = storage.statistics()
            #expect(stats.transactions == 2)
            #expect(stats.transactions < writes / 4)
            #expect(stats.writes == writes)
            #expect(stats.largestBatchSize == 1024)
            #expect(stats.queuedWrites == 0)
            #expect(stats.commitDurationBuckets.reduce(0, +) == stats.transactions)
            #expect(try await storage.ticketCount() == writes)
        }
    }

    /// Unpaused: every write still commits, and every write is counted in exactly one transaction.
    @Test func concurrentWritesWithoutPauseAllCommit() async throws {
        try await withStorage(maxBatchSize: 64) { storage, _ async throws in
            let writes = 2000
            try await withThrowingTaskGroup(of: StorageWriteResult.self) { group in
                for i in 0..<writes {
                    group.addTask { try await storage.write(create(makeTicket("t\(i)", key: "k\(i)"))) }
                }
                for try await result in group { #expect(result == .applied) }
            }
            let stats = storage.statistics()
            #expect(stats.writes == writes)
            #expect(stats.transactions >= writes / 64)
            #expect(stats.transactions <= writes)
            #expect(stats.largestBatchSize <= 64)
            #expect(try await storage.ticketCount() == writes)
        }
    }

    @Test func anAtomicWriteLargerThanTheBatchLimitRunsAlone() async throws {
        let operations = (0..<10).map { create(makeTicket("t\($0)")) }
        try await withStorage(maxBatchSize: 4) { storage, _ async throws in
            let result = try await storage.write(operations)
            #expect(result == .applied)
            #expect(storage.statistics().transactions == 1)
            #expect(try await storage.ticketCount() == 10)
        }
    }
}
