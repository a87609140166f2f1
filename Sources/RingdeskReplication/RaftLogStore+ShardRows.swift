import RingdeskShard

extension RaftLogStore.GroupApply {
    /// The shard state machine's row changes as store rows: a ticket becomes its
    /// `ShardTicket.record`. A key needs no row: the record of the ticket it names carries it.
    public init(group: UInt32, appliedIndex: UInt64, replaceAll: Bool = false, changes: [ShardRowChange]) {
        self.init(group: group, appliedIndex: appliedIndex, replaceAll: replaceAll, rows: changes.compactMap { change in
            switch change {
            case .ticket(let ticket): .putTicket(id: ticket.id, record: ticket.record)
            case .idempotencyKey: nil
            }
        })
    }
}
