// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "ringdesk",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ringdeskd", targets: ["ringdeskd"]),
        .executable(name: "ringdesk", targets: ["ringdesk"]),
        .library(name: "RingdeskHTTP2", targets: ["RingdeskHTTP2"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The only place that sees libnghttp2's C API (found with pkg-config).
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        // HTTP/2 server and client: SwiftNIO owns sockets and event loops, nghttp2 owns framing.
        .target(
            name: "RingdeskHTTP2",
            dependencies: [
                "CNGHTTP2", "RingdeskPrimitives",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Zero-dependency helpers every core shares: the seeded generator, FNV-1a, byte reader/writer.
        .target(name: "RingdeskPrimitives"),
        // Pure after-sales domain core: tickets, triage, SLA, lifecycle, KPIs. No I/O.
        .target(name: "RingdeskDomain", dependencies: ["RingdeskPrimitives"]),
        // Pure parts of the load client: arrival schedules, the ticket mix, HDR latency recording, reports.
        .target(
            name: "RingdeskLoad",
            dependencies: ["RingdeskDomain", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        // Pure skill-based routing engine: eligibility, scoring, relaxation, offers, leases. No I/O.
        .target(name: "RingdeskRouting", dependencies: ["RingdeskDomain", .product(name: "HeapModule", package: "swift-collections")]),
        // Pure trace simulator: trace format, reference scenarios, baseline policies, quality metrics.
        .target(name: "RingdeskSimulation", dependencies: ["RingdeskRouting", "RingdeskDomain", .product(name: "HeapModule", package: "swift-collections")]),
        // Wire types of the /v1 API shared by the node and the CLI.
        .target(name: "RingdeskAPI", dependencies: ["RingdeskDomain"]),
        // SQLite storage through GRDB: frozen migrations, one writer with group commit, readers.
        .target(
            name: "RingdeskStorage",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The single-node ticket service: in-memory state over durable SQLite writes, offers, timers.
        .target(
            name: "RingdeskService",
            dependencies: [
                "RingdeskDomain", "RingdeskStorage", "RingdeskRouting", "RingdeskPrimitives", "RingdeskShard", "RingdeskReplication",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Pure SWIM + Lifeguard membership core. No I/O.
        .target(name: "RingdeskMembership", dependencies: ["RingdeskPrimitives"]),
        // Pure placement: each shard's replica set from the member list (rendezvous hashing with
        // bounded loads, spread over regions and zones), versioned, and the moves between two. No I/O.
        .target(name: "RingdeskPlacement", dependencies: ["RingdeskPrimitives"]),
        // Pure Raft core in the ready/advance style. No I/O.
        .target(name: "RingdeskRaft", dependencies: ["RingdeskPrimitives"]),
        // Pure shard state machine replicated by Raft: tickets with idempotency keys, fenced claims, leases.
        .target(name: "RingdeskShard", dependencies: ["RingdeskRaft", "RingdeskDomain", "RingdeskPrimitives"]),
        // Raft groups hosted by a node: SQLite logs (GRDB), group commit across groups, coalesced
        // messages per node pair over HTTP/2, the shard state machine applied in the same transaction.
        .target(
            name: "RingdeskReplication",
            dependencies: [
                "RingdeskRaft", "RingdeskShard", "RingdeskHTTP2",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The node: routes, configuration, services wired together.
        .target(
            name: "RingdeskNode",
            dependencies: [
                "RingdeskHTTP2", "RingdeskService", "RingdeskDomain", "RingdeskStorage", "RingdeskAPI", "RingdeskRouting",
                "RingdeskMembership", "RingdeskReplication", "RingdeskShard", "RingdeskRaft", "RingdeskPrimitives",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ringdeskd",
            dependencies: [
                "RingdeskNode", "RingdeskDomain", "RingdeskRouting", "RingdeskReplication", "RingdeskShard",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ringdesk",
            dependencies: [
                "RingdeskHTTP2", "RingdeskDomain", "RingdeskAPI", "RingdeskLoad", "RingdeskSimulation", "RingdeskRouting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer entry over the server connection's input path (built with scripts/fuzz/h2-server);
        // in a normal build it replays a corpus directory through the same path.
        .executableTarget(name: "ringdesk-fuzz-h2", dependencies: ["RingdeskHTTP2"]),
        // Long simulations for scripts/bench/gossip-sim and scripts/chaos/raft-sim.
        .executableTarget(name: "ringdesk-gossip-sim", dependencies: ["RingdeskMembership", "RingdeskTestSupport"]),
        .executableTarget(name: "ringdesk-raft-sim", dependencies: [
            "RingdeskRaft", "RingdeskShard", "RingdeskTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Matcher throughput and memory per queued ticket for scripts/bench/matcher.
        .executableTarget(name: "ringdesk-matcher-bench", dependencies: ["RingdeskRouting", "RingdeskDomain"]),
        // Replicas moved on joins and balance per node for scripts/bench/placement.
        .executableTarget(name: "ringdesk-placement-bench", dependencies: [
            "RingdeskPlacement", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Manual clock, simulated network, N-node harnesses shared by tests and simulations.
        .target(
            name: "RingdeskTestSupport",
            dependencies: ["RingdeskMembership", "RingdeskRaft", "RingdeskShard", "RingdeskDomain", "RingdeskPrimitives",
                           .product(name: "HeapModule", package: "swift-collections")]
        ),
        .testTarget(
            name: "RingdeskHTTP2Tests",
            dependencies: [
                "RingdeskHTTP2", "RingdeskNode", "RingdeskTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "RingdeskDomainTests", dependencies: ["RingdeskDomain"]),
        .testTarget(name: "RingdeskRoutingTests", dependencies: ["RingdeskRouting", "RingdeskDomain"]),
        .testTarget(name: "RingdeskSimulationTests", dependencies: ["RingdeskSimulation", "RingdeskRouting", "RingdeskDomain"]),
        .testTarget(name: "RingdeskMembershipTests", dependencies: ["RingdeskMembership", "RingdeskTestSupport"]),
        .testTarget(name: "RingdeskPlacementTests", dependencies: ["RingdeskPlacement", "RingdeskPrimitives"]),
        .testTarget(name: "RingdeskRaftTests", dependencies: ["RingdeskRaft", "RingdeskShard", "RingdeskDomain", "RingdeskTestSupport"]),
        .testTarget(
            name: "RingdeskReplicationTests",
            dependencies: ["RingdeskReplication", "RingdeskRaft", "RingdeskShard", "RingdeskDomain", "RingdeskTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .testTarget(name: "RingdeskLoadTests", dependencies: ["RingdeskLoad", "RingdeskDomain"]),
        .testTarget(name: "RingdeskStorageTests", dependencies: ["RingdeskStorage"]),
        .testTarget(
            name: "RingdeskNodeTests",
            dependencies: [
                "RingdeskNode", "RingdeskService", "RingdeskStorage", "RingdeskDomain", "RingdeskHTTP2", "RingdeskTestSupport", "RingdeskReplication",
                "RingdeskRaft",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RingdeskServiceTests",
            dependencies: ["RingdeskService", "RingdeskDomain", "RingdeskStorage", "RingdeskReplication", "RingdeskShard",
                           .product(name: "Logging", package: "swift-log")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
