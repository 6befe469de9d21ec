import FreshetCQL
import FreshetCQLServer
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A tiny CQL node for failure flows, built on the codec: the server connection state machine
/// does the handshake (and authentication), the query planner answers system tables and
/// PREPARE, and a script decides what each QUERY/EXECUTE/BATCH gets — an error to replay, a
/// closed connection, silence, or the planner's answer.
final class ScriptedCQLServer: Sendable {
    enum Reply: Sendable {
        case respond(CQLResponse)
        /// Close the connection without answering.
        case close
        /// Never answer.
        case silence
        /// What the planner says (storage operations get Void or no rows).
        case pass
    }

    /// Receives each request after the handshake (not system-table reads) and how many requests
    /// with the same opcode came before it.
    typealias Script = @Sendable (CQLRequest, Int) -> Reply

    let port: Int
    private let channel: any Channel
    private let seen = Mutex<[CQLRequest]>([])
    private let connections = Mutex<Int>(0)

    /// Requests that reached the script, in order.
    var requests: [CQLRequest] { seen.withLock { $0 } }
    func count(_ opcode: CQLOpcode) -> Int { requests.filter { $0.opcode == opcode }.count }
    /// Connections accepted so far.
    var connectionCount: Int { connections.withLock { $0 } }

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    /// - Parameter tls: serve TLS with this context (the test CA's server certificate).
    static func start(credentials: CQLCredentials? = nil, tls: NIOSSLContext? = nil, script: @escaping Script) async throws -> ScriptedCQLServer {
        let planner = CQLQueryPlanner(catalog: CQLCatalog(userKeyspaces: [CreatedUsersCQLTable.keyspace]))
        let box = Mutex<ScriptedCQLServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let server = box.withLock { $0 }
                    server?.connections.withLock { $0 += 1 }
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(CQLFrameByteToMessageDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        Handler(
                            credentials: credentials, planner: planner, script: script,
                            record: { request in
                                server?.seen.withLock { seen -> Int in
                                    let before = seen.filter { $0.opcode == request.opcode }.count
                                    seen.append(request)
                                    return before
                                } ?? 0
                            }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = ScriptedCQLServer(port: channel.localAddress?.port ?? 0, channel: channel)
        box.withLock { $0 = server }
        return server
    }

    static func with<T>(
        credentials: CQLCredentials? = nil, tls: NIOSSLContext? = nil, script: @escaping Script, _ body: (ScriptedCQLServer) async throws -> T
    ) async throws -> T {
        let server = try await start(credentials: credentials, tls: tls, script: script)
        do {
            let result = try await body(server)
            try await server.stop()
            return result
        } catch {
            try? await server.stop()
            throw error
        }
    }

    func stop() async throws {
        try await channel.close()
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = CQLFrame
        typealias OutboundOut = ByteBuffer

        var machine: CQLServerConnectionStateMachine
        let planner: CQLQueryPlanner
        let script: Script
        let record: @Sendable (CQLRequest) -> Int

        init(credentials: CQLCredentials?, planner: CQLQueryPlanner, script: @escaping Script, record: @escaping @Sendable (CQLRequest) -> Int) {
            self.machine = CQLServerConnectionStateMachine(configuration: .init(credentials: credentials))
            self.planner = planner
            self.script = script
            self.record = record
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch machine.received(unwrapInboundIn(data)) {
            case .none: break
            case .respond(let frame): write(frame, context)
            case .respondAndClose(let frame):
                write(frame, context)
                context.close(promise: nil)
            case .process(let request):
                let stream = request.streamID
                let reply: Reply = Self.isSystemRead(request.request) ? .pass : script(request.request, record(request.request))
                switch reply {
                case .respond(let response): write(CQLResponseFrame(streamID: stream, response: response), context)
                case .close: context.close(promise: nil)
                case .silence: break
                case .pass:
                    let session = CQLSessionState(addresses: .init(address: CQLInetAddress("127.0.0.1")!, nativePort: 9042))
                    let response: CQLResponse
                    switch planner.plan(request.request, session: session) {
                    case .result(let result): response = .result(result)
                    case .error(let error): response = .error(error)
                    case .storage(let operation):
                        if case .upsert = operation.kind {
                            response = .result(.void)
                        } else {
                            response = .result(.rows(CQLRows(metadata: CQLRowsMetadata(columns: operation.resultColumns), rows: [])))
                        }
                    }
                    write(CQLResponseFrame(streamID: stream, response: response), context)
                }
            }
        }

        static func isSystemRead(_ request: CQLRequest) -> Bool {
            guard case .query(let text, _) = request else { return false }
            return text.contains("system.") || text.contains("system_schema.")
        }

        func write(_ frame: CQLResponseFrame, _ context: ChannelHandlerContext) {
            guard let bytes = try? frame.encoded() else { return }
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        }
    }
}
