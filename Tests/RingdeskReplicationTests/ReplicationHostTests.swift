import Foundation
import GRDB
import Logging
import NIOConcurrencyHelpers
import RingdeskDomain
import RingdeskRaft
import RingdeskShard
import Testing
@testable import RingdeskReplication

/// The replication host driving machines through the `ReplicatedStateMachine` protocol alone, on a
/// node that is a cluster of one (its own SQLite store, real loop and writer threads).
@Suite("Replication host")
struct ReplicationHostTests {
    static func temporaryPath() throws -> (directory: URL, path: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-host-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory, directory.appendingPathComponent("raft.sqlite").path)
    }

    static let configuration = ReplicationConfiguration(nodeID: 1, peers: [1: "127.0.0.1:1"], groups: 4, tickMilliseconds: 5,
                                                        electionTicks: 4, proposalTimeoutMilliseconds: 5_000)

    /// Polls until every group has elected this node (bounded: 10 s).
    static func waitForLeadership<Machine>(_ host: ReplicationHost<Machine>) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let status = host.status
            if status.count == configuration.groups, status.allSatisfy({ $0.role == "leader" }) { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("no leader within 10 s: \(host.status)")
    }

    static func withHost<Machine, T>(_ type: Machine.Type, path: String, _ body: (ReplicationHost<Machine>) async throws -> T) async throws -> T {
        let host = try ReplicationHost<Machine>(configuration: configuration, databasePath: path, client: nil, logger: Logger(label: "test"))
        host.start()
        do {
            let value = try await body(host)
            host.stop()
            return value
        } catch {
            host.stop()
            throw error
        }
    }

    @Test("tickets with the domain lifecycle live in Raft groups of a cluster of one and survive a restart from their rows")
    func ticketShardsOnOneNode() async throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let t0 = Date(timeIntervalSince1970: 1_780_000_000)
        let draft = TicketDraft(category: .complaint, channel: .email,
                                customer: CustomerContext(id: "C-7", language: "de", region: "eu-central"), subject: "Broken")
        let before: Ticket = try await Self.withHost(TicketShardMachine.self, path: path) { host in
            try await Self.waitForLeadership(host)
            let ticket = try Ticket.create(id: "T-1", draft: draft, idempotencyKey: "mail-1", by: .intake("mail"), at: t0, policy: .defaults)
            let created = try await host.propose(group: 2, command: .create(ticket))
            #expect(created.result == .created(ticket))
            let again = try await host.propose(group: 2, command: .create(ticket))
            #expect(again.result == .duplicate(ticket))
            let offer = TicketLogCommand(ticketID: "T-1", command: .offer(agentID: "ana", expiresAt: t0.addingTimeInterval(30), why: [:]),
                                         actor: .system, at: t0.addingTimeInterval(1), policyVersion: 0, expectedEpoch: ticket.epoch)
            _ = try await host.propose(group: 2, command: .command(offer))
            let stale = try await host.propose(group: 2, command: .command(offer))
            #expect(stale.result.rejection?.code == TicketLogRejection.staleEpoch)
            let accept = TicketLogCommand(ticketID: "T-1", command: .acceptOffer(agentID: "ana"), actor: .agent("ana"),
                                          at: t0.addingTimeInterval(2), policyVersion: 0)
            guard case .applied(let accepted, _) = try await host.propose(group: 2, command: .command(accept)).result else {
                Issue.record("accept refused")
                throw CancellationError()
            }
            #expect(accepted.status == .assigned)
            let read = try await host.read(group: 2) { $0.ticket("T-1") }
            #expect(read == accepted)
            return accepted
        }
        // A restart rebuilds every group's machine from the applied rows.
        try await Self.withHost(TicketShardMachine.self, path: path) { host in
            let local = try await host.read(group: 2, local: true) { $0.ticket("T-1") }
            #expect(local == before)
            try await Self.waitForLeadership(host)
            let keys = try await host.read(group: 2) { $0.idempotencyKeys }
            #expect(keys == ["mail-1": "T-1"])
        }
    }

    @Test("a projection writes applied changes in the store's transaction; a durable read waits until it holds what was applied")
    func projectionAndDurableReads() async throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let projected = NIOLockedValueBox<[UInt32: [[UInt8]]]>([:])
        let host = try ReplicationHost<CounterV2>(configuration: Self.configuration, databasePath: path, client: nil, logger: Logger(label: "test"),
                                                  projection: { applied, db in
            // Inside the store's transaction: the applied index it belongs to is readable here.
            _ = try Int64.fetchOne(db, sql: "SELECT applied_idx FROM raft_groups WHERE group_id = 0")
            projected.withLockedValue { rows in
                for group in applied { rows[group.group, default: []] += group.changes }
            }
        })
        host.start()
        defer { host.stop() }
        try await Self.waitForLeadership(host)
        for value in 1...50 {
            _ = try await host.propose(group: UInt32(value % 2), command: [UInt8(value)])
            // Answered once applied; the projection may still be on its way to disk, but a
            // durable read returns only after it is there.
            let applied = try await host.read(group: UInt32(value % 2), local: true, durable: true) { $0.applied }
            let rows = projected.withLockedValue { $0[UInt32(value % 2)] ?? [] }
            #expect(rows.last == applied, "the projection holds the state after the last applied change")
        }
    }

    @Test("a committed entry this build cannot decode halts its group (never skipped), says so, and a build that reads it resumes")
    func haltsOnUndecodableEntry() async throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await Self.withHost(CounterV1.self, path: path) { host in
            try await Self.waitForLeadership(host)
            #expect(try await host.propose(group: 1, command: [1]).result == 1)
            #expect(try await host.propose(group: 1, command: [2]).result == 2)
            await #expect(throws: ReplicationError.self) { try await host.propose(group: 1, command: [CounterV1.futureEntry]) }
            let status = host.status[1]
            #expect(status.halted?.contains("does not decode") == true)
            await #expect(throws: ReplicationError.self) { try await host.propose(group: 1, command: [3]) }
            // Other groups go on.
            #expect(try await host.propose(group: 0, command: [5]).result == 1)
        }
        // The same build halts again at the same entry after a restart, with the state before it.
        try await Self.withHost(CounterV1.self, path: path) { host in
            let deadline = ContinuousClock.now + .seconds(10)
            while host.status[1].halted == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            #expect(host.status[1].halted != nil)
            await #expect(throws: ReplicationError.self) { try await host.read(group: 1, local: true) { $0.applied } }
        }
        // A build that understands the entry applies it and everything after.
        try await Self.withHost(CounterV2.self, path: path) { host in
            try await Self.waitForLeadership(host)
            #expect(try await host.read(group: 1) { $0.applied } == [1, 2, CounterV1.futureEntry])
            #expect(try await host.propose(group: 1, command: [3]).result == 4)
            #expect(host.status[1].halted == nil)
        }
    }
}

/// A minimal replicated machine: it records the first byte of every entry. `CounterV1` is a build
/// that does not know entries starting with `futureEntry`; `CounterV2` is the build that does.
protocol CounterMachine: ReplicatedStateMachine where Command == [UInt8], Result == Int, RowChange == [UInt8] {
    var applied: [UInt8] { get set }
    static var readsFutureEntries: Bool { get }
}

extension CounterMachine {
    init(rows: some Sequence<(id: String, record: [UInt8])>) throws {
        self.init()
        applied = rows.first { $0.id == "log" }?.record ?? []
    }

    init(snapshot: [UInt8]) throws {
        self.init()
        applied = snapshot
    }

    func snapshot() -> [UInt8] { applied }
    static func encode(_ command: [UInt8]) -> [UInt8] { command }

    static func decode(_ entry: [UInt8]) throws -> [UInt8] {
        if entry.first == CounterV1.futureEntry && !readsFutureEntries { throw ShardCodecError(code: "entry_version_unknown", message: "future entry") }
        return entry
    }

    mutating func apply(_ command: [UInt8]) -> Int {
        applied.append(command.first ?? 0)
        return applied.count
    }

    func rows(touchedBy command: [UInt8]) -> [[UInt8]] { [applied] }
    func allRows() -> [[UInt8]] { [applied] }
    static func storedRow(_ change: [UInt8]) -> ReplicatedRow? { .put(id: "log", record: change) }
}

struct CounterV1: CounterMachine {
    static let futureEntry: UInt8 = 0xFF
    static let readsFutureEntries = false
    var applied: [UInt8] = []
}

struct CounterV2: CounterMachine {
    static let readsFutureEntries = true
    var applied: [UInt8] = []
}
