import RingdeskShard

/// The replication host of the ticket shards as the node runs them today.
public typealias ShardReplicationHost = ReplicationHost<ShardStateMachine>

/// What a committed shard command produced.
public typealias ShardProposalOutcome = ReplicatedOutcome<ShardResult>

extension ReplicationHost where Machine == ShardStateMachine {
    /// A linearizable read of one ticket (see `read(group:local:_:)`).
    public func readTicket(group: UInt32, ticketID: String, local: Bool = false) async throws -> ShardTicket? {
        try await read(group: group, local: local) { $0.ticket(ticketID) }
    }
}
