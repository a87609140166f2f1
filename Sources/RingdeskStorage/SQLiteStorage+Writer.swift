import GRDB

/// The group-commit writer: one transaction per batch, one savepoint per request.
extension SQLiteStorage {
    /// Schedules one writer turn on GRDB's writer queue (a serial dispatch queue, off the
    /// cooperative pool). Each turn commits one batch and schedules the next, so other writer
    /// accesses (diagnostics) interleave between transactions.
    func scheduleWriter() {
        pool.asyncWriteWithoutTransaction { db in
            self.writerTurn(db)
        }
    }

    private func writerTurn(_ db: Database) {
        let maxWeight = configuration.maxBatchSize
        switch state.withLock({ $0.nextBatch(maxWeight: maxWeight) }) {
        case .stop(let closers):
            closers.forEach { $0.resume() }
        case .run(let batch):
            commit(batch, db)
            scheduleWriter()
        }
    }

    /// Applies `batch` in one IMMEDIATE transaction and resumes every caller after COMMIT.
    ///
    /// Fast path: requests run without savepoints (a refusal is detected before anything is
    /// written, and a multi-operation request gets its own savepoint). If any statement fails,
    /// the transaction is rolled back and the batch runs again with one savepoint per request,
    /// so only the failing request fails. Savepoints are not free: SQLite copies every page a
    /// savepoint touches to its sub-journal, which dominated the writer's time when used for
    /// every request.
    ///
    /// If the transaction as a whole fails, every caller in it gets the error.
    private func commit(_ batch: [WriteRequest], _ db: Database) {
        let clock = ContinuousClock()
        let start = clock.now
        var outcomes: [Result<StorageWriteResult, StorageError>] = []
        outcomes.reserveCapacity(batch.count)
        do {
            try db.execute(sql: "BEGIN IMMEDIATE TRANSACTION")
            do {
                for request in batch {
                    outcomes.append(.success(try applyWithoutSavepoint(request.operations, db)))
                }
            } catch {
                // Slow path: start over, isolating each request in a savepoint.
                if db.isInsideTransaction {
                    try db.execute(sql: "ROLLBACK TRANSACTION")
                }
                stats.withLock { $0.isolatedRetries += 1 }
                outcomes.removeAll(keepingCapacity: true)
                try db.execute(sql: "BEGIN IMMEDIATE TRANSACTION")
                for request in batch {
                    outcomes.append(try applyInSavepoint(request.operations, db))
                }
            }
            let commitStart = clock.now
            try db.execute(sql: "COMMIT TRANSACTION")
            let end = clock.now
            var operations = 0, refused = 0, failed = 0
            for (request, outcome) in zip(batch, outcomes) {
                operations += request.operations.count
                switch outcome {
                case .success(.applied): break
                case .success: refused += 1
                case .failure: failed += 1
                }
            }
            stats.withLock {
                $0.recordCommit(
                    writes: batch.count, operations: operations, refused: refused, failed: failed,
                    commitSeconds: (end - commitStart).seconds, transactionSeconds: (end - start).seconds)
            }
            if let metrics {
                metrics.batchSize.record(batch.count)
                metrics.commitDuration.recordNanoseconds(Int64((end - commitStart).seconds * 1e9))
                metrics.transactions.increment()
            }
        } catch {
            if db.isInsideTransaction {
                try? db.execute(sql: "ROLLBACK TRANSACTION")
            }
            stats.withLock { $0.failedTransactions += 1 }
            metrics?.failedTransactions.increment()
            let failure = StorageError(error)
            for request in batch {
                request.continuation.resume(throwing: failure)
            }
            return
        }
        for (request, outcome) in zip(batch, outcomes) {
            request.continuation.resume(with: outcome)
        }
    }

    /// Fast path for one request. A single operation writes nothing when refused, so it needs
    /// no savepoint; several operations share one so that a later refusal undoes earlier ones.
    /// Throws on any statement error (the caller then retries the batch with savepoints).
    private func applyWithoutSavepoint(_ operations: [StorageWrite], _ db: Database) throws -> StorageWriteResult {
        if operations.count == 1 {
            return try apply(operations[0], db)
        }
        try db.cachedStatement(sql: "SAVEPOINT ringdesk_write").execute()
        for operation in operations {
            let result = try apply(operation, db)
            if result != .applied {
                try db.cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT ringdesk_write").execute()
                try db.cachedStatement(sql: "RELEASE SAVEPOINT ringdesk_write").execute()
                return result
            }
        }
        try db.cachedStatement(sql: "RELEASE SAVEPOINT ringdesk_write").execute()
        return .applied
    }

    /// Slow path for one request: its operations inside a savepoint, kept if all apply, rolled
    /// back (leaving the rest of the transaction intact) on a refusal or a statement error.
    /// Throws only when the enclosing transaction itself is gone or unusable.
    private func applyInSavepoint(_ operations: [StorageWrite], _ db: Database) throws -> Result<StorageWriteResult, StorageError> {
        try db.cachedStatement(sql: "SAVEPOINT ringdesk_write").execute()
        var outcome: Result<StorageWriteResult, StorageError>
        do {
            outcome = .success(.applied)
            for operation in operations {
                let result = try apply(operation, db)
                if result != .applied {
                    outcome = .success(result)
                    break
                }
            }
        } catch {
            // Some errors (disk full, I/O) make SQLite roll back the whole transaction:
            // then no earlier outcome in this batch holds either.
            guard db.isInsideTransaction else { throw error }
            outcome = .failure(StorageError(error))
        }
        if case .success(.applied) = outcome {
            try db.cachedStatement(sql: "RELEASE SAVEPOINT ringdesk_write").execute()
        } else {
            try db.cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT ringdesk_write").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT ringdesk_write").execute()
        }
        return outcome
    }

    private func apply(_ operation: StorageWrite, _ db: Database) throws -> StorageWriteResult {
        switch operation {
        case .createTicket(let row, let events):
            if let key = row.idempotencyKey,
               let existing = try String.fetchOne(db.cachedStatement(sql: SQL.ticketIDByKey), arguments: [key]) {
                return .duplicate(existingID: existing)
            }
            try TicketReadModel.insert(row, db)
            try TicketReadModel.insert(events[...], db)
            return .applied

        case .updateTicket(let row, let expectedVersion, let newEvents):
            try TicketReadModel.update(row, expectedVersion: expectedVersion, db)
            if db.changesCount == 0 {
                guard let actual = try Int.fetchOne(db.cachedStatement(sql: SQL.ticketVersion), arguments: [row.id]) else {
                    return .notFound(ticketID: row.id)
                }
                return .versionConflict(ticketID: row.id, expected: expectedVersion, actual: actual)
            }
            try TicketReadModel.insert(newEvents[...], db)
            return .applied

        case .upsertAgent(let agent):
            try db.cachedStatement(sql: SQL.upsertAgent).execute(arguments: [agent.id, agent.updatedAt, agent.doc])
            return .applied

        case .setMeta(let key, let value):
            try db.cachedStatement(sql: SQL.setMeta).execute(arguments: [key, value])
            return .applied
        }
    }
}

/// Write statements. `coalesce(?, x'')` keeps an empty document an empty blob (GRDB binds empty
/// `Data` as NULL).
enum SQL {
    static let ticketIDByKey = "SELECT id FROM tickets WHERE idempotency_key = ?"
    static let ticketVersion = "SELECT version FROM tickets WHERE id = ?"
    static let insertTicket = """
        INSERT INTO tickets (id, idempotency_key, status, urgency, category, channel, region, language, \
        queue, agent_id, customer_id, created_at, updated_at, version, doc) \
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, x''))
        """
    static let updateTicket = """
        UPDATE tickets SET idempotency_key = ?, status = ?, urgency = ?, category = ?, channel = ?, \
        region = ?, language = ?, queue = ?, agent_id = ?, customer_id = ?, created_at = ?, updated_at = ?, \
        version = ?, doc = coalesce(?, x'') WHERE id = ? AND version = ?
        """
    static let insertEvent = "INSERT INTO ticket_events (ticket_id, seq, at, kind, doc) VALUES (?, ?, ?, ?, coalesce(?, x''))"
    static let upsertAgent = """
        INSERT INTO agents (id, updated_at, doc) VALUES (?, ?, coalesce(?, x'')) \
        ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc
        """
    static let setMeta = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
}

extension Duration {
    /// The duration in seconds, as a Double (for statistics).
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
