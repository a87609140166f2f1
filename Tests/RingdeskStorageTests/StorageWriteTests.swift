import Foundation
import Testing
@_spi(Testing) import RingdeskStorage

@Suite("Writes: idempotency, optimistic versions, savepoints")
struct StorageWriteTests {
    @Test func createThenGetByIDAndKey() async throws {
        try await withStorage { storage, _ async throws in
            let row = makeTicket("t1", key: "order-1/return", agentID: "a7")
            #expect(try await storage.write(create(row, events: 2)) == .applied)
            #expect(try await storage.ticket(id: "t1") == row)
            #expect(try await storage.ticket(idempotencyKey: "order-1/return") == row)
            #expect(try await storage.events(ticketID: "t1").map(\.seq) == [0, 1])
            #expect(try await storage.ticket(id: "missing") == nil)
        }
    }

    @Test func duplicateIdempotencyKeyLeavesExactlyOneRow() async throws {
        try await withStorage { storage, _ async throws in
            #expect(try await storage.write(create(makeTicket("t1", key: "k"))) == .applied)
            let second = try await storage.write(create(makeTicket("t2", key: "k"), events: 3))
            #expect(second == .duplicate(existingID: "t1"))
            #expect(try await storage.ticketCount() == 1)
            #expect(try await storage.ticket(id: "t2") == nil)
            #expect(try await storage.events(ticketID: "t2").isEmpty)
        }
    }

    @Test func duplicatesInsideOneTransactionAreCaught() async throws {
        try await withStorage { storage, _ async throws in
            storage.pauseWriter()
            async let first = storage.write(create(makeTicket("t1", key: "k")))
            await storage.waitUntilQueued(1)
            async let second = storage.write(create(makeTicket("t2", key: "k")))
            await storage.waitUntilQueued(2)
            storage.resumeWriter()
            #expect(try await first == .applied)
            #expect(try await second == .duplicate(existingID: "t1"))
            #expect(storage.statistics().transactions == 1)
            #expect(try await storage.ticketCount() == 1)
        }
    }

    @Test func versionConflictLeavesNothingWritten() async throws {
        try await withStorage { storage, _ async throws in
            let original = makeTicket("t1", key: "k", version: 1)
            #expect(try await storage.write(create(original)) == .applied)

            var changed = makeTicket("t1", key: "k", status: "assigned", agentID: "a1", version: 2)
            changed.updatedAt += 5
            let stale = try await storage.write(.updateTicket(changed, expectedVersion: 7, newEvents: [makeEvent("t1", seq: 1)]))
            #expect(stale == .versionConflict(ticketID: "t1", expected: 7, actual: 1))
            #expect(try await storage.ticket(id: "t1") == original)
            #expect(try await storage.events(ticketID: "t1").count == 1)

            let fresh = try await storage.write(.updateTicket(changed, expectedVersion: 1, newEvents: [makeEvent("t1", seq: 1, kind: "assigned")]))
            #expect(fresh == .applied)
            #expect(try await storage.ticket(id: "t1") == changed)
            #expect(try await storage.events(ticketID: "t1").map(\.kind) == ["created", "assigned"])

            let missing = try await storage.write(.updateTicket(makeTicket("nope"), expectedVersion: 1, newEvents: []))
            #expect(missing == .notFound(ticketID: "nope"))
            #expect(try await storage.ticketCount() == 1)
        }
    }

    @Test func aFailingOperationDoesNotAffectOthersInTheSameTransaction() async throws {
        try await withStorage { storage, _ async throws in
            #expect(try await storage.write(create(makeTicket("existing", version: 3))) == .applied)
            let before = storage.statistics()

            storage.pauseWriter()
            async let good1 = storage.write(create(makeTicket("a")))
            await storage.waitUntilQueued(1)
            // Same primary key as an existing ticket: a constraint error inside its savepoint.
            async let clash = storage.write(create(makeTicket("existing", key: "fresh-key"), events: 2))
            await storage.waitUntilQueued(2)
            async let conflict = storage.write(.updateTicket(makeTicket("existing", status: "x", version: 9), expectedVersion: 1, newEvents: []))
            await storage.waitUntilQueued(3)
            async let good2 = storage.write(create(makeTicket("b"), events: 2))
            await storage.waitUntilQueued(4)
            storage.resumeWriter()

            #expect(try await good1 == .applied)
            do {
                _ = try await clash
                Issue.record("expected constraint_violation")
            } catch {
                #expect(isStorageError(error, .constraintViolation))
            }
            #expect(try await conflict == .versionConflict(ticketID: "existing", expected: 1, actual: 3))
            #expect(try await good2 == .applied)

            let after = storage.statistics()
            #expect(after.transactions - before.transactions == 1)
            #expect(after.lastBatchSize == 4)
            #expect(after.failedWrites == 1)
            #expect(after.isolatedRetries - before.isolatedRetries == 1)
            #expect(after.refusedWrites == 1)
            #expect(try await storage.ticketCount() == 3)
            #expect(try await storage.ticket(idempotencyKey: "fresh-key") == nil)
            #expect(try await storage.ticket(id: "existing")?.version == 3)
            #expect(try await storage.events(ticketID: "existing").count == 1)
            #expect(try await storage.events(ticketID: "b").count == 2)
        }
    }

    @Test func severalOperationsAreAllOrNothing() async throws {
        try await withStorage { storage, _ async throws in
            #expect(try await storage.write(create(makeTicket("t1"))) == .applied)
            let refused = try await storage.write([
                create(makeTicket("t2")),
                .setMeta(key: "applied_index", value: "7"),
                .updateTicket(makeTicket("t1", version: 2), expectedVersion: 5, newEvents: []),
            ])
            #expect(refused == .versionConflict(ticketID: "t1", expected: 5, actual: 1))
            #expect(try await storage.ticket(id: "t2") == nil)
            #expect(try await storage.meta("applied_index") == nil)

            let applied = try await storage.write([
                create(makeTicket("t2")),
                .setMeta(key: "applied_index", value: "8"),
                .updateTicket(makeTicket("t1", status: "assigned", version: 2), expectedVersion: 1, newEvents: [makeEvent("t1", seq: 1)]),
            ])
            #expect(applied == .applied)
            #expect(try await storage.ticketCount() == 2)
            #expect(try await storage.meta("applied_index") == "8")
            #expect(try await storage.ticket(id: "t1")?.status == "assigned")
            #expect(try await storage.write([]) == .applied)

            // A statement error in the middle of an atomic write undoes the whole write only.
            await #expect {
                _ = try await storage.write([create(makeTicket("t3")), create(makeTicket("t1", key: "other"))])
            } throws: { isStorageError($0, .constraintViolation) }
            #expect(try await storage.ticket(id: "t3") == nil)
            #expect(try await storage.ticketCount() == 2)
        }
    }

    @Test func agentsAndMetaAreUpserted() async throws {
        try await withStorage { storage, _ async throws in
            #expect(try await storage.write(.upsertAgent(AgentRow(id: "b", updatedAt: 1, doc: Data("1".utf8)))) == .applied)
            #expect(try await storage.write(.upsertAgent(AgentRow(id: "a", updatedAt: 1, doc: Data("2".utf8)))) == .applied)
            #expect(try await storage.write(.upsertAgent(AgentRow(id: "b", updatedAt: 2, doc: Data("3".utf8)))) == .applied)
            #expect(try await storage.allAgents() == [
                AgentRow(id: "a", updatedAt: 1, doc: Data("2".utf8)),
                AgentRow(id: "b", updatedAt: 2, doc: Data("3".utf8)),
            ])
            #expect(try await storage.agent(id: "b")?.doc == Data("3".utf8))
            #expect(try await storage.write(.setMeta(key: "node_id", value: "n1")) == .applied)
            #expect(try await storage.write(.setMeta(key: "node_id", value: "n2")) == .applied)
            #expect(try await storage.meta("node_id") == "n2")
        }
    }

    @Test func emptyDocumentsRoundTrip() async throws {
        try await withStorage { storage, _ async throws in
            var row = makeTicket("t1")
            row.doc = Data()
            let event = TicketEventRow(ticketID: "t1", seq: 0, at: 1, kind: "created", doc: Data())
            #expect(try await storage.write(.createTicket(row, events: [event])) == .applied)
            #expect(try await storage.ticket(id: "t1") == row)
            #expect(try await storage.events(ticketID: "t1") == [event])
        }
    }
}
