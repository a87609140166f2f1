import RingdeskRaft

extension RaftLogStore.GroupApply {
    /// A replicated machine's row changes as store rows (each encoded by the machine here, on the
    /// writer thread); changes that need no row of their own are dropped.
    public init<Machine: ReplicatedStateMachine>(group: UInt32, appliedIndex: UInt64, replaceAll: Bool = false,
                                          machineRows changes: [Machine.RowChange], of _: Machine.Type) {
        self.init(group: group, appliedIndex: appliedIndex, replaceAll: replaceAll, rows: changes.compactMap { change in
            switch Machine.storedRow(change) {
            case .put(let id, let record)?: .putTicket(id: id, record: record)
            case .delete(let id)?: .deleteTicket(id: id)
            case nil: nil
            }
        })
    }
}
