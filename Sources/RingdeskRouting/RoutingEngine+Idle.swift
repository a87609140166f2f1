import Foundation

/// A queued ticket that a free agent may take right now (see `RoutingEngine.idleEligibleTickets`).
public struct IdleEligibleTicket: Sendable, Hashable {
    public var ticketID: String
    /// For every such agent, the queue's head excludes them and so does every ticket ahead of
    /// this one: the head-of-line blocking the engine must not have. (A ticket behind one the
    /// agent may not take yet — it has not relaxed to the agent's level — is not counted here.)
    public var behindExcludedHead: Bool
}

extension RoutingEngine {
    /// For measurement (the simulator's "idle-eligible waiting"): queued tickets that an
    /// available agent with room may take now — at the ticket's current relaxation level, not
    /// excluded from it, not holding back for scarcer work — while the engine left them queued.
    /// Right after `advance(to:)` this should be empty; anything here is waiting the policy
    /// could have avoided. Scans every queued ticket: not for the hot path. Mutating only for
    /// the duty-floor cache.
    public mutating func idleEligibleTickets(at now: Date) -> [IdleEligibleTicket] {
        guard freeCount > 0, queuedCount > 0 else { return [] }
        let nowSeconds = now.timeIntervalSince1970
        refreshReserves()
        var result: [IdleEligibleTicket] = []
        for slot in slots.indices {
            let ticket = slots[slot]
            guard case .queued = ticket.state else { continue }
            let level = effectiveLevel(ticket, signature: ticket.signature, now: nowSeconds)
            let head = queues[Int(ticket.signature)].peekLive(in: slots)
            var found = false
            var blockedOnly = true
            for agent in signatureAgents[Int(ticket.signature)] where isFree[Int(agent)] {
                guard eligibility[Int(agent)][Int(ticket.signature)] <= level,
                      agents[Int(agent)].hasRoom(channel: ticket.channelIndex),
                      !ticket.excludes(agent, at: nowSeconds),
                      !holdsBack(agent, from: ticket.signature, dueAt: ticket.dueAt, now: nowSeconds)
                else { continue }
                found = true
                // Starved: the head excludes the agent and only tickets excluding it are ahead.
                let blocked = head.map { Int($0.slot) != slot && slots[Int($0.slot)].excludes(agent, at: nowSeconds) } ?? false
                    && queues[Int(ticket.signature)].first(notExcluding: agent, at: nowSeconds, in: slots).map { Int($0.slot) == slot } ?? false
                if !blocked { blockedOnly = false }
            }
            if found { result.append(IdleEligibleTicket(ticketID: ticket.id, behindExcludedHead: blockedOnly)) }
        }
        return result
    }
}
