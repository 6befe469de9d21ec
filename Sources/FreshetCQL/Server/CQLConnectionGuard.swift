import NIOCore

/// The timeouts of one server connection, free of IO: the ways a client could hold the
/// server's memory or a connection slot without sending whole requests or reading answers.
///
/// Feed it what the channel sees — bytes as they arrive (`received`), whether the server is
/// reading (`readingPaused`/`readingResumed`: while the server holds back, its own
/// backpressure, the client is not late), and the bytes of responses not yet taken by the
/// socket (`outputPending`) — then ask `check(at:)` now and then. It says to close the
/// connection when:
/// - a frame is incomplete `frameReadTimeout` after its first byte arrived (a client that
///   trickles a frame, or stops half-way, keeps at most one frame buffered that long);
/// - nothing arrived for `idleTimeout` and no response is waiting (drivers send an OPTIONS
///   heartbeat every 30 s);
/// - responses have waited `writeTimeout` without the socket taking a byte of them (a client
///   that does not read).
///
/// Frames are followed with their 9-byte v3+ headers: the body length says where the next
/// frame starts. A header the decoder will refuse (another version, a negative or oversized
/// length) ends the connection there anyway.
public struct CQLConnectionGuard: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Longest time from a frame's first byte to its last. `nil`: no limit.
        public var frameReadTimeout: TimeAmount?
        /// Longest time without input while no response waits. `nil`: no limit.
        public var idleTimeout: TimeAmount?
        /// Longest time responses may wait without the socket taking any of them. `nil`: no limit.
        public var writeTimeout: TimeAmount?

        public init(frameReadTimeout: TimeAmount? = nil, idleTimeout: TimeAmount? = nil, writeTimeout: TimeAmount? = nil) {
            self.frameReadTimeout = frameReadTimeout
            self.idleTimeout = idleTimeout
            self.writeTimeout = writeTimeout
        }

        /// How often `check` should run: a quarter of the shortest timeout (at least 10 ms), or
        /// `nil` when there is no timeout.
        public var checkInterval: TimeAmount? {
            let shortest = [frameReadTimeout, idleTimeout, writeTimeout].compactMap { $0 }.min()
            return shortest.map { max(.milliseconds(10), .nanoseconds($0.nanoseconds / 4)) }
        }
    }

    public enum Verdict: Sendable, Hashable {
        case keepOpen
        /// Close the connection; the reason is for the log.
        case close(reason: String)
    }

    public let configuration: Configuration
    /// Header bytes of the frame being received (0...8; 9 completes it).
    private var headerBytes: [UInt8] = []
    /// Body bytes still to come of the frame being received.
    private var bodyRemaining = 0
    /// When the incomplete frame's first byte arrived; `nil` between frames.
    public private(set) var frameStartedAt: NIODeadline?
    private var lastInputAt: NIODeadline
    /// Set while the server does not read (its own backpressure).
    private var pausedAt: NIODeadline?
    private var pendingOutput = 0
    private var lastOutputProgressAt: NIODeadline

    public init(configuration: Configuration, now: NIODeadline) {
        self.configuration = configuration
        self.lastInputAt = now
        self.lastOutputProgressAt = now
    }

    /// Whether part of a frame has arrived and the rest has not.
    public var hasIncompleteFrame: Bool { frameStartedAt != nil }

    /// Bytes arrived from the client.
    public mutating func received(_ bytes: ByteBuffer, at now: NIODeadline) {
        guard bytes.readableBytes > 0 else { return }
        lastInputAt = now
        var view = bytes.readableBytesView[...]
        while !view.isEmpty {
            if frameStartedAt == nil { frameStartedAt = now }
            if headerBytes.count < CQLFrameHeader.size {
                let take = min(CQLFrameHeader.size - headerBytes.count, view.count)
                headerBytes += view.prefix(take)
                view = view.dropFirst(take)
                guard headerBytes.count == CQLFrameHeader.size else { break }
                let length = headerBytes[5...8].reduce(Int32(0)) { $0 << 8 | Int32($1) }
                bodyRemaining = max(0, Int(length))
            } else {
                let take = min(bodyRemaining, view.count)
                bodyRemaining -= take
                view = view.dropFirst(take)
            }
            if headerBytes.count == CQLFrameHeader.size, bodyRemaining == 0 {
                headerBytes.removeAll(keepingCapacity: true)
                frameStartedAt = nil
            }
        }
    }

    /// The server stopped asking for input (its in-flight limits are reached).
    public mutating func readingPaused(at now: NIODeadline) {
        if pausedAt == nil { pausedAt = now }
    }

    /// The server asks for input again: the time it held back does not count against the client.
    public mutating func readingResumed(at now: NIODeadline) {
        guard let pausedAt else { return }
        self.pausedAt = nil
        let paused = now - pausedAt
        if let started = frameStartedAt { frameStartedAt = started + paused }
        lastInputAt = lastInputAt + paused
    }

    /// Bytes of responses handed to the channel and not yet written to the socket, now.
    public mutating func outputPending(_ bytes: Int, at now: NIODeadline) {
        if bytes == 0 || bytes < pendingOutput || pendingOutput == 0 { lastOutputProgressAt = now }
        pendingOutput = bytes
    }

    /// Whether the connection should be closed now.
    public func check(at now: NIODeadline) -> Verdict {
        if pendingOutput > 0, let timeout = configuration.writeTimeout, now - lastOutputProgressAt >= timeout {
            return .close(reason: "the client read none of \(pendingOutput) bytes of responses for \(Self.describe(timeout)) (write timeout)")
        }
        guard pausedAt == nil else { return .keepOpen }
        if let started = frameStartedAt, let timeout = configuration.frameReadTimeout, now - started >= timeout {
            return .close(reason: "a frame was still incomplete \(Self.describe(timeout)) after its first byte (frame read timeout)")
        }
        if pendingOutput == 0, frameStartedAt == nil, let timeout = configuration.idleTimeout, now - lastInputAt >= timeout {
            return .close(reason: "the client sent nothing for \(Self.describe(timeout)) (idle timeout)")
        }
        return .keepOpen
    }

    static func describe(_ amount: TimeAmount) -> String {
        let ms = amount.nanoseconds / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }
}
