import FreshetCQL
import NIOCore
import NIOSSL

/// Drives a `CQLClientConnectionStateMachine` from a channel: feeds it frames and events and
/// performs the actions it returns. Sits after `CQLFrameByteToMessageDecoder`.
///
/// All methods run on the channel's event loop.
final class CQLChannelHandler: ChannelInboundHandler {
    typealias InboundIn = CQLFrame
    typealias OutboundOut = ByteBuffer

    typealias RequestID = CQLClientConnectionStateMachine.RequestID

    /// A response (never an ERROR: those fail the request) and the statements re-prepared on
    /// the way to it.
    struct Response: Sendable {
        var frame: CQLResponseFrame
        var reprepared: [CQLPrepared]
    }

    private var machine: CQLClientConnectionStateMachine
    private let requestTimeout: TimeAmount
    private let connectTimeoutAmount: TimeAmount
    private var context: ChannelHandlerContext?
    private var nextID: UInt64 = 0
    private var promises: [RequestID: EventLoopPromise<Response>] = [:]
    private var timeouts: [RequestID: Scheduled<Void>] = [:]
    private var connectTimeout: Scheduled<Void>?
    private var readyCompleted = false
    private let readyPromise: EventLoopPromise<Void>
    private let onEvent: (@Sendable (CQLEvent) -> Void)?
    private let onClose: (@Sendable (CQLClientError) -> Void)?
    private let pending: InFlightCounter
    private let heartbeatInterval: TimeAmount?
    private var heartbeat: RepeatedTask?
    /// Frames written since the last heartbeat tick.
    private var writesSinceTick = 0

    init(
        configuration: CQLClientConnectionStateMachine.Configuration, requestTimeout: TimeAmount, connectTimeout: TimeAmount,
        heartbeatInterval: TimeAmount? = nil, readyPromise: EventLoopPromise<Void>, pending: InFlightCounter,
        onEvent: (@Sendable (CQLEvent) -> Void)?, onClose: (@Sendable (CQLClientError) -> Void)?
    ) {
        self.machine = CQLClientConnectionStateMachine(configuration: configuration)
        self.requestTimeout = requestTimeout
        self.heartbeatInterval = heartbeatInterval
        self.connectTimeoutAmount = connectTimeout
        self.readyPromise = readyPromise
        self.pending = pending
        self.onEvent = onEvent
        self.onClose = onClose
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        connectTimeout = context.eventLoop.scheduleTask(in: connectTimeoutAmount) {
            bound.value.perform(bound.value.machine.connectTimedOut())
        }
        if context.channel.isActive { perform(machine.channelActive()) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        heartbeat?.cancel()
        heartbeat = nil
        perform(machine.channelInactive())
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(machine.channelActive())
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(machine.channelInactive())
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(machine.received(unwrapInboundIn(data)))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is CQLProtocolError {
            perform(machine.decodeFailed(error))
        } else if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            // A certificate the client cannot verify, a name that does not match, a plaintext
            // node: say it is TLS, not just that the connection closed.
            perform(
                machine.errorCaught(
                    CQLClientError(
                        code: .tlsFailed, message: "TLS with the node failed: \(error)", host: machine.configuration.host)))
        } else {
            perform(machine.errorCaught(error))
        }
    }

    func send(_ request: CQLClientConnectionStateMachine.Request, timeout: TimeAmount?, promise: EventLoopPromise<Response>) {
        nextID += 1
        let id = RequestID(nextID)
        promises[id] = promise
        pending.add(1)
        if let eventLoop = context?.eventLoop {
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            let amount = timeout ?? requestTimeout
            timeouts[id] = eventLoop.scheduleTask(in: amount) {
                bound.value.perform(bound.value.machine.requestTimedOut(id, after: "\(amount.nanoseconds / 1_000_000) ms"))
            }
        }
        perform(machine.send(request, id: id))
    }

    func close() {
        perform(machine.close())
    }

    private func perform(_ action: CQLClientConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .write(let frames):
            write(frames)
        case .ready(let frames):
            connectTimeout?.cancel()
            if !readyCompleted {
                readyCompleted = true
                readyPromise.succeed(())
                startHeartbeat()
            }
            write(frames)
        case .succeed(let id, let response, let reprepared, let frames):
            complete(id) { $0.succeed(Response(frame: response, reprepared: reprepared)) }
            write(frames)
        case .fail(let id, let error, let frames):
            complete(id) { $0.fail(error) }
            write(frames)
        case .event(let event):
            onEvent?(event)
        case .failAll(let failures, let error, let close):
            connectTimeout?.cancel()
            if !readyCompleted {
                readyCompleted = true
                readyPromise.fail(error)
            }
            for (id, failure) in failures { complete(id) { $0.fail(failure) } }
            // Requests that never reached the machine's books (sent after it closed) are in
            // `promises` too; fail whatever is left.
            for id in Array(promises.keys) { complete(id) { $0.fail(error) } }
            heartbeat?.cancel()
            heartbeat = nil
            onClose?(error)
            if close, let context { context.close(promise: nil) }
        }
        for (id, error) in machine.takeFailedWhileDraining() {
            complete(id) { $0.fail(error) }
        }
    }

    private func complete(_ id: RequestID, _ body: (EventLoopPromise<Response>) -> Void) {
        timeouts.removeValue(forKey: id)?.cancel()
        if let promise = promises.removeValue(forKey: id) {
            pending.add(-1)
            body(promise)
        }
    }

    /// Every `heartbeatInterval`, an OPTIONS if nothing else was written meanwhile.
    private func startHeartbeat() {
        guard let interval = heartbeatInterval, let eventLoop = context?.eventLoop, heartbeat == nil else { return }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        heartbeat = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let handler = bound.value
            defer { handler.writesSinceTick = 0 }
            guard handler.writesSinceTick == 0, handler.machine.isReady else { return }
            let promise = eventLoop.makePromise(of: Response.self)
            // A failed heartbeat is the request timeout's business (orphaned streams close the
            // connection); its result is not needed.
            promise.futureResult.whenComplete { _ in }
            handler.send(.init(.options), timeout: nil, promise: promise)
        }
    }

    private func write(_ frames: [ByteBuffer]) {
        guard !frames.isEmpty, let context else { return }
        writesSinceTick += frames.count
        for frame in frames { context.write(wrapOutboundOut(frame), promise: nil) }
        context.flush()
    }
}
