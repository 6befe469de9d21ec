import NIOCore
import NIOTLS

/// Drives a `KafkaConnectionStateMachine` from a channel: feeds it frames and events and
/// performs the actions it returns. Sits after `KafkaFrameByteToMessageDecoder`.
///
/// All methods run on the channel's event loop.
final class KafkaChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: KafkaConnectionStateMachine
    private let requestTimeout: TimeAmount
    private let connectTimeoutAmount: TimeAmount
    private var context: ChannelHandlerContext?
    private var nextID: UInt64 = 0
    private var promises: [KafkaConnectionStateMachine.RequestID: EventLoopPromise<KafkaConnectionStateMachine.Response>] = [:]
    private var timeouts: [KafkaConnectionStateMachine.RequestID: Scheduled<Void>] = [:]
    private var connectTimeout: Scheduled<Void>?
    private var readyCompleted = false
    /// Set when a `NIOSSLClientHandler` sits before this handler: its handshake errors are
    /// reported as `.tlsFailed` with what to check.
    private let tls: (configuration: KafkaTLSConfiguration, host: String)?
    private var tlsHandshakeCompleted = false
    /// Succeeds with the negotiated versions once ApiVersions completes.
    let readyPromise: EventLoopPromise<ApiVersionsResponse>

    init(
        configuration: KafkaConnectionStateMachine.Configuration, requestTimeout: TimeAmount, connectTimeout: TimeAmount,
        readyPromise: EventLoopPromise<ApiVersionsResponse>, tls: (configuration: KafkaTLSConfiguration, host: String)? = nil
    ) {
        self.tls = tls
        self.machine = KafkaConnectionStateMachine(configuration: configuration)
        self.requestTimeout = requestTimeout
        self.connectTimeoutAmount = connectTimeout
        self.readyPromise = readyPromise
    }

    var negotiatedVersions: [ApiKey: Int16] { machine.negotiatedVersions }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        connectTimeout = context.eventLoop.scheduleTask(in: connectTimeoutAmount) {
            bound.value.connectTimedOut()
        }
        if context.channel.isActive { perform(machine.channelActive()) }
    }

    private func connectTimedOut() {
        // A TLS client facing a plaintext listener typically hears nothing back: say so.
        if let tls, !tlsHandshakeCompleted, !machine.isClosed {
            perform(
                machine.errorCaught(
                    KafkaConnectionError(
                        code: .tlsFailed,
                        message:
                            "the TLS handshake did not complete within the connect timeout (\(connectTimeoutAmount)); is this a TLS listener, and does '\(tls.configuration.expectedServerName(host: tls.host))' resolve to it?",
                        broker: machine.configuration.brokerDescription)))
            return
        }
        perform(machine.connectTimedOut())
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        // The pipeline is gone (the channel closed): the connect must not wait forever.
        if !readyCompleted {
            readyCompleted = true
            connectTimeout?.cancel()
            readyPromise.fail(
                KafkaConnectionError(
                    code: .connectionClosed, message: "the connection closed before ApiVersions completed",
                    broker: machine.configuration.brokerDescription))
        }
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
        perform(machine.frameReceived(unwrapInboundIn(data)))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tls, !tlsHandshakeCompleted,
            let tlsError = tls.configuration.handshakeError(
                error, host: tls.host, broker: machine.configuration.brokerDescription ?? tls.host)
        {
            perform(machine.errorCaught(tlsError))
            return
        }
        perform(machine.errorCaught(error))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { tlsHandshakeCompleted = true }
        context.fireUserInboundEventTriggered(event)
    }

    /// Sends `request`; `promise` completes with the raw response frame.
    func send(_ request: any KafkaRequest, timeout: TimeAmount?, promise: EventLoopPromise<KafkaConnectionStateMachine.Response>) {
        nextID += 1
        let id = KafkaConnectionStateMachine.RequestID(nextID)
        promises[id] = promise
        if let eventLoop = context?.eventLoop {
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            timeouts[id] = eventLoop.scheduleTask(in: timeout ?? requestTimeout) {
                bound.value.perform(bound.value.machine.requestTimedOut(id))
            }
        }
        perform(machine.sendRequest(request, id: id))
    }

    func close() {
        perform(machine.close())
    }

    private func perform(_ action: KafkaConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .write(let frames):
            write(frames)
        case .ready(let frames):
            connectTimeout?.cancel()
            if let versions = machine.brokerVersions, !readyCompleted {
                readyCompleted = true
                readyPromise.succeed(versions)
            }
            write(frames)
        case .succeed(let id, let response, let frames):
            complete(id) { $0.succeed(response) }
            write(frames)
        case .fail(let id, let error):
            complete(id) { $0.fail(error) }
        case .failAll(let failures, let error, let close):
            connectTimeout?.cancel()
            if !readyCompleted {
                readyCompleted = true
                readyPromise.fail(error)
            }
            for (id, error) in failures { complete(id) { $0.fail(error) } }
            if close, let context { context.close(promise: nil) }
        }
        for (id, error) in machine.takeFailedWhileDraining() {
            complete(id) { $0.fail(error) }
        }
    }

    private func complete(_ id: KafkaConnectionStateMachine.RequestID, _ body: (EventLoopPromise<KafkaConnectionStateMachine.Response>) -> Void) {
        timeouts.removeValue(forKey: id)?.cancel()
        if let promise = promises.removeValue(forKey: id) { body(promise) }
    }

    private func write(_ frames: [ByteBuffer]) {
        guard !frames.isEmpty, let context else { return }
        for frame in frames { context.write(wrapOutboundOut(frame), promise: nil) }
        context.flush()
    }
}
