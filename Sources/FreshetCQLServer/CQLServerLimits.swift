import FreshetCQL
import Logging
import NIOCore
import Synchronization

/// Storage operations running across all connections of an endpoint, bounded in number and in
/// the bytes each reserves up front. Waiters are served in arrival order, so a large request
/// is not starved by small ones.
final class CQLServerLimiter: Sendable {
    /// What one operation holds until `release`.
    struct Permit: Sendable {
        var bytes: Int
    }

    let maximumOperations: Int
    let maximumBytes: Int

    private struct Waiter {
        var id: UInt64
        var bytes: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var operations = 0
        var bytes = 0
        var waiters = CircularBuffer<Waiter>()
        var nextID: UInt64 = 0

        func fits(_ bytes: Int, maximumOperations: Int, maximumBytes: Int) -> Bool {
            operations < maximumOperations && self.bytes + bytes <= maximumBytes
        }
    }

    private let state = Mutex(State())

    init(maximumOperations: Int, maximumBytes: Int) {
        self.maximumOperations = max(1, maximumOperations)
        self.maximumBytes = max(1, maximumBytes)
    }

    /// Operations and bytes held now.
    var inUse: (operations: Int, bytes: Int) { state.withLock { ($0.operations, $0.bytes) } }

    /// A permit if one is free now and nobody waits; `nil` otherwise.
    func tryAcquire(bytes requested: Int) -> Permit? {
        let bytes = min(max(0, requested), maximumBytes)
        return state.withLock { state in
            guard state.waiters.isEmpty, state.fits(bytes, maximumOperations: maximumOperations, maximumBytes: maximumBytes) else {
                return nil
            }
            state.operations += 1
            state.bytes += bytes
            return Permit(bytes: bytes)
        }
    }

    /// Waits until an operation of `bytes` (at most `maximumBytes`) fits. Throws
    /// `CancellationError` if the task is cancelled while waiting.
    func acquire(bytes requested: Int) async throws -> Permit {
        let bytes = min(max(0, requested), maximumBytes)
        let (granted, id): (Bool, UInt64) = state.withLock { state in
            if state.waiters.isEmpty, state.fits(bytes, maximumOperations: maximumOperations, maximumBytes: maximumBytes) {
                state.operations += 1
                state.bytes += bytes
                return (true, 0)
            }
            state.nextID += 1
            return (false, state.nextID)
        }
        if granted { return Permit(bytes: bytes) }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { state in
                    if Task.isCancelled { return true }
                    state.waiters.append(Waiter(id: id, bytes: bytes, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
        return Permit(bytes: bytes)
    }

    func release(_ permit: Permit) {
        let ready: [Waiter] = state.withLock { state in
            state.operations -= 1
            state.bytes -= permit.bytes
            var ready: [Waiter] = []
            while let first = state.waiters.first,
                state.fits(first.bytes, maximumOperations: maximumOperations, maximumBytes: maximumBytes)
            {
                state.waiters.removeFirst()
                state.operations += 1
                state.bytes += first.bytes
                ready.append(first)
            }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }
}

/// Connections an endpoint has open.
final class CQLConnectionCounter: Sendable {
    private let count = Atomic<Int>(0)

    /// Counts one more connection, unless `maximum` are open.
    func open(maximum: Int) -> Bool {
        var current = count.load(ordering: .relaxed)
        while current < maximum {
            let (exchanged, original) = count.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func closed() { count.subtract(1, ordering: .relaxed) }

    var current: Int { count.load(ordering: .relaxed) }
}

/// How large the rows written through the endpoint may be, so that every row fits a page and
/// an upsert's merged rows stay bounded.
struct CQLRowLimits: Sendable {
    /// One BATCH may write at most this many rows of the largest size.
    static let rowsPerUpsert = 64

    /// Bytes of a row's cells, encoded (each with its 4-byte length).
    var maximumRowBytes: Int

    /// Bytes the rows of one upsert may take together.
    var maximumUpsertBytes: Int { maximumRowBytes * Self.rowsPerUpsert }

    static func size(_ row: [CQLValue?]) -> Int {
        row.reduce(0) { $0 + 4 + ($1?.serializedSize ?? 0) }
    }

    /// Throws INVALID when `row` is larger than a row may be.
    func check(_ row: [CQLValue?], table: String, key: String) throws(CQLServerError) {
        let size = Self.size(row)
        guard size <= maximumRowBytes else {
            throw CQLServerError(
                code: .invalid,
                message: "row \(key.prefix(64)) of \(table) would take \(size) bytes; Freshet's CQL endpoint keeps rows of at most \(maximumRowBytes) bytes")
        }
    }

    /// Throws INVALID when the rows of one upsert, together, pass `maximumUpsertBytes`.
    func checkTotal(_ bytes: Int) throws(CQLServerError) {
        guard bytes <= maximumUpsertBytes else {
            throw CQLServerError(
                code: .invalid,
                message: "the BATCH writes rows of more than \(maximumUpsertBytes) bytes together; split it")
        }
    }
}

/// The first handler of a connection's pipeline: runs `CQLConnectionGuard` over the raw bytes
/// and the channel's state, and closes the connection when it says so.
final class CQLConnectionGuardHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: CQLConnectionGuard
    private let logger: Logger
    private var timer: RepeatedTask?
    private var closing = false

    init(configuration: CQLConnectionGuard.Configuration, logger: Logger) {
        self.machine = CQLConnectionGuard(configuration: configuration, now: .now())
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let interval = machine.configuration.checkInterval else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (handler, context) = bound.value
            handler.tick(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        machine.received(unwrapInboundIn(data), at: .now())
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Until the next read() passes here, the server is not asking for input.
        machine.readingPaused(at: .now())
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        machine.readingResumed(at: .now())
        context.read()
    }

    private func tick(context: ChannelHandlerContext) {
        guard !closing else { return }
        let now = NIODeadline.now()
        let pending = (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        machine.outputPending(pending, at: now)
        if case .close(let reason) = machine.check(at: now) {
            closing = true
            timer?.cancel()
            logger.info(
                "CQL connection closed: \(reason)",
                metadata: ["peer": "\(context.channel.remoteAddress?.description ?? "?")"])
            context.close(promise: nil)
        }
    }
}
