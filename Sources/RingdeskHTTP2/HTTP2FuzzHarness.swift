import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import RingdeskPrimitives

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Feeds arbitrary bytes, as if sent by a client, into one server connection and lets it run to
/// completion. Used by the `ringdesk-fuzz-h2` libFuzzer target and its corpus replay mode.
///
/// The connection is a real `HTTP2ServerConnectionHandler` (nghttp2 session, request assembler,
/// router, async and streaming handlers) in an `EmbeddedChannel`. Everything runs on the calling
/// thread and in a fixed order, so the same input always produces the same output:
///
/// - chunk boundaries, a write-stall episode and a graceful shutdown are chosen from a hash of the
///   input, not from a random source;
/// - the handler starts `Task`s for async and streaming routes. While the harness runs, the Swift
///   runtime's global-executor enqueue hook puts the jobs of tasks started on this thread into a
///   FIFO queue that the harness drains on this thread, between runs of the embedded event loop.
///   (`EmbeddedEventLoop` is not thread-safe, so those tasks must not run on the global pool.)
///
/// It is meant for a process that does nothing else with Swift concurrency while it runs (the fuzz
/// and replay binary): calls are serialised process-wide, and jobs enqueued from other threads in
/// the meantime are passed through to the normal global executor.
public enum HTTP2FuzzHarness {
    /// What one run did; equal inputs give equal outcomes (the replay mode checks this).
    public struct Outcome: Sendable, Equatable, CustomStringConvertible {
        /// Pieces the input was cut into (fewer if the connection closed early).
        public var chunksFed: Int
        /// Bytes the server wrote, and an FNV-1a digest of them.
        public var outboundBytes: Int
        public var outboundDigest: UInt64
        /// Concurrency jobs run for async and streaming routes.
        public var jobsRun: Int
        /// True when the server closed the connection before the harness did.
        public var serverClosed: Bool

        public var description: String {
            "chunks=\(chunksFed) out=\(outboundBytes) digest=\(String(outboundDigest, radix: 16)) jobs=\(jobsRun) serverClosed=\(serverClosed)"
        }
    }

    /// Upper bound on loop/job rounds for one input. Reaching it means the connection livelocks,
    /// which is a bug: the harness traps so the fuzzer reports the input.
    static let maxSettleRounds = 200_000

    /// The server side under test: small limits so that fuzz inputs of a few KB reach them.
    static var configuration: HTTP2ServerConfiguration {
        var configuration = HTTP2ServerConfiguration()
        configuration.maxConcurrentStreams = 8
        configuration.maxHeaderListSize = 2048
        configuration.maxRequestBodySize = 2048
        configuration.initialWindowSize = 65_535
        configuration.maxFrameSize = 16_384
        configuration.streamHighWaterMark = 1024
        return configuration
    }

    /// Inline, async and streaming routes, with exact and templated paths, and failing variants.
    static let router: HTTP2Router = {
        var router = HTTP2Router()
        router.add("GET", "/health", .inline { _ in HTTP2Response(status: 200, body: ByteBuffer(string: "ok")) })
        router.add("POST", "/echo", .inline { request in
            var headers = HTTP2Headers()
            if let type = request.headers["content-type"] { headers.add("content-type", type) }
            return HTTP2Response(status: 200, headers: headers, body: request.body)
        })
        router.add("GET", "/items/{id}", .inline { request in
            let id = request.pathParameters["id"] ?? ""
            let query = request.queryItems.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            return .json(ByteBuffer(string: #"{"id":"\#(jsonEscaped(id))","query":"\#(jsonEscaped(query))"}"#))
        })
        router.add("POST", "/async", .async { request in
            liveRouteCalls.withLockedValue { $0 += 1 }
            defer { liveRouteCalls.withLockedValue { $0 -= 1 } }
            await Task.yield()
            if request.headers["x-fail"] == "http" { throw HTTPError.badRequest("asked to fail") }
            if request.headers["x-fail"] != nil { throw HarnessError() }
            await Task.yield()
            return HTTP2Response(status: 200, body: request.body)
        })
        router.add("GET", "/stream/{count}", .streaming { request, writer in
            liveRouteCalls.withLockedValue { $0 += 1 }
            defer { liveRouteCalls.withLockedValue { $0 -= 1 } }
            let count = min(Int(request.pathParameters["count"] ?? "") ?? 3, 8)
            try await writer.writeHead(status: 200, headers: HTTP2Headers([("content-type", "text/plain")]))
            for index in 0..<max(count, 0) {
                // Above the 1 KiB high-water mark after two writes: back-pressure is exercised
                // whenever the peer keeps its windows small.
                try await writer.write(ByteBuffer(repeating: UInt8(ascii: "a") &+ UInt8(truncatingIfNeeded: index), count: 600))
            }
            if request.queryItems["fail"] != nil { throw HarnessError() }
            try await writer.finish()
        })
        return router
    }()

    struct HarnessError: Error {}

    /// Async and streaming route bodies still running; must be back to zero after each input.
    static let liveRouteCalls = NIOLockedValueBox(0)

    /// Runs `bytes` through a fresh server connection and closes it. Never throws: every outcome
    /// of hostile input (errors, GOAWAY, resets, close) is a normal outcome here.
    @discardableResult
    public static func feedServerConnection(_ bytes: [UInt8]) -> Outcome {
        HarnessExecutor.run { executor in
            var run = Run(executor: executor, seed: FNV1a.hash(bytes))
            return run.feed(bytes)
        }
    }

    /// One connection's run. Not reused.
    private struct Run {
        let executor: HarnessExecutor
        var random: SplitMix64
        var outcome = Outcome(chunksFed: 0, outboundBytes: 0, outboundDigest: FNV1a.offsetBasis, jobsRun: 0, serverClosed: false)

        init(executor: HarnessExecutor, seed: UInt64) {
            self.executor = executor
            self.random = SplitMix64(seed: seed)
        }

        mutating func feed(_ bytes: [UInt8]) -> Outcome {
            let loop = EmbeddedEventLoop()
            let logger = Logger(label: "ringdesk.fuzz.h2", factory: { _ in SwiftLogNoOpLogHandler() })
            let handler = HTTP2ServerConnectionHandler(configuration: HTTP2FuzzHarness.configuration, router: HTTP2FuzzHarness.router, logger: logger)
            let channel = EmbeddedChannel(handler: handler, loop: loop)
            channel.connect(to: try! SocketAddress(ipAddress: "127.0.0.1", port: 8080), promise: nil)
            settle(channel: channel, loop: loop)

            // Deterministic schedule from the input's hash.
            let cuts = chunkBoundaries(count: bytes.count)
            let stallBefore = random.next() % 4 == 0 ? Int(random.next() % UInt64(cuts.count)) : -1
            let shutdownBefore = random.next() % 4 == 0 ? Int(random.next() % UInt64(cuts.count)) : -1
            let tickAfter = random.next() % 2 == 0

            var start = 0
            for (index, end) in cuts.enumerated() {
                guard channel.isActive else { break }
                if index == shutdownBefore {
                    handler.beginGracefulShutdown()
                    settle(channel: channel, loop: loop)
                    guard channel.isActive else { break }
                }
                if index == stallBefore { setWritable(false, channel: channel, loop: loop) }
                var buffer = channel.allocator.buffer(capacity: end - start)
                buffer.writeBytes(bytes[start..<end])
                channel.pipeline.fireChannelRead(buffer)
                channel.pipeline.fireChannelReadComplete()
                outcome.chunksFed += 1
                settle(channel: channel, loop: loop)
                if index == stallBefore { setWritable(true, channel: channel, loop: loop) }
                start = end
            }
            if tickAfter && channel.isActive {
                // Fires the connection's timer once (its deadlines use the wall clock, so no
                // timeout expires here; the tick path itself still runs).
                loop.advanceTime(by: .seconds(1))
                settle(channel: channel, loop: loop)
            }
            outcome.serverClosed = !channel.isActive
            _ = try? channel.finish(acceptAlreadyClosed: true)
            settle(channel: channel, loop: loop)
            try? loop.syncShutdownGracefully()
            settle(channel: channel, loop: loop)
            let stuck = HTTP2FuzzHarness.liveRouteCalls.withLockedValue { count in
                defer { count = 0 }
                return count
            }
            if stuck != 0 {
                fatalError("HTTP2FuzzHarness: \(stuck) route handler(s) never finished after the connection closed")
            }
            return outcome
        }

        /// Ends of 1 to 4 non-empty pieces covering the input (one empty piece for empty input).
        mutating func chunkBoundaries(count: Int) -> [Int] {
            guard count > 1 else { return [count] }
            let pieces = 1 + Int(random.next() % 4)
            var ends = Set<Int>()
            for _ in 1..<pieces { ends.insert(1 + Int(random.next() % UInt64(count - 1))) }
            ends.insert(count)
            return ends.sorted()
        }

        mutating func setWritable(_ writable: Bool, channel: EmbeddedChannel, loop: EmbeddedEventLoop) {
            guard channel.isActive, channel.isWritable != writable else { return }
            channel.isWritable = writable
            channel.pipeline.fireChannelWritabilityChanged()
            settle(channel: channel, loop: loop)
        }

        /// Alternates event-loop runs and concurrency jobs until neither has work, collecting
        /// what the server wrote.
        mutating func settle(channel: EmbeddedChannel, loop: EmbeddedEventLoop) {
            var rounds = 0
            while true {
                loop.run()
                drainOutbound(channel)
                let jobs = executor.takeJobs()
                if jobs.isEmpty { return }
                for job in jobs {
                    job.runSynchronously(on: executor.asUnownedSerialExecutor())
                }
                outcome.jobsRun += jobs.count
                rounds += 1
                if rounds >= HTTP2FuzzHarness.maxSettleRounds {
                    fatalError("HTTP2FuzzHarness: the connection did not settle after \(rounds) rounds (livelock)")
                }
            }
        }

        mutating func drainOutbound(_ channel: EmbeddedChannel) {
            while case .some(.some(let buffer)) = try? channel.readOutbound(as: ByteBuffer.self) {
                outcome.outboundBytes += buffer.readableBytes
                outcome.outboundDigest = buffer.withUnsafeReadableBytes { FNV1a.hash($0, seed: outcome.outboundDigest) }
            }
        }
    }
}

// MARK: - Running the handler's tasks on the harness thread

/// Swift's runtime signature for the global-executor enqueue hook (`swift_task_enqueueGlobal_hook`
/// in libswift_Concurrency: a settable function pointer the runtime calls for every job headed
/// to the global concurrent executor, with the original implementation as second argument).
private typealias EnqueueOriginal = @convention(thin) (UnownedJob) -> Void
private typealias EnqueueHook = @convention(thin) (UnownedJob, EnqueueOriginal) -> Void

/// A serial executor whose queue is drained by the harness on its own thread.
///
/// Why this file uses raw pointers: the hook is a C global of the concurrency runtime, reached
/// with `dlsym`; it stays inside RingdeskHTTP2 like the rest of the C interop.
final class HarnessExecutor: SerialExecutor, @unchecked Sendable {
    private struct State {
        /// The thread that runs the harness, while a run is in progress.
        var owner: UInt?
        var jobs: [UnownedJob] = []
    }

    /// One harness run at a time per process: there is one hook slot.
    private static let runLock = NIOLock()
    private static let state = NIOLockedValueBox(State())
    /// Address of `swift_task_enqueueGlobal_hook`, or nil if the runtime lacks it.
    nonisolated(unsafe) private static let hookSlot: UnsafeMutablePointer<EnqueueHook?>? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "swift_task_enqueueGlobal_hook") else { return nil }
        return symbol.assumingMemoryBound(to: EnqueueHook?.self)
    }()

    private static func currentThread() -> UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        UInt(pthread_self())
        #endif
    }

    static func run<T>(_ body: (HarnessExecutor) -> T) -> T {
        runLock.withLock {
            guard let slot = hookSlot else {
                fatalError("HTTP2FuzzHarness: swift_task_enqueueGlobal_hook not found in the Swift runtime")
            }
            let executor = HarnessExecutor()
            let previous = slot.pointee
            state.withLockedValue { $0.owner = currentThread(); $0.jobs.removeAll() }
            slot.pointee = { job, original in
                let taken = HarnessExecutor.state.withLockedValue { state -> Bool in
                    guard state.owner == HarnessExecutor.currentThread() else { return false }
                    state.jobs.append(job)
                    return true
                }
                if !taken { original(job) }
            }
            defer {
                slot.pointee = previous
                let left = state.withLockedValue { state -> [UnownedJob] in
                    state.owner = nil
                    defer { state.jobs.removeAll() }
                    return state.jobs
                }
                precondition(left.isEmpty, "HTTP2FuzzHarness: \(left.count) jobs left behind")
            }
            return body(executor)
        }
    }

    func takeJobs() -> [UnownedJob] {
        Self.state.withLockedValue { state in
            defer { state.jobs.removeAll(keepingCapacity: true) }
            return state.jobs
        }
    }

    /// Jobs that resume on this executor (e.g. after `Task.yield()`) join the same queue.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        Self.state.withLockedValue { $0.jobs.append(job) }
    }
}
