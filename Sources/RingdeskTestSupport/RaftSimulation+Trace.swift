import RingdeskRaft

/// One compact trace event; formatted only when a run fails or a replay asks for it.
struct RaftSimTraceRecord {
    enum Kind: UInt8 {
        case deliver, leader, commit, propose, ack, crash, restart, partition, bridge, heal, confChange, proposeConfChange,
             transfer, compact, installSnapshot, read, readServed, retire
    }

    var time: Int64
    var kind: Kind
    var node: UInt64
    var a: UInt64
    var b: UInt64
    var c: UInt64
    var d: UInt64
}

extension RaftSimulationWorld {
    func trace(_ kind: RaftSimTraceRecord.Kind, node: UInt64, _ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) {
        let capacity = options.traceLength
        guard capacity > 0 else { return }
        let record = RaftSimTraceRecord(time: now, kind: kind, node: node, a: a, b: b, c: c, d: d)
        if traceRing.count < capacity {
            traceRing.append(record)
        } else {
            traceRing[traceHead] = record
            traceHead = (traceHead + 1) % capacity
        }
    }

    func formattedTrace() -> [String] {
        let ordered = Array(traceRing[traceHead...]) + Array(traceRing[..<traceHead])
        return ordered.map { Self.format($0) }
    }

    static func format(_ record: RaftSimTraceRecord) -> String {
        let ms = record.time / 1000, micros = record.time % 1000
        let at = "\(ms).\(String(micros + 1000).dropFirst())ms"
        let what: String
        switch record.kind {
        case .deliver:
            let kind = RaftMessageKind(rawValue: UInt8(truncatingIfNeeded: record.b)).map { "\($0)" } ?? "?"
            let reject = record.b & 0x100 != 0 ? " reject" : ""
            what = "\(record.a)→\(record.node) \(kind)\(reject) t\(record.c) i\(record.d >> 16) n\(record.d & 0xFFFF)"
        case .leader: what = "\(record.node) leads term \(record.a) (last \(record.b), commit \(record.c))"
        case .commit: what = "\(record.node) (t\(record.a)) knows commit \(record.b)"
        case .propose: what = "op \(record.c) proposed at \(record.node) → index \(record.a) t\(record.b)"
        case .ack: what = "op \(record.c) acknowledged at \(record.a)/t\(record.b)"
        case .crash:
            let stage = ["", " before persisting its Ready", " after persisting, before sending", " after sending, before applying"]
            what = "\(record.node) crashes\(stage[Int(min(record.a, 3))])"
        case .restart:
            let corrupt = record.d == 1 ? ", corrupt: wiped and recovering" : ""
            what = "\(record.node) restarts (term \(record.a), last \(record.b), applied \(record.c)\(corrupt))"
        case .partition:
            let shapes = ["halves", "bridge", "isolated leader", "one-way link"]
            what = "partition: \(shapes[Int(min(record.a, 3))]) (blocked mask \(String(record.b, radix: 16)))"
        case .bridge: what = "bridge node \(record.node)"
        case .heal: what = "network healed"
        case .confChange:
            let kind = RaftConfChange.Kind(rawValue: UInt8(truncatingIfNeeded: record.a)).map { "\($0)" } ?? "?"
            what = "\(record.node) applies \(kind) \(record.b) at \(record.c)"
        case .proposeConfChange:
            let kind = RaftConfChange.Kind(rawValue: UInt8(truncatingIfNeeded: record.a)).map { "\($0)" } ?? "?"
            what = "leader \(record.node) proposes \(kind) \(record.b)"
        case .transfer: what = "leader \(record.node) transfers leadership to \(record.a)"
        case .compact: what = "\(record.node) snapshots at \(record.a) (t\(record.b)) and compacts\(record.c == 0 ? " (no image)" : "")"
        case .retire: what = "\(record.node) is stopped: no live replica counts it as a member any more"
        case .read: what = "read \(record.a) asked at \(record.node) (committed then: \(record.b))"
        case .readServed: what = "read \(record.a) answered by \(record.node) at index \(record.b)"
        case .installSnapshot: what = "\(record.node) installs snapshot \(record.a)/t\(record.b)"
        }
        return "\(at) \(what)"
    }
}
