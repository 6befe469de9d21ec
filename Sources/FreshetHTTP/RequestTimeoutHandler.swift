import FreshetCore
import HTTPTypes
import NIOCore
import NIOHTTPTypes

// What the project's HTTP servers (the web UI, the schema registry) share about their
// connections: a request must arrive whole within a time limit, and durations become NIO's.

/// Closes a connection whose request has not arrived whole (headers and body) within
/// `timeout`: counted from the connection's start for its first request, and from each later
/// request's head. A client that opens a connection and never finishes its headers, or
/// trickles a body, is shed; waiting between keep-alive requests is the idle timeout's business.
public final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    public let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    public init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
    }

    public func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context)  // no-op while the first request's timer runs
        case .body: break
        case .end: cancel()
        }
        context.fireChannelRead(data)
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        let channel = context.channel
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            self?.timer = nil
            channel.close(promise: nil)
        }
    }

    private func cancel() {
        timer?.cancel()
        timer = nil
    }
}

@available(*, unavailable)
extension RequestTimeoutHandler: Sendable {}

extension Duration {
    /// For NIO, saturating at Int64's nanoseconds (a configured duration from the user never traps).
    public var timeAmount: TimeAmount { .nanoseconds(saturatingNanoseconds) }
}
