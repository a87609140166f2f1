import NIOConcurrencyHelpers
import NIOCore
import RingdeskHTTP2

/// Carries one node pair's Raft traffic: every group's messages for that peer go out as one
/// `POST /internal/raft` at a time. While a request is in flight, later messages queue and leave
/// together in the next request, so heartbeats and appends of all groups coalesce by themselves and
/// the order of messages is kept (pipelined appends stay in order on the wire).
///
/// A peer that is down costs nothing but dropped messages: Raft retries by itself.
final class RaftPeerSender: Sendable {
    private struct State: Sendable {
        var queued: [[UInt8]] = []
        var queuedBytes = 0
        var sending = false
        var stopped = false
        var dropped = 0
    }

    let peer: HTTP2Client.Peer
    private let client: HTTP2Client
    private let state = NIOLockedValueBox(State())
    /// Beyond this many queued bytes (a peer that is down or slow) older batches are dropped.
    private let maxQueuedBytes: Int

    /// The peer's route for this traffic.
    private let path: String
    /// The cluster protocol this node speaks (sent with every request).
    private let clusterProtocol: UInt32
    /// Called with the peer's version when it refuses ours (`ClusterProtocol`), with nil when it
    /// takes a batch again.
    private let refused: @Sendable (UInt32?) -> Void

    init(peer: HTTP2Client.Peer, client: HTTP2Client, path: String = "/internal/raft", clusterProtocol: UInt32 = ClusterProtocol.current,
         maxQueuedBytes: Int = 64 << 20, refused: @escaping @Sendable (UInt32?) -> Void = { _ in }) {
        self.peer = peer
        self.path = path
        self.clusterProtocol = clusterProtocol
        self.refused = refused
        self.client = client
        self.maxQueuedBytes = maxQueuedBytes
    }

    /// Queues one encoded batch (`RaftCodec`); never blocks.
    func send(_ batch: [UInt8]) {
        let start = state.withLockedValue { state -> Bool in
            guard !state.stopped else { return false }
            state.queued.append(batch)
            state.queuedBytes += batch.count
            while state.queuedBytes > maxQueuedBytes, state.queued.count > 1 {
                state.queuedBytes -= state.queued.removeFirst().count
                state.dropped += 1
            }
            if state.sending { return false }
            state.sending = true
            return true
        }
        if start { drain() }
    }

    func stop() {
        state.withLockedValue {
            $0.stopped = true
            $0.queued.removeAll()
        }
    }

    var droppedBatches: Int { state.withLockedValue { $0.dropped } }

    /// Sends everything queued as one request, and again when it is answered, until the queue is
    /// empty. Chained on futures rather than a task: no cooperative thread wakes per request.
    private func drain() {
        let batches = state.withLockedValue { state -> [[UInt8]] in
            let taken = state.queued
            state.queued.removeAll(keepingCapacity: true)
            state.queuedBytes = 0
            if taken.isEmpty { state.sending = false }
            return taken
        }
        if batches.isEmpty { return }
        var body = ByteBuffer()
        body.reserveCapacity(batches.reduce(0) { $0 + $1.count + 5 })
        // Several encoded batches in one body: each prefixed with its length.
        for batch in batches {
            body.writeInteger(UInt32(batch.count))
            body.writeBytes(batch)
        }
        let request = HTTP2ClientRequest(method: "POST", path: path,
                                         headers: HTTP2Headers([("content-type", "application/octet-stream"),
                                                                (ClusterProtocol.header, String(clusterProtocol))]), body: body)
        client.send(request, to: peer, timeout: .seconds(2)).whenComplete { result in
            switch result {
            case .failure:
                // Dropped: the peer is down or slow. Raft resends what matters.
                self.state.withLockedValue { $0.dropped += batches.count }
            case .success(let response) where response.status == 409:
                self.state.withLockedValue { $0.dropped += batches.count }
                self.refused(response.headers[ClusterProtocol.header].flatMap(UInt32.init) ?? 0)
            case .success:
                self.refused(nil)
            }
            self.drain()
        }
    }
}
