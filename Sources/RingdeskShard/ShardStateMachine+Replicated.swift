import RingdeskRaft

/// The shard machine as a Raft group's replicated state: commands in `ShardCommand.encoded` form,
/// rows as `ShardTicket.record` (an idempotency key needs no row: its ticket's record carries it).
extension ShardStateMachine: ReplicatedStateMachine {
    public static func encode(_ command: ShardCommand) -> [UInt8] { command.encoded }

    public static func decode(_ entry: [UInt8]) throws -> ShardCommand { try ShardCommand(encoded: entry) }

    public static func storedRow(_ change: ShardRowChange) -> ReplicatedRow? {
        switch change {
        case .ticket(let ticket): .put(id: ticket.id, record: ticket.record)
        case .idempotencyKey: nil
        }
    }
}
