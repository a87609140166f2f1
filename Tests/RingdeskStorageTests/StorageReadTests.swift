import Foundation
import Testing
@_spi(Testing) import RingdeskStorage

@Suite("Listing, paging and bulk reads")
struct StorageReadTests {
    /// 300 tickets over a few attribute values; several share a `createdAt` so paging must
    /// break ties by id.
    static let rows: [TicketRow] = (0..<300).map(row)

    static func row(_ i: Int) -> TicketRow {
        let statuses = ["queued", "assigned", "resolved", "closed"]
        let urgencies = ["red", "yellow", "green"]
        let categories = ["refund", "return", "repair", "inquiry", "logistics"]
        let regions = ["eu", "us", "apac"]
        let id = "t" + String(format: "%03d", (i * 7919) % 300)
        let agentID: String? = i % 6 == 0 ? nil : "a\(i % 4)"
        let createdAt = 1_700_000_000 + Double(i / 3)
        return makeTicket(
            id, status: statuses[i % 4], urgency: urgencies[i % 3], category: categories[i % 5],
            channel: i % 2 == 0 ? "chat" : "email", region: regions[(i / 7) % 3], agentID: agentID,
            customerID: "c\(i % 11)", createdAt: createdAt)
    }

    static func sorted(_ rows: [TicketRow], _ order: TicketFilter.Order) -> [TicketRow] {
        let ascending = rows.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        return order == .oldestFirst ? ascending : ascending.reversed()
    }

    func populated(_ body: (SQLiteStorage) async throws -> Void) async throws {
        try await withStorage { storage, _ async throws in
            #expect(try await storage.write(Self.rows.map { create($0, events: 0) }) == .applied)
            try await body(storage)
        }
    }

    func walk(_ storage: SQLiteStorage, _ filter: TicketFilter) async throws -> [TicketRow] {
        var filter = filter
        var seen: [TicketRow] = []
        var pages = 0
        repeat {
            let page = try await storage.listTickets(filter)
            #expect(page.tickets.count <= filter.limit)
            seen += page.tickets
            filter.cursor = page.nextCursor
            pages += 1
        } while filter.cursor != nil && pages < 1000
        return seen
    }

    @Test(arguments: [TicketFilter.Order.oldestFirst, .newestFirst], [1, 7, 100, 500])
    func pagingWalksEveryRowExactlyOnce(order: TicketFilter.Order, limit: Int) async throws {
        try await populated { storage async throws in
            var filter = TicketFilter()
            filter.order = order
            filter.limit = limit
            let seen = try await walk(storage, filter)
            #expect(seen == Self.sorted(Self.rows, order))
            #expect(Set(seen.map(\.id)).count == Self.rows.count)
        }
    }

    @Test func filtersMatchTheirDefinition() async throws {
        try await populated { storage async throws in
            var filters: [(TicketFilter, (TicketRow) -> Bool)] = []
            var f = TicketFilter()
            f.statuses = ["queued", "assigned"]
            filters.append((f, { ["queued", "assigned"].contains($0.status) }))
            f = TicketFilter(); f.urgency = "red"; f.region = "us"
            filters.append((f, { $0.urgency == "red" && $0.region == "us" }))
            f = TicketFilter(); f.category = "repair"; f.channel = "email"
            filters.append((f, { $0.category == "repair" && $0.channel == "email" }))
            f = TicketFilter(); f.agentID = "a1"
            filters.append((f, { $0.agentID == "a1" }))
            f = TicketFilter(); f.customerID = "c3"; f.statuses = ["closed"]
            filters.append((f, { $0.customerID == "c3" && $0.status == "closed" }))
            f = TicketFilter(); f.createdFrom = 1_700_000_010; f.createdBefore = 1_700_000_040
            filters.append((f, { $0.createdAt >= 1_700_000_010 && $0.createdAt < 1_700_000_040 }))
            f = TicketFilter(); f.region = "nowhere"
            filters.append((f, { _ in false }))

            for (filter, predicate) in filters {
                for order in [TicketFilter.Order.oldestFirst, .newestFirst] {
                    var paged = filter
                    paged.limit = 9
                    paged.order = order
                    let expected = Self.sorted(Self.rows.filter(predicate), order)
                    #expect(try await walk(storage, paged) == expected, "\(filter)")
                }
            }
        }
    }

    @Test func invalidLimitsAndCursorsAreRejected() async throws {
        try await populated { storage async throws in
            for limit in [0, 501] {
                var filter = TicketFilter()
                filter.limit = limit
                await #expect { _ = try await storage.listTickets(filter) } throws: { isStorageError($0, .invalidArgument) }
            }
            for cursor in ["", "not a cursor", "YWJj", "%%%"] {
                var filter = TicketFilter()
                filter.cursor = cursor
                await #expect { _ = try await storage.listTickets(filter) } throws: { isStorageError($0, .invalidArgument) }
            }
        }
    }

    @Test func bulkReadsForStartup() async throws {
        try await populated { storage async throws in
            let open = Self.sorted(Self.rows.filter { !["resolved", "closed"].contains($0.status) }, .oldestFirst)
            #expect(try await storage.allTickets(excludingStatuses: ["resolved", "closed"]) == open)
            #expect(try await storage.ticketCount() == 300)

            var streamed: [TicketRow] = []
            var chunks = 0
            try await storage.forEachTicket(excludingStatuses: ["resolved", "closed"], chunkSize: 16) { chunk in
                #expect(chunk.count <= 16)
                streamed += chunk
                chunks += 1
            }
            #expect(streamed == open)
            #expect(chunks == (open.count + 15) / 16)
        }
    }
}

@Suite("Backup")
struct StorageBackupTests {
    @Test func backupOpensAndHasTheRows() async throws {
        try await withStorage { storage, directory async throws in
            let rows = (0..<50).map { makeTicket("t\($0)", key: "k\($0)", createdAt: Double($0)) }
            #expect(try await storage.write(rows.map { create($0, events: 2) }) == .applied)
            #expect(try await storage.write(.setMeta(key: "node_id", value: "n1")) == .applied)

            let path = directory.appendingPathComponent("backup/snapshot.sqlite").path
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try await storage.backup(to: path)
            await #expect { try await storage.backup(to: path) } throws: { isStorageError($0, .invalidArgument) }

            // Writes after the snapshot are not in it.
            #expect(try await storage.write(create(makeTicket("later"))) == .applied)

            let copy = try await SQLiteStorage.open(StorageConfiguration.defaults(path: path))
            #expect(try await copy.allTickets() == rows)
            #expect(try await copy.events(ticketID: "t7").count == 2)
            #expect(try await copy.meta("node_id") == "n1")
            #expect(try await copy.diagnostics().journalMode == "wal")
            try await copy.close()
        }
    }
}
