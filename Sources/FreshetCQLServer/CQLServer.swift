import FreshetCQL
import FreshetContracts
import FreshetCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Configuration of the CQL endpoint (`cql.*` in Freshet's config file).
///
/// The limits bound what clients can make the endpoint hold (docs/cql.md, "Limits"): with the
/// defaults, any number of hostile clients hold at most about 64 connections × (1 MiB frame +
/// a response being written) + 64 MiB of requests in flight + 8 MiB of prepared statements.
public struct CQLServerConfiguration: Sendable {
    /// Defaults to "127.0.0.1".
    public var host: String
    /// Defaults to 9042, Cassandra's native port; 0 picks a free port.
    public var port: Int
    /// When set, clients must log in with these (Cassandra's PasswordAuthenticator). Defaults
    /// to `nil`: no authentication.
    public var credentials: CQLCredentials?
    /// Connections open at once; a further one is closed as soon as it is accepted (and
    /// logged). Defaults to 64.
    public var maxConnections: Int
    /// Requests one connection may have running at once; further frames wait in the socket.
    /// Defaults to 32.
    public var maxInFlightRequestsPerConnection: Int
    /// Storage operations (reads and writes of the served tables) running at once across all
    /// connections; further requests wait. Defaults to 128.
    public var maxConcurrentStorageOperations: Int
    /// Bytes the storage operations in flight across all connections may hold, estimated up
    /// front from the request and the largest answer it may get (a page, a row); one
    /// connection holds at most a quarter. Further requests wait. Defaults to 64 MiB.
    public var maxInFlightBytes: Int
    /// Bytes buffered for one frame: a longer body gets a PROTOCOL_ERROR and the connection
    /// closes. Defaults to 1 MiB (Freshet's own sink sends frames of a few KiB; Cassandra's
    /// batch limit is 50 KiB).
    public var maximumFrameBodyLength: Int
    /// A frame must arrive whole this long after its first byte, or the connection closes.
    /// Defaults to 10 seconds; `nil` for no limit.
    public var frameReadTimeout: Duration?
    /// A connection that sends nothing this long (and has no response waiting) is closed.
    /// Drivers and cqlsh send an OPTIONS heartbeat every 30 s. Defaults to 120 seconds;
    /// `nil` for no limit.
    public var idleTimeout: Duration?
    /// A connection whose responses wait this long without the client reading a byte is
    /// closed, releasing what its requests hold. Defaults to 10 seconds; `nil` for no limit.
    public var writeTimeout: Duration?
    /// Statement length, nesting depth, and page size in rows and bytes. Defaults to
    /// `CQLQueryLimits()`: 64 KiB, 32 levels, 5,000 rows, 1 MiB.
    public var queryLimits: CQLQueryLimits
    /// Bytes a row written through the endpoint may take (its cells, encoded, after the upsert
    /// merged it with the stored row); a larger one is INVALID. One BATCH may write at most 64
    /// times this. Defaults to 64 KiB.
    public var maximumRowBytes: Int
    /// Estimated bytes of prepared statements kept (least recently used dropped first; a
    /// statement larger than this is refused). Defaults to 8 MiB.
    public var preparedStatementCacheBytes: Int
    /// What `system.local` says: cluster name, data center, release version... Defaults to
    /// `CQLNodeInfo()` (cluster "Freshet", datacenter1, Cassandra 4.1.5).
    public var node: CQLNodeInfo

    public init(
        host: String = "127.0.0.1", port: Int = 9042, credentials: CQLCredentials? = nil, maxConnections: Int = 64,
        maxInFlightRequestsPerConnection: Int = 32, maxConcurrentStorageOperations: Int = 128, maxInFlightBytes: Int = 64 * 1024 * 1024,
        maximumFrameBodyLength: Int = 1024 * 1024, frameReadTimeout: Duration? = .seconds(10), idleTimeout: Duration? = .seconds(120),
        writeTimeout: Duration? = .seconds(10), queryLimits: CQLQueryLimits = CQLQueryLimits(), maximumRowBytes: Int = 64 * 1024,
        preparedStatementCacheBytes: Int = 8 * 1024 * 1024, node: CQLNodeInfo = CQLNodeInfo()
    ) {
        self.host = host
        self.port = port
        self.credentials = credentials
        self.maxConnections = maxConnections
        self.maxInFlightRequestsPerConnection = maxInFlightRequestsPerConnection
        self.maxConcurrentStorageOperations = maxConcurrentStorageOperations
        self.maxInFlightBytes = maxInFlightBytes
        self.maximumFrameBodyLength = maximumFrameBodyLength
        self.frameReadTimeout = frameReadTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.queryLimits = queryLimits
        self.maximumRowBytes = maximumRowBytes
        self.preparedStatementCacheBytes = preparedStatementCacheBytes
        self.node = node
    }

    var guardConfiguration: CQLConnectionGuard.Configuration {
        CQLConnectionGuard.Configuration(
            frameReadTimeout: frameReadTimeout.map(TimeAmount.init), idleTimeout: idleTimeout.map(TimeAmount.init),
            writeTimeout: writeTimeout.map(TimeAmount.init))
    }
}

/// Freshet's store served over Cassandra's native protocol v4, so that cqlsh and the
/// DataStax drivers read (and write) `spark_streams.created_users` as if Freshet were
/// Cassandra. A `Service`: `run()` listens until cancelled or gracefully shut down, then
/// closes the listener and every connection.
///
///     let cql = CQLServer(configuration: .init(port: 9042), queries: store, sink: store, logger: logger)
///     // in a ServiceGroup, or: try await cql.run()
public struct CQLServer: Service {
    public let configuration: CQLServerConfiguration
    let planner: CQLQueryPlanner
    let storage: [String: any CQLTableStorage]
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    let onListening: @Sendable (Int) async -> Void
    /// Storage operations and their bytes across all connections.
    let limiter: CQLServerLimiter
    /// Open connections.
    let connections = CQLConnectionCounter()

    /// - Parameters:
    ///   - queries: where reads go (`SQLiteStore`). When it is also a `KeyedRowStore`, the endpoint
    ///     serves `SinkStateCQLTables` (a remote Cassandra sink's positions and window counts) too.
    ///   - sink: where INSERTs go (`Sink.upsert`); `nil` makes the endpoint read-only. When it is
    ///     a `KeyedRowStore` (SQLite), each `created_users` row's write time is kept beside it and
    ///     the later of two writes wins (`USING TIMESTAMP`); otherwise writes apply in arrival order.
    ///   - now: ms since the epoch, for `ingested_at` of rows an INSERT creates without one, and
    ///     the timestamp (in µs) of writes that carry none.
    ///   - onListening: receives the bound port (useful with port 0).
    public init(
        configuration: CQLServerConfiguration, queries: any UserQueries, sink: (any Sink)?, logger: Logger = Logger(label: "freshet.cql"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        now: @escaping @Sendable () -> Int64 = { Timestamp.now().millisecondsSinceEpoch },
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        let rowLimits = CQLRowLimits(maximumRowBytes: configuration.maximumRowBytes)
        let clock = CQLWriteClock(nowMilliseconds: now)
        var keyspace = CreatedUsersCQLTable.keyspace
        // A writer that keeps keyed rows (SQLite) keeps the write times of created_users rows
        // there, so that the later of two writes wins whatever order they arrive in.
        var storage: [String: any CQLTableStorage] = [
            CreatedUsersCQLTable.definition.qualifiedName: CreatedUsersStorage(
                queries: queries, sink: sink, writeTimes: sink as? any KeyedRowStore, now: now, clock: clock, limits: rowLimits)
        ]
        // A store that keeps keyed rows (SQLite) also serves a remote sink's bookkeeping tables.
        if let keyed = queries as? any KeyedRowStore {
            let names = Set(SinkStateCQLTables.all.map(\.qualifiedName))
            let lock = CQLAsyncLock()
            for table in SinkStateCQLTables.all {
                keyspace.tables.append(table)
                storage[table.qualifiedName] = KeyedCQLTableStorage(
                    table: table, store: keyed, writable: sink != nil, siblings: names, limits: rowLimits, lock: lock, clock: clock)
            }
        }
        self.planner = CQLQueryPlanner(
            catalog: CQLCatalog(node: configuration.node, userKeyspaces: [keyspace]),
            preparedStatements: CQLPreparedStatementCache(maximumBytes: configuration.preparedStatementCacheBytes),
            limits: configuration.queryLimits)
        self.storage = storage
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.onListening = onListening
        self.limiter = CQLServerLimiter(
            maximumOperations: configuration.maxConcurrentStorageOperations, maximumBytes: configuration.maxInFlightBytes)
    }

    /// Connections open now.
    public var openConnections: Int { connections.current }

    public func run() async throws {
        let maxConnections = max(1, configuration.maxConnections)
        let guardConfiguration = configuration.guardConfiguration
        let logger = self.logger
        let server = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        CQLConnectionGuardHandler(configuration: guardConfiguration, logger: logger))
                    // Raw bytes: the connection's loop splits frames itself, and only reads on
                    // while it has room, so at most a frame and a few reads are buffered.
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2)))
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.port
        logger.info(
            "CQL endpoint listening",
            metadata: ["host": "\(configuration.host)", "port": "\(port)", "authentication": "\(configuration.credentials == nil ? "none" : "password")"])
        await onListening(port)
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    try await server.executeThenClose { accepted in
                        for try await connection in accepted {
                            guard connections.open(maximum: maxConnections) else {
                                logger.warning(
                                    "CQL connection refused: \(maxConnections) connections are open (cql.max_connections)",
                                    metadata: ["peer": "\(connection.channel.remoteAddress?.description ?? "?")"])
                                try? await connection.executeThenClose { _, _ in }
                                continue
                            }
                            group.addTask {
                                await self.serve(connection, port: port)
                                connections.closed()
                            }
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Cancellation is how a service is told to stop.
        }
        logger.info("CQL endpoint stopped", metadata: ["port": "\(port)"])
    }

    /// A request's answer, encoded, or the storage operation that answers it and what it
    /// reserves.
    enum Step {
        case answer(ByteBuffer)
        case storage(CQLStorageOperation, streamID: Int16, reservation: Int)
    }

    /// Decodes and plans a QUERY, PREPARE, EXECUTE or BATCH frame of a ready connection.
    func plan(_ frame: CQLFrame, machine: inout CQLServerConnectionStateMachine, addresses: CQLSystemSchema.Addresses, logger: Logger) -> Step {
        let request: CQLRequestFrame
        do {
            request = try CQLRequestFrame(decoding: frame)
        } catch {
            let serverError = (error as? CQLProtocolError)?.serverError ?? CQLServerError(code: .protocolError, message: "\(error)")
            return .answer(Self.encode(CQLResponseFrame(streamID: frame.header.streamID, response: .error(serverError))))
        }
        let session = CQLSessionState(keyspace: machine.keyspace, addresses: addresses)
        switch planner.plan(request.request, session: session) {
        case .result(let result):
            if case .setKeyspace(let keyspace) = result { machine.keyspace = keyspace }
            return .answer(Self.encode(CQLResponseFrame(streamID: request.streamID, response: .result(result))))
        case .error(let error):
            logger.debug("CQL request failed", metadata: ["code": "\(error.code)", "error": "\(error.message.prefix(200))"])
            return .answer(Self.encode(CQLResponseFrame(streamID: request.streamID, response: .error(error))))
        case .storage(let operation):
            let cost = min(reservation(for: operation, requestBytes: frame.body.readableBytes), limiter.maximumBytes)
            return .storage(operation, streamID: request.streamID, reservation: cost)
        }
    }

    /// What a storage operation may hold while it runs and until its answer is written: the
    /// request, and the largest answer it can get.
    func reservation(for operation: CQLStorageOperation, requestBytes: Int) -> Int {
        let row = configuration.maximumRowBytes
        let request = requestBytes + 1024
        switch operation.kind {
        case .count:
            return request
        case .get:
            return request + 2 * row
        case .scan(let page):
            // The page's values (about three times their encoded size), its encoding, and one
            // chunk of rows read from storage; a token range also holds the keys it keeps (at
            // most a page's bytes) and a larger chunk.
            let chunk = page.tokenRange == nil ? CQLPage.chunkRows * row : CQLPage.tokenScanChunkRows * row + configuration.queryLimits.maximumPageBytes
            return request + 3 * configuration.queryLimits.maximumPageBytes + chunk
        case .upsert(let writes):
            // The decoded writes (a small INSERT's columns take a few hundred bytes), then the
            // rows they merge into.
            return max(2 * request, 512 * writes.count) + min(writes.count, CQLRowLimits.rowsPerUpsert) * row
        case .upsertTables(let tables):
            let writes = tables.reduce(0) { $0 + $1.writes.count }
            return max(2 * request, 512 * writes) + min(writes, CQLRowLimits.rowsPerUpsert) * row
        }
    }

    /// One client connection: frames through the state machine and the planner; storage work
    /// runs concurrently, at most `maxInFlightRequestsPerConnection` at a time, within the
    /// server's `limiter`.
    func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, port: Int) async {
        let peer = connection.channel.remoteAddress?.description ?? "?"
        let local = connection.channel.localAddress?.ipAddress.flatMap(CQLInetAddress.init) ?? CQLInetAddress("127.0.0.1")!
        let addresses = CQLSystemSchema.Addresses(address: local, nativePort: Int32(clamping: port))
        let logger = {
            var logger = self.logger
            logger[metadataKey: "peer"] = "\(peer)"
            return logger
        }()
        logger.debug("CQL connection opened")
        let maxInFlight = max(1, configuration.maxInFlightRequestsPerConnection)
        // One connection may hold at most a quarter of the shared bytes, so one client cannot
        // make all the others wait.
        let connectionShare = max(1, limiter.maximumBytes / 4)
        do {
            try await connection.executeThenClose { inbound, outbound in
                var machine = CQLServerConnectionStateMachine(
                    configuration: .init(credentials: configuration.credentials, cqlVersion: configuration.node.cqlVersion))
                var decoder = CQLFrameDecoder(maximumBodyLength: configuration.maximumFrameBodyLength)
                var chunks = inbound.makeAsyncIterator()
                try await withThrowingTaskGroup(of: Int.self) { group in
                    var running = 0
                    var reserved = 0
                    func reapOne() async throws {
                        if let released = try await group.next() {
                            running -= 1
                            reserved -= released
                        }
                    }
                    loop: while true {
                        while running >= maxInFlight { try await reapOne() }
                        var action: CQLServerConnectionStateMachine.Action
                        var frame = CQLFrame(header: CQLFrameHeader(direction: .request, streamID: 0, opcode: .options, bodyLength: 0), body: ByteBuffer())
                        do {
                            var next = try decoder.next()
                            while next == nil {
                                guard let chunk = try await chunks.next() else { break loop }
                                decoder.feed(chunk)
                                next = try decoder.next()
                            }
                            guard let whole = next else { break loop }
                            frame = whole
                            action = machine.received(frame)
                        } catch {
                            logger.debug("CQL input rejected", metadata: ["error": "\(error)"])
                            action = machine.decodeFailed(error)
                        }
                        switch action {
                        case .none:
                            break
                        case .respond(let response):
                            try await outbound.write(Self.encode(response))
                        case .respondAndClose(let response):
                            try await outbound.write(Self.encode(response))
                            break loop
                        case .process:
                            // Planned with the request decoded; what waits for room is only the frame.
                            action = .none
                            var step = self.plan(frame, machine: &machine, addresses: addresses, logger: logger)
                            var permit: CQLServerLimiter.Permit?
                            if case .storage(_, _, let cost) = step {
                                permit = reserved + cost <= connectionShare ? limiter.tryAcquire(bytes: cost) : nil
                                if permit == nil {
                                    // Wait without the decoded request or its operation: a connection
                                    // that waits holds only its frame. Then decode and plan again.
                                    step = .answer(ByteBuffer())
                                    while running > 0, reserved + cost > connectionShare { try await reapOne() }
                                    permit = try await limiter.acquire(bytes: cost)
                                    step = self.plan(frame, machine: &machine, addresses: addresses, logger: logger)
                                }
                            }
                            switch step {
                            case .answer(let bytes):
                                if let permit { limiter.release(permit) }
                                if bytes.readableBytes > 0 { try await outbound.write(bytes) }
                            case .storage(let operation, let streamID, _):
                                guard let permit, let storage = storage[operation.table.qualifiedName] else {
                                    if let permit { limiter.release(permit) }
                                    let error = CQLServerError(code: .serverError, message: "no storage for \(operation.table.qualifiedName)")
                                    try await outbound.write(Self.encode(CQLResponseFrame(streamID: streamID, response: .error(error))))
                                    continue loop
                                }
                                running += 1
                                reserved += permit.bytes
                                let limiter = self.limiter
                                group.addTask {
                                    // The permit is held until the answer is handed to the channel: a
                                    // client that does not read keeps its bytes counted until the
                                    // write timeout closes it.
                                    defer { limiter.release(permit) }
                                    let response: CQLResponse
                                    do throws(CQLServerError) {
                                        response = .result(try await operation.run(on: storage))
                                    } catch {
                                        logger.debug("CQL request failed", metadata: ["code": "\(error.code)", "error": "\(error.message.prefix(200))"])
                                        response = .error(error)
                                    }
                                    try await outbound.write(Self.encode(CQLResponseFrame(streamID: streamID, response: response)))
                                    return permit.bytes
                                }
                            }
                        }
                    }
                    machine.closed()
                    try await group.waitForAll()
                }
            }
        } catch {
            logger.debug("CQL connection ended with an error", metadata: ["error": "\(error)"])
        }
        logger.debug("CQL connection closed")
    }

    /// The frame's bytes; a response too large to encode becomes a SERVER_ERROR on its stream.
    static func encode(_ response: CQLResponseFrame) -> ByteBuffer {
        do {
            return try response.encoded()
        } catch {
            let fallback = CQLResponseFrame(
                streamID: response.streamID,
                response: .error(CQLServerError(code: .serverError, message: "the response could not be encoded: \(error)")))
            return (try? fallback.encoded()) ?? ByteBuffer()
        }
    }
}
