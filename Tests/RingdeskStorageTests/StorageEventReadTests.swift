import Foundation
import RingdeskStorage
import Testing

@Suite("Bulk history reads") struct StorageEventReadTests {
    @Test func eventsOfSeveralTicketsAndAllEventsComeBackGroupedInOrder() async throws {
        try await withStorage { storage, _ in
            for (index, id) in ["t1", "t2", "t3"].enumerated() {
                let events = (1...(index + 1)).map { makeEvent(id, seq: $0) }
                #expect(try await storage.write(.createTicket(makeTicket(id, version: events.count), events: events)) == .applied)
            }
            #expect(try await storage.write(.updateTicket(makeTicket("t1", version: 2), expectedVersion: 1, newEvents: [makeEvent("t1", seq: 2, kind: "offered")])) == .applied)

            let some = try await storage.events(ticketIDs: ["t1", "t3", "missing"])
            #expect(some.keys.sorted() == ["t1", "t3"])
            #expect(some["t1"]?.map(\.seq) == [1, 2])
            #expect(some["t1"]?.last?.kind == "offered")
            #expect(some["t3"]?.map(\.seq) == [1, 2, 3])
            #expect(try await storage.events(ticketIDs: []).isEmpty)

            let all = try await storage.allEvents()
            #expect(all.mapValues { $0.map(\.seq) } == ["t1": [1, 2], "t2": [1, 2], "t3": [1, 2, 3]])
            #expect(all["t2"] == (try await storage.events(ticketID: "t2")))
        }
    }
}
