import CoreMetrics
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import RingdeskAPI
import RingdeskHTTP2
import RingdeskMembership
import ServiceLifecycle

/// The thin shell around the pure `SWIMInstance`: it feeds the core timer ticks (from a monotonic
/// clock) and incoming messages, and performs its directives — messages go out as
/// `POST /internal/swim` (binary body, `SWIMCodec`) on a client of their own, so probes never wait
/// behind other traffic; membership changes are logged, kept as a snapshot for the API and the
/// dashboard, and published on `changes`. The incarnation survives restarts (a file in the data
/// directory), so a restarted node comes back above the incarnation it was declared dead at.
public final class MembershipService: Service, Sendable {
    public let name: String
    private let state: NIOLockedValueBox<SWIMInstance>
    private let client: HTTP2Client
    private let limits: SWIMCodec.Limits
    private let started = ContinuousClock.now
    private let logger: Logger
    private let subscribers = NIOLockedValueBox<[UUID: AsyncStream<SWIMMembershipChange>.Continuation]>([:])

    /// Membership changes seen, by the member's new status.
    private let changeCounters: [SWIMStatus: CoreMetrics.Counter]

    public init(configuration: ClusterConfiguration, nodeName: String, advertise: String, version: String,
                dataDirectory: String, group: any EventLoopGroup, logger: Logger, metrics: (any MetricsFactory)? = nil) throws {
        let factory = metrics ?? NOOPMetricsHandler.instance
        changeCounters = Dictionary(uniqueKeysWithValues: [SWIMStatus.alive, .suspect, .dead, .left].map {
            ($0, CoreMetrics.Counter(label: "ringdesk_cluster_changes_total", dimensions: [("status", "\($0)")], factory: factory))
        })
        let swim = try configuration.swimConfiguration()
        name = configuration.name ?? nodeName
        self.logger = logger
        limits = SWIMCodec.Limits(swim)
        // The incarnation goes up on every start, so the cluster prefers this life over the last.
        let file = (dataDirectory as NSString).appendingPathComponent("membership-incarnation")
        let previous = (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let incarnation = previous.map { $0 + 1 } ?? 0
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try String(incarnation).write(toFile: file, atomically: true, encoding: .utf8)
        let metadata = SWIMNodeMetadata(name: name, region: configuration.region, zone: configuration.zone,
                                        addresses: [configuration.advertise ?? advertise], version: version)
        let id = SWIMNodeID(stableHashOf: name)
        let instance = try SWIMInstance(id: id, metadata: metadata, incarnation: incarnation, configuration: swim,
                                        seed: id.rawValue ^ UInt64(UInt32(truncatingIfNeeded: ProcessInfo.processInfo.processIdentifier)),
                                        now: .zero)
        state = NIOLockedValueBox(instance)
        var clientConfiguration = HTTP2ClientConfiguration.defaults
        clientConfiguration.connectTimeout = .milliseconds(Int64(max(100, configuration.probeTimeout * 1000)))
        clientConfiguration.defaultRequestTimeout = .seconds(2)
        if let path = configuration.tlsCA {
            var tls = TLSConfiguration.makeClientConfiguration()
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path)) } catch {
                throw ClusterConfigurationError("cluster.tls_ca: cannot read a PEM certificate from \(path): \(error)")
            }
            clientConfiguration.tls = tls
        }
        client = try HTTP2Client(group: group, configuration: clientConfiguration)
    }

    private var now: SWIMTime {
        let elapsed = ContinuousClock.now - started
        return SWIMTime(nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    // MARK: Service

    public func run() async throws {
        logger.notice("joining the cluster", metadata: ["member": "\(name)", "seeds": "\(state.withLockedValue { $0.configuration.seeds })"])
        perform(state.withLockedValue { $0.join(now: now) })
        // The loop ends when the node cancels this task at shutdown.
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let deadline = state.withLockedValue { $0.nextDeadline } ?? now.advanced(byNanoseconds: 100_000_000)
            let wait = max(1_000_000, min(deadline.nanoseconds - now.nanoseconds, 100_000_000))
            try? await Task.sleep(for: .nanoseconds(wait))
            perform(state.withLockedValue { $0.tick(now: now) })
        }
        await leave()
        await client.shutdown()
    }

    /// Tells the cluster this node leaves, and waits (up to the messages' deadlines) until the
    /// announcements went out, so peers record "left" rather than a failure.
    private func leave() async {
        let directives = state.withLockedValue { instance -> [SWIMDirective] in
            instance.myself.status == .left ? [] : instance.leave(now: now)
        }
        guard !directives.isEmpty else { return }
        logger.notice("leaving the cluster", metadata: ["member": "\(name)"])
        for send in perform(directives) { await send.value }
    }

    // MARK: Messages

    /// A message from a peer (`POST /internal/swim`). Throws on bytes that do not decode.
    public func receive(_ bytes: [UInt8]) throws {
        let message = try SWIMCodec.decode(bytes, limits: limits)
        perform(state.withLockedValue { $0.receive(message, now: now) })
    }

    /// Performs the directives; returns the sends in flight (unstructured tasks: a cancelled
    /// caller does not cancel them, so a leave still goes out while the node stops).
    @discardableResult
    private func perform(_ directives: [SWIMDirective]) -> [Task<Void, Never>] {
        var sends: [Task<Void, Never>] = []
        for directive in directives {
            switch directive {
            case let .send(message, target, deadline):
                let address: String? = switch target {
                case .seed(let seed): seed
                case .member(let id): state.withLockedValue { $0.member(id)?.metadata.addresses.first }
                }
                guard let address, let (host, port) = ClusterConfiguration.split(address) else { continue }
                let timeoutNanoseconds = deadline.map { max(50_000_000, $0.nanoseconds - now.nanoseconds) } ?? 2_000_000_000
                let body = SWIMCodec.encode(message)
                let client = self.client
                sends.append(Task {
                    let request = HTTP2ClientRequest(method: "POST", path: "/internal/swim",
                                                     headers: HTTP2Headers([("content-type", "application/octet-stream")]),
                                                     body: ByteBuffer(bytes: body))
                    // Lost messages are the protocol's business: probes time out, gossip repeats.
                    _ = try? await client.execute(request, to: HTTP2Client.Peer(host: host, port: port), timeout: .nanoseconds(timeoutNanoseconds))
                })
            case .membershipChanged(let change):
                let member = change.member
                changeCounters[member.status]?.increment()
                logger.notice("member \(member.status)", metadata: [
                    "member": "\(member.metadata.name)", "incarnation": "\(member.incarnation)",
                    "previous": "\(change.previousStatus.map { "\($0)" } ?? "unknown")",
                    "cause": "\(change.cause == .localDetection ? "local" : "gossip")",
                ])
                for continuation in subscribers.withLockedValue({ Array($0.values) }) { continuation.yield(change) }
            }
        }
        return sends
    }

    // MARK: Views

    /// Every member known, this node first, then by name.
    public func members() -> [ClusterMember] {
        let (myself, others) = state.withLockedValue { ($0.myself, $0.members) }
        func view(_ member: SWIMMember, isSelf: Bool) -> ClusterMember {
            ClusterMember(name: member.metadata.name, id: String(member.id.rawValue, radix: 16), status: "\(member.status)",
                       incarnation: member.incarnation, region: member.metadata.region, zone: member.metadata.zone,
                       address: member.metadata.addresses.first, load: member.metadata.load, version: member.metadata.version,
                       isSelf: isSelf, policy: member.payload.isEmpty ? nil : String(decoding: member.payload, as: UTF8.self))
        }
        return [view(myself, isSelf: true)] + others.map { view($0, isSelf: false) }.sorted { $0.name < $1.name }
    }

    /// Lifeguard's local health multiplier and the protocol counters, for metrics.
    public func health() -> (localHealthMultiplier: Int, statistics: SWIMInstance.Statistics) {
        state.withLockedValue { ($0.localHealthMultiplier, $0.statistics) }
    }

    /// Membership changes from now on; ends when the consumer stops iterating.
    public func changes() -> AsyncStream<SWIMMembershipChange> {
        let (stream, continuation) = AsyncStream<SWIMMembershipChange>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let id = UUID()
        subscribers.withLockedValue { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLockedValue { $0.removeValue(forKey: id) } }
        return stream
    }

    /// Publishes the fingerprint of the policy this node runs (the member's payload).
    public func updatePolicyFingerprint(_ fingerprint: String) {
        state.withLockedValue { instance in
            let payload = Array(fingerprint.utf8)
            guard instance.payload != payload else { return }
            try? instance.update(metadata: instance.metadata, payload: payload)
        }
    }

    /// Publishes new load figures to the cluster (rides on the next gossip).
    public func updateLoad(_ load: UInt32) {
        state.withLockedValue { instance in
            guard instance.metadata.load != load else { return }
            var metadata = instance.metadata
            metadata.load = load
            try? instance.update(metadata: metadata, payload: instance.payload)
        }
    }
}
