import Foundation
@_spi(Testing) import RingdeskStorage

/// Runs `body` with a fresh directory under the temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("ringdesk-storage-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// Runs `body` with a store opened in a fresh temporary directory, closed afterwards.
func withStorage<T>(
    maxBatchSize: Int = 1024,
    _ body: (SQLiteStorage, URL) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory async throws in
        let storage = try await SQLiteStorage.open(configuration(in: directory, maxBatchSize: maxBatchSize))
        do {
            let result = try await body(storage, directory)
            try await storage.close()
            return result
        } catch {
            try? await storage.close()
            throw error
        }
    }
}

func configuration(in directory: URL, maxBatchSize: Int = 1024) -> StorageConfiguration {
    var configuration = StorageConfiguration.defaults(path: directory.appendingPathComponent("db/ringdesk.sqlite").path)
    configuration.maxBatchSize = maxBatchSize
    return configuration
}

func makeTicket(
    _ id: String,
    key: String? = nil,
    status: String = "queued",
    urgency: String = "green",
    category: String = "refund",
    channel: String = "chat",
    region: String = "eu",
    agentID: String? = nil,
    customerID: String = "c1",
    createdAt: Double = 1_700_000_000,
    version: Int = 1
) -> TicketRow {
    TicketRow(
        id: id, idempotencyKey: key, status: status, urgency: urgency, category: category,
        channel: channel, region: region, language: "en", queue: "general", agentID: agentID,
        customerID: customerID, createdAt: createdAt, updatedAt: createdAt, version: version,
        doc: Data(#"{"id":"\#(id)","v":\#(version)}"#.utf8))
}

func makeEvent(_ ticketID: String, seq: Int, kind: String = "created") -> TicketEventRow {
    TicketEventRow(ticketID: ticketID, seq: seq, at: 1_700_000_000 + Double(seq), kind: kind, doc: Data(#"{"seq":\#(seq)}"#.utf8))
}

func create(_ row: TicketRow, events: Int = 1) -> StorageWrite {
    .createTicket(row, events: (0..<events).map { makeEvent(row.id, seq: $0) })
}

/// Whether `error` is a `StorageError` with `code`.
func isStorageError(_ error: any Error, _ code: StorageError.Code) -> Bool {
    (error as? StorageError)?.code == code
}
