import NIOCore

/// The life of one server connection: open streams, timeouts and graceful shutdown.
///
/// Pure: the handler reports events with the current time and performs the returned actions; the
/// machine never schedules, sends or closes by itself. `nextDeadline` says when to call `tick`.
struct HTTP2ConnectionStateMachine {
    struct Timeouts: Sendable, Equatable {
        /// No open streams for this long: GOAWAY and close.
        var idle: TimeAmount
        /// A new connection must complete its first request head within this.
        var headerRead: TimeAmount
        /// A request must be fully received (head and body) within this of its stream opening.
        var requestRead: TimeAmount
        /// The peer stopped reading: our writes stayed blocked this long.
        var writeStall: TimeAmount
        /// After the shutdown notice, how long to wait before the final GOAWAY.
        var goAwayDelay: TimeAmount
        /// In-flight streams get this long to finish after shutdown starts.
        var shutdownGrace: TimeAmount
    }

    enum CloseReason: Equatable, Sendable {
        case idle
        case headerReadTimeout
        case requestReadTimeout
        case writeStalled
        case shutdownComplete
        case shutdownGraceExpired
    }

    enum Action: Equatable {
        case sendShutdownNotice
        case sendFinalGoAway
        /// Send GOAWAY with this code (if still possible) and close the channel.
        case close(CloseReason, HTTP2ErrorCode)
    }

    struct Active {
        var openStreams: Int = 0
        var lastActivity: NIODeadline
        /// Set until the first request head completes.
        var firstHeadDeadline: NIODeadline?
        var unwritableSince: NIODeadline?
    }

    struct Quiescing {
        var openStreams: Int
        var finalGoAwayAt: NIODeadline?
        var graceDeadline: NIODeadline
        var unwritableSince: NIODeadline?
    }

    enum State {
        case active(Active)
        case quiescing(Quiescing)
        case closed
    }

    private(set) var state: State
    let timeouts: Timeouts

    init(timeouts: Timeouts, now: NIODeadline) {
        self.timeouts = timeouts
        self.state = .active(Active(lastActivity: now, firstHeadDeadline: now + timeouts.headerRead))
    }

    var isClosed: Bool { if case .closed = state { true } else { false } }

    var openStreams: Int {
        switch state {
        case .active(let active): active.openStreams
        case .quiescing(let quiescing): quiescing.openStreams
        case .closed: 0
        }
    }

    /// A request stream opened (its head arrived).
    mutating func requestStarted(now: NIODeadline) {
        switch state {
        case .active(var active):
            active.openStreams += 1
            active.lastActivity = now
            active.firstHeadDeadline = nil
            state = .active(active)
        case .quiescing(var quiescing):
            quiescing.openStreams += 1
            state = .quiescing(quiescing)
        case .closed:
            break
        }
    }

    mutating func streamClosed(now: NIODeadline) -> Action? {
        switch state {
        case .active(var active):
            active.openStreams = max(0, active.openStreams - 1)
            active.lastActivity = now
            state = .active(active)
            return nil
        case .quiescing(var quiescing):
            quiescing.openStreams = max(0, quiescing.openStreams - 1)
            if quiescing.openStreams == 0 && quiescing.finalGoAwayAt == nil {
                state = .closed
                return .close(.shutdownComplete, .noError)
            }
            state = .quiescing(quiescing)
            return nil
        case .closed:
            return nil
        }
    }

    mutating func writabilityChanged(writable: Bool, now: NIODeadline) {
        switch state {
        case .active(var active):
            active.unwritableSince = writable ? nil : (active.unwritableSince ?? now)
            state = .active(active)
        case .quiescing(var quiescing):
            quiescing.unwritableSince = writable ? nil : (quiescing.unwritableSince ?? now)
            state = .quiescing(quiescing)
        case .closed:
            break
        }
    }

    /// Starts a graceful shutdown: notice now, final GOAWAY after `goAwayDelay`, close when idle.
    mutating func beginGracefulShutdown(now: NIODeadline) -> [Action] {
        guard case .active(let active) = state else { return [] }
        state = .quiescing(Quiescing(
            openStreams: active.openStreams,
            finalGoAwayAt: now + timeouts.goAwayDelay,
            graceDeadline: now + timeouts.shutdownGrace,
            unwritableSince: active.unwritableSince
        ))
        return [.sendShutdownNotice]
    }

    /// The peer's GOAWAY or a fatal error ended the connection.
    mutating func connectionClosed() {
        state = .closed
    }

    /// Checks the timers. `oldestIncompleteRequest` is when the oldest request whose body is still
    /// arriving started (the handler tracks it per stream; nil when none).
    mutating func tick(now: NIODeadline, oldestIncompleteRequest: NIODeadline? = nil) -> [Action] {
        switch state {
        case .active(let active):
            if let deadline = active.firstHeadDeadline, now >= deadline {
                state = .closed
                return [.close(.headerReadTimeout, .noError)]
            }
            if let oldest = oldestIncompleteRequest, now - oldest >= timeouts.requestRead {
                state = .closed
                return [.close(.requestReadTimeout, .enhanceYourCalm)]
            }
            if let since = active.unwritableSince, now - since >= timeouts.writeStall {
                state = .closed
                return [.close(.writeStalled, .enhanceYourCalm)]
            }
            if active.openStreams == 0 && active.firstHeadDeadline == nil && now - active.lastActivity >= timeouts.idle {
                state = .closed
                return [.close(.idle, .noError)]
            }
            return []
        case .quiescing(var quiescing):
            if now >= quiescing.graceDeadline {
                state = .closed
                return [.close(.shutdownGraceExpired, .noError)]
            }
            if let since = quiescing.unwritableSince, now - since >= timeouts.writeStall {
                state = .closed
                return [.close(.writeStalled, .enhanceYourCalm)]
            }
            if let at = quiescing.finalGoAwayAt, now >= at {
                quiescing.finalGoAwayAt = nil
                if quiescing.openStreams == 0 {
                    state = .closed
                    return [.sendFinalGoAway, .close(.shutdownComplete, .noError)]
                }
                state = .quiescing(quiescing)
                return [.sendFinalGoAway]
            }
            return []
        case .closed:
            return []
        }
    }

    /// The earliest time at which `tick` may have something to do.
    func nextDeadline(oldestIncompleteRequest: NIODeadline? = nil) -> NIODeadline? {
        switch state {
        case .active(let active):
            var candidates: [NIODeadline] = []
            if let deadline = active.firstHeadDeadline { candidates.append(deadline) }
            if let oldest = oldestIncompleteRequest { candidates.append(oldest + timeouts.requestRead) }
            if let since = active.unwritableSince { candidates.append(since + timeouts.writeStall) }
            if active.openStreams == 0 && active.firstHeadDeadline == nil { candidates.append(active.lastActivity + timeouts.idle) }
            return candidates.min()
        case .quiescing(let quiescing):
            var candidates = [quiescing.graceDeadline]
            if let at = quiescing.finalGoAwayAt { candidates.append(at) }
            if let since = quiescing.unwritableSince { candidates.append(since + timeouts.writeStall) }
            return candidates.min()
        case .closed:
            return nil
        }
    }
}
