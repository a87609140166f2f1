import RingdeskMembership

/// Helpers for driving one `SWIMInstance` by hand with a manual clock.
enum Fixture {
    static func id(_ number: UInt64) -> SWIMNodeID { SWIMNodeID(number) }

    static func metadata(_ number: UInt64) -> SWIMNodeMetadata {
        SWIMNodeMetadata(name: "n\(number)", region: "eu", zone: "z\(number % 3)", addresses: ["10.0.0.\(number):7946"], load: 0, version: "1")
    }

    static func record(_ number: UInt64, _ status: SWIMStatus = .alive, incarnation: UInt64 = 0) -> SWIMMemberRecord {
        SWIMMemberRecord(id: id(number), status: status, incarnation: incarnation, metadata: metadata(number), payload: [])
    }

    static func alive(_ number: UInt64, incarnation: UInt64 = 0) -> SWIMUpdate {
        .alive(id(number), incarnation: incarnation, metadata: metadata(number), payload: [])
    }

    /// Node 1 knowing nodes 2...`members` + 1 as alive, its broadcast queue drained.
    static func instance(
        members: Int,
        configuration: SWIMConfiguration = .defaults,
        seed: UInt64 = 7,
        now: SWIMTime = .zero
    ) throws -> SWIMInstance {
        var instance = try SWIMInstance(id: id(1), metadata: metadata(1), configuration: configuration, seed: seed, now: now)
        if members > 0 {
            let records = (2...UInt64(members + 1)).map { record($0) }
            _ = instance.receive(SWIMMessage(sender: id(2), kind: .pushPull(SWIMPushPull(isResponse: true, isJoin: false, members: records))), now: now)
            instance.drainBroadcasts(now: now)
        }
        return instance
    }
}

extension SWIMInstance {
    /// Sends gossip until nothing is pending (without moving the protocol timers).
    mutating func drainBroadcasts(now: SWIMTime) {
        var rounds = 0
        while pendingBroadcastCount > 0 && rounds < 1000 {
            _ = receive(SWIMMessage(sender: SWIMNodeID(999_999), kind: .ping(sequence: 1, target: id)), now: now)
            rounds += 1
        }
    }

    /// Ticks at every deadline up to `time`, collecting the directives; with `acking`, every
    /// probed member answers at once (a healthy cluster).
    mutating func advance(to time: SWIMTime, acking: Bool = false) -> [SWIMDirective] {
        var out: [SWIMDirective] = []
        func run(_ now: SWIMTime) {
            let directives = tick(now: now)
            out += directives
            if acking {
                for ping in directives.pings {
                    _ = receive(SWIMMessage(sender: ping.target, kind: .ack(sequence: ping.sequence, target: ping.target)), now: now)
                }
            }
        }
        while let deadline = nextDeadline, deadline <= time {
            run(deadline)
        }
        run(time)
        return out
    }
}

extension Array where Element == SWIMDirective {
    var messages: [(message: SWIMMessage, target: SWIMTarget)] {
        compactMap {
            if case .send(let message, let target, _) = $0 { return (message, target) }
            return nil
        }
    }

    var changes: [SWIMMembershipChange] {
        compactMap {
            if case .membershipChanged(let change) = $0 { return change }
            return nil
        }
    }

    var pings: [(sequence: UInt32, target: SWIMNodeID, message: SWIMMessage)] {
        messages.compactMap {
            if case .ping(let sequence, let target) = $0.message.kind { return (sequence, target, $0.message) }
            return nil
        }
    }

    var pingRequests: [(sequence: UInt32, target: SWIMNodeID, helper: SWIMTarget)] {
        messages.compactMap {
            if case .pingRequest(let sequence, let target) = $0.message.kind { return (sequence, target, $0.target) }
            return nil
        }
    }
}
