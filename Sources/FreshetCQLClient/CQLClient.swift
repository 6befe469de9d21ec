import FreshetCQL
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A client for a CQL cluster (Cassandra, or Freshet's CQL endpoint): a pool of
/// `connectionsPerHost` `CQLConnection`s to every node found from the first contact point's
/// `system.local` and `system.peers` (nodes of other data centers are tried last).
///
/// - Token-aware: an EXECUTE whose partition key is bound goes to a replica of that key
///   (the token ring from `system.local`/`system.peers`, the keyspace's replication from
///   `system_schema.keyspaces`), local data center first; other requests go round robin.
/// - Prepared statements are cached by query text; a node that forgot one (UNPREPARED) gets it
///   prepared again on the same connection and the request re-sent.
/// - Failed requests are retried with backoff, on the next node of the plan, only when the
///   request is idempotent (or never left the client) and the failure is transient
///   (`CQLClientError.isTransient`: timeouts, UNAVAILABLE, OVERLOADED, lost connections…).
/// - A node whose connections close is reconnected in the background with capped exponential
///   backoff.
/// - After a statement changes the schema, requests wait until every node reports the same
///   `schema_version`.
///
///     try await CQLClient.withClient(.init(contactPoints: [.init(host: "127.0.0.1")])) { client in
///         let insert = try await client.prepare("INSERT INTO ks.t (id, v) VALUES (?, ?)")
///         try await client.execute(insert, [.text("a"), .int(1)], idempotent: true)
///     }
public final class CQLClient: Sendable {
    public let configuration: CQLClientConfiguration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let clock: any Clock<Duration>
    private let state: Mutex<State>

    struct HostPool {
        var contact: CQLContactPoint
        var dataCenter: String?
        var connections: [CQLConnection] = []
        var reconnecting = false
        var lastError: CQLClientError?
    }

    struct State {
        var hosts: [String: HostPool] = [:]
        /// Addresses in the order requests without a routing key rotate through.
        var order: [String] = []
        var ring = CQLTokenRing(nodes: [])
        var localDataCenter: String?
        /// Keyspace → replication; `nil` values for strategies the ring cannot follow.
        var replication: [String: CQLReplication?]?
        var prepared: [String: CQLPreparedStatement] = [:]
        var preparedOrder: [String] = []
        var roundRobin = 0
        var started = false
        var closed = false
        var tasks: [Int: Task<Void, Never>] = [:]
        var nextTask = 0
    }

    init(configuration: CQLClientConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger, clock: any Clock<Duration>) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.clock = clock
        self.state = Mutex(State(localDataCenter: configuration.localDataCenter))
    }

    /// Connects to the first contact point that answers, reads the topology and opens
    /// `connectionsPerHost` connections to each node.
    ///
    /// Fails when no contact point can be reached (the last error), or at once on an
    /// authentication or protocol-version failure.
    public static func connect(
        _ configuration: CQLClientConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "freshet.cql.client"), clock: any Clock<Duration> = ContinuousClock()
    ) async throws -> CQLClient {
        let client = CQLClient(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger, clock: clock)
        do {
            try await client.start()
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    /// Connects, runs `body`, and closes the client on every path.
    public static func withClient<R: Sendable>(
        _ configuration: CQLClientConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "freshet.cql.client"), _ body: (CQLClient) async throws -> R
    ) async throws -> R {
        let client = try await connect(configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    // MARK: Connections

    func open(_ contact: CQLContactPoint) async throws -> CQLConnection {
        let address = contact.description
        return try await CQLConnection.connect(
            host: contact.host, port: contact.port, configuration: configuration.connection, eventLoopGroup: eventLoopGroup,
            onClose: { [weak self] reason in self?.connectionClosed(address, reason: reason) })
    }

    func start() async throws {
        guard !configuration.contactPoints.isEmpty else {
            throw CQLClientError(code: .invalidConfiguration, message: "no contact points")
        }
        var lastError: (any Error)?
        var control: (CQLConnection, CQLContactPoint)?
        for contact in configuration.contactPoints {
            do {
                control = (try await open(contact), contact)
                break
            } catch let error as CQLClientError
                where [.authenticationFailed, .authenticationRequired, .unsupportedProtocolVersion, .invalidConfiguration].contains(error.code)
            {
                throw error
            } catch {
                logger.warning("cannot connect to a contact point", metadata: ["host": "\(contact)", "error": "\(error)"])
                lastError = error
            }
        }
        guard let (connection, contact) = control else {
            throw lastError ?? CQLClientError(code: .noHostAvailable, message: "no contact point answered")
        }
        let topology = try await Self.readTopology(on: connection, contact: contact)
        let toOpen: [CQLContactPoint] = state.withLock { state in
            state.localDataCenter = state.localDataCenter ?? topology.local.dataCenter
            state.ring = CQLTokenRing(nodes: topology.nodes.map(\.node))
            for node in topology.nodes {
                let pool = HostPool(contact: node.contact, dataCenter: node.node.dataCenter)
                state.hosts[node.node.address] = pool
            }
            state.hosts[contact.description]?.connections.append(connection)
            let local = state.localDataCenter
            // Local data center first; remote nodes are pooled too (used when no local node answers).
            state.order = topology.nodes.map(\.node).sorted { a, b in
                (a.dataCenter == local ? 0 : 1, a.address) < (b.dataCenter == local ? 0 : 1, b.address)
            }.map(\.address)
            state.started = true
            return state.order.compactMap { state.hosts[$0]?.contact }
        }
        logger.debug("CQL topology", metadata: ["nodes": "\(toOpen.map(\.description))", "local_dc": "\(localDataCenter ?? "?")"])
        // The remaining connections, concurrently; nodes that do not answer reconnect in the background.
        await withTaskGroup(of: Void.self) { group in
            for contact in toOpen {
                let have = contact.description == control?.1.description ? 1 : 0
                for _ in have..<configuration.connectionsPerHost {
                    group.addTask {
                        do {
                            let connection = try await self.open(contact)
                            if !self.adopt(connection, for: contact.description) { await connection.close() }
                        } catch {
                            self.logger.warning("cannot connect to a node", metadata: ["host": "\(contact)", "error": "\(error)"])
                            self.state.withLock { $0.hosts[contact.description]?.lastError = error as? CQLClientError }
                            self.replenish(contact.description)
                        }
                    }
                }
            }
        }
    }

    /// Adds an opened connection to its pool; `false` if the client closed meanwhile.
    private func adopt(_ connection: CQLConnection, for address: String) -> Bool {
        state.withLock { state in
            guard !state.closed, state.hosts[address] != nil else { return false }
            state.hosts[address]?.connections.append(connection)
            state.hosts[address]?.lastError = nil
            return true
        }
    }

    private func connectionClosed(_ address: String, reason: CQLClientError) {
        let known = state.withLock { state -> Bool in
            guard state.started, !state.closed, var pool = state.hosts[address] else { return false }
            pool.connections.removeAll { !$0.isActive }
            pool.lastError = reason
            state.hosts[address] = pool
            return true
        }
        guard known else { return }
        logger.info("CQL connection closed; reconnecting", metadata: ["host": "\(address)", "reason": "\(reason.message)"])
        replenish(address)
    }

    /// Opens connections to `address` until it has `connectionsPerHost`, with capped exponential
    /// backoff between failed attempts. One such task per node at a time.
    private func replenish(_ address: String) {
        let reconnect = configuration.reconnect
        let wanted = configuration.connectionsPerHost
        state.withLock { state in
            guard !state.closed, var pool = state.hosts[address], !pool.reconnecting else { return }
            pool.reconnecting = true
            state.hosts[address] = pool
            let key = state.nextTask
            state.nextTask += 1
            let contact = pool.contact
            state.tasks[key] = Task {
                var delay = reconnect.initialBackoff
                defer {
                    self.state.withLock { state in
                        state.hosts[address]?.reconnecting = false
                        state.tasks[key] = nil
                    }
                }
                while !Task.isCancelled {
                    let missing = self.state.withLock { state -> Int in
                        guard !state.closed, var pool = state.hosts[address] else { return 0 }
                        pool.connections.removeAll { !$0.isActive }
                        state.hosts[address] = pool
                        return wanted - pool.connections.count
                    }
                    if missing <= 0 { return }
                    do {
                        try await self.clock.sleep(for: delay)
                    } catch {
                        return
                    }
                    do {
                        let connection = try await self.open(contact)
                        if !self.adopt(connection, for: address) {
                            await connection.close()
                            return
                        }
                        self.logger.info("CQL connection reopened", metadata: ["host": "\(address)"])
                        delay = reconnect.initialBackoff
                    } catch {
                        self.state.withLock { $0.hosts[address]?.lastError = error as? CQLClientError }
                        self.logger.debug("CQL reconnect failed", metadata: ["host": "\(address)", "error": "\(error)", "retry_in": "\(delay)"])
                        delay = min(delay * 2, reconnect.maximumBackoff)
                    }
                }
            }
        }
    }

    /// Closes every connection and stops reconnecting. Pending requests fail with `.connectionClosed`.
    public func close() async {
        let (connections, tasks) = state.withLock { state -> ([CQLConnection], [Task<Void, Never>]) in
            state.closed = true
            let connections = state.hosts.values.flatMap(\.connections)
            for key in state.hosts.keys { state.hosts[key]?.connections = [] }
            return (connections, Array(state.tasks.values))
        }
        for task in tasks { task.cancel() }
        for connection in connections { await connection.close() }
        for task in tasks { await task.value }
    }

    // MARK: Topology

    struct DiscoveredNode {
        var node: CQLTokenRing.Node
        var contact: CQLContactPoint
        var schemaVersion: CQLUUID?
    }

    struct Topology {
        var local: CQLTokenRing.Node
        var nodes: [DiscoveredNode]
    }

    static func readTopology(on connection: CQLConnection, contact: CQLContactPoint) async throws -> Topology {
        let local = try CQLRowPage(
            await connection.rows(
                "SELECT data_center, rack, tokens, schema_version FROM system.local WHERE key = 'local'")
        ).namedRows
        guard let row = local.first else {
            throw CQLClientError(code: .protocolError, message: "system.local has no row", host: contact.description)
        }
        let localNode = CQLTokenRing.Node(
            address: contact.description, dataCenter: row["data_center"]?.textValue ?? "", rack: row["rack"]?.textValue ?? "",
            tokens: CQLTokenRing.tokens(row["tokens"]?.textElements ?? []))
        var nodes = [DiscoveredNode(node: localNode, contact: contact, schemaVersion: row["schema_version"]?.uuidValue)]
        let peers = try CQLRowPage(
            await connection.rows(
                "SELECT peer, rpc_address, data_center, rack, tokens, schema_version FROM system.peers")
        ).namedRows
        for peer in peers {
            // rpc_address 0.0.0.0 means "all interfaces": the peer's own address is the one to use.
            var address = peer["rpc_address"]?.inetValue
            if address == nil || address?.bytes.allSatisfy({ $0 == 0 }) == true { address = peer["peer"]?.inetValue }
            guard let address else { continue }
            let peerContact = CQLContactPoint(host: address.description, port: contact.port)
            let node = CQLTokenRing.Node(
                address: peerContact.description, dataCenter: peer["data_center"]?.textValue ?? "", rack: peer["rack"]?.textValue ?? "",
                tokens: CQLTokenRing.tokens(peer["tokens"]?.textElements ?? []))
            nodes.append(DiscoveredNode(node: node, contact: peerContact, schemaVersion: peer["schema_version"]?.uuidValue))
        }
        return Topology(local: localNode, nodes: nodes)
    }

    /// The ring as last read.
    public var ring: CQLTokenRing { state.withLock { $0.ring } }
    /// The preferred data center.
    public var localDataCenter: String? { state.withLock { $0.localDataCenter } }
    /// Open connections per node (`host:port`).
    public var openConnections: [String: Int] {
        state.withLock { state in state.hosts.mapValues { $0.connections.filter(\.isActive).count } }
    }

    /// Keyspace replication from `system_schema.keyspaces`, read once and after schema changes.
    func replication(of keyspace: String) async -> CQLReplication? {
        if let known = state.withLock({ $0.replication }) { return known[keyspace] ?? nil }
        do {
            let response = try await run(
                .init(.query("SELECT keyspace_name, replication FROM system_schema.keyspaces", parameters: .init(consistency: .one))),
                routingKey: nil, keyspace: nil, idempotent: true)
            guard case .result(.rows(let rows)) = response.frame.response else { return nil }
            var map: [String: CQLReplication?] = [:]
            for row in try CQLRowPage(rows).namedRows {
                guard let name = row["keyspace_name"]?.textValue, case .map(let entries)? = row["replication"] else { continue }
                var replication: [String: String] = [:]
                for entry in entries {
                    if let key = entry.key.textValue, let value = entry.value.textValue { replication[key] = value }
                }
                map[name] = CQLReplication(replication)
            }
            state.withLock { $0.replication = map }
            return map[keyspace] ?? nil
        } catch {
            logger.debug("cannot read keyspace replication; routing without tokens", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Every node's `schema_version`, as the node behind one connection sees them.
    public func schemaVersions() async throws -> [String: CQLUUID] {
        let connection = try pick(plan(routingKey: nil, replication: nil), attempt: 0)
        let contact =
            state.withLock { state in state.hosts.first { $0.value.connections.contains { $0 === connection } }?.value.contact }
            ?? CQLContactPoint(host: connection.host)
        let topology = try await Self.readTopology(on: connection, contact: contact)
        var versions: [String: CQLUUID] = [:]
        for node in topology.nodes { if let version = node.schemaVersion { versions[node.node.address] = version } }
        return versions
    }

    /// Waits until every node reports the same schema version, polling every 200 ms for at most
    /// `schemaAgreementTimeout`. Throws `.schemaDisagreement` naming the versions seen.
    public func awaitSchemaAgreement() async throws {
        let interval = Duration.milliseconds(200)
        var waited = Duration.zero
        while true {
            let versions = try await schemaVersions()
            if Set(versions.values).count <= 1 { return }
            if waited >= configuration.schemaAgreementTimeout {
                throw CQLClientError(
                    code: .schemaDisagreement,
                    message:
                        "nodes disagree on the schema after \(configuration.schemaAgreementTimeout): \(versions.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", "))"
                )
            }
            try await clock.sleep(for: interval)
            waited += interval
        }
    }

    // MARK: Routing

    /// Node addresses to try, best first: the replicas of the routing key (local data center
    /// first), then the other nodes, rotated for each request.
    func plan(routingKey: ByteBuffer?, replication: CQLReplication?) -> [String] {
        state.withLock { state in
            var plan: [String] = []
            if configuration.tokenAware, let routingKey, let replication {
                plan = state.ring.replicas(ofKey: routingKey, replication: replication, localDataCenter: state.localDataCenter)
                    .map(\.address).filter { state.hosts[$0] != nil }
            }
            guard !state.order.isEmpty else { return plan }
            state.roundRobin &+= 1
            let start = Int(UInt(bitPattern: state.roundRobin) % UInt(state.order.count))
            let local = state.localDataCenter
            let rotated = Array(state.order[start...] + state.order[..<start])
            let ordered = rotated.filter { state.hosts[$0]?.dataCenter == local } + rotated.filter { state.hosts[$0]?.dataCenter != local }
            for address in ordered where !plan.contains(address) { plan.append(address) }
            return plan
        }
    }

    /// The least busy open connection of the first node in `plan` (from `attempt` on, wrapping)
    /// that has one.
    func pick(_ plan: [String], attempt: Int) throws -> CQLConnection {
        try state.withLock { state in
            guard !state.closed else { throw CQLClientError(code: .connectionClosed, message: "the client is closed") }
            var errors: [String] = []
            for step in 0..<plan.count {
                let address = plan[(attempt + step) % plan.count]
                guard let pool = state.hosts[address] else { continue }
                if let best = pool.connections.filter(\.isActive).min(by: { $0.outstandingRequests < $1.outstandingRequests }) {
                    return best
                }
                errors.append("\(address): \(pool.lastError?.message ?? "no open connection")")
            }
            throw CQLClientError(code: .noHostAvailable, message: "no node can take the request (\(errors.joined(separator: "; ")))")
        }
    }

    /// Sends `request` along the plan, retrying as `configuration.retry` and `idempotent` allow.
    func run(
        _ request: CQLClientConnectionStateMachine.Request, routingKey: ByteBuffer?, keyspace: String?, idempotent: Bool
    ) async throws -> CQLConnection.Response {
        let replication: CQLReplication? = if routingKey != nil, let keyspace, configuration.tokenAware { await self.replication(of: keyspace) } else { nil }
        let plan = self.plan(routingKey: routingKey, replication: replication)
        var attempt = 0
        var delay = configuration.retry.initialBackoff
        while true {
            do {
                let connection = try pick(plan, attempt: attempt)
                return try await connection.send(request)
            } catch let error as CQLClientError {
                guard attempt < configuration.retry.maximumRetries, error.isTransient, idempotent || error.wasNeverSent else { throw error }
                attempt += 1
                logger.debug("CQL request failed; retrying", metadata: ["error": "\(error)", "attempt": "\(attempt)", "retry_in": "\(delay)"])
                try await clock.sleep(for: delay)
                delay = min(delay * 2, configuration.retry.maximumBackoff)
            }
        }
    }

    // MARK: Requests

    /// Runs a CQL string. Values bind to `?` markers in order. A schema change waits for agreement.
    ///
    /// - Parameter idempotent: the statement may be applied twice safely (upserts of fixed
    ///   values, reads); only then is it retried after it may have reached a node.
    @discardableResult
    public func query(
        _ cql: String, _ values: [CQLValue?] = [], consistency: CQLConsistency? = nil, pageSize: Int32? = nil,
        pagingState: ByteBuffer? = nil, idempotent: Bool = false
    ) async throws -> CQLResult {
        let parameters = CQLQueryParameters(
            consistency: consistency ?? configuration.consistency, values: values.isEmpty ? nil : .positional(values.map(CQLBindValue.init)),
            pageSize: pageSize, pagingState: pagingState)
        let response = try await run(.init(.query(cql, parameters: parameters)), routingKey: nil, keyspace: nil, idempotent: idempotent)
        return try await finish(response, request: cql)
    }

    /// Prepares `cql` (or returns the cached statement).
    public func prepare(_ cql: String) async throws -> CQLPreparedStatement {
        if let cached = state.withLock({ $0.prepared[cql] }) { return cached }
        let response = try await run(.init(.prepare(cql)), routingKey: nil, keyspace: nil, idempotent: true)
        guard case .result(.prepared(let prepared)) = response.frame.response else {
            throw CQLClientError(code: .protocolError, message: "PREPARE answered with \(response.frame.response.opcode)")
        }
        let statement = CQLPreparedStatement(query: cql, prepared: prepared)
        remember(statement)
        return statement
    }

    private func remember(_ statement: CQLPreparedStatement) {
        state.withLock { state in
            if state.prepared.updateValue(statement, forKey: statement.query) == nil {
                state.preparedOrder.append(statement.query)
                if state.preparedOrder.count > configuration.preparedStatementCacheCapacity {
                    state.prepared[state.preparedOrder.removeFirst()] = nil
                }
            }
        }
    }

    /// Statements cached by query text.
    public var preparedStatementCount: Int { state.withLock { $0.prepared.count } }

    /// Executes a prepared statement, routed to a replica of its partition key.
    @discardableResult
    public func execute(
        _ statement: CQLPreparedStatement, _ values: [CQLValue?] = [], consistency: CQLConsistency? = nil, pageSize: Int32? = nil,
        pagingState: ByteBuffer? = nil, idempotent: Bool = false
    ) async throws -> CQLResult {
        let bound = values.map(CQLBindValue.init)
        try statement.check(bound)
        let current = state.withLock { $0.prepared[statement.query] } ?? statement
        let parameters = CQLQueryParameters(
            consistency: consistency ?? configuration.consistency, values: bound.isEmpty ? nil : .positional(bound),
            pageSize: pageSize, pagingState: pagingState)
        let response = try await run(
            .init(.execute(id: current.id, parameters: parameters), preparedQueries: [current.id: current.query]),
            routingKey: current.routingKey(bound), keyspace: current.keyspace, idempotent: idempotent)
        if let latest = response.reprepared.last, latest.id != current.id {
            remember(CQLPreparedStatement(query: current.query, prepared: latest))
        }
        return try await finish(response, request: current.query)
    }

    /// Sends prepared statements as one BATCH (LOGGED by default: all or none are eventually
    /// applied), routed by the first statement's partition key.
    public func batch(
        _ items: [CQLBatchItem], type: CQLBatchType = .logged, consistency: CQLConsistency? = nil, idempotent: Bool = false
    ) async throws {
        guard let first = items.first else { return }
        var statements: [CQLBatchStatement] = []
        var queries: [ByteBuffer: String] = [:]
        for item in items {
            let bound = item.values.map(CQLBindValue.init)
            try item.statement.check(bound)
            let current = state.withLock { $0.prepared[item.statement.query] } ?? item.statement
            statements.append(CQLBatchStatement(.prepared(id: current.id), values: bound))
            queries[current.id] = current.query
        }
        let batch = CQLBatch(type: type, statements: statements, consistency: consistency ?? configuration.consistency)
        let response = try await run(
            .init(.batch(batch), preparedQueries: queries), routingKey: first.statement.routingKey(first.values.map(CQLBindValue.init)),
            keyspace: first.statement.keyspace, idempotent: idempotent)
        _ = try await finish(response, request: "BATCH")
    }

    /// The RESULT of a response; waits for schema agreement after a schema change.
    private func finish(_ response: CQLConnection.Response, request: String) async throws -> CQLResult {
        guard case .result(let result) = response.frame.response else {
            throw CQLClientError(code: .protocolError, message: "\(request) answered with \(response.frame.response.opcode)")
        }
        if case .schemaChange = result {
            state.withLock { $0.replication = nil }
            try await awaitSchemaAgreement()
        }
        return result
    }

    /// One page of a prepared SELECT, decoded.
    public func page(
        _ statement: CQLPreparedStatement, _ values: [CQLValue?] = [], pageSize: Int32? = nil, pagingState: ByteBuffer? = nil,
        consistency: CQLConsistency? = nil
    ) async throws -> CQLRowPage {
        let result = try await execute(
            statement, values, consistency: consistency, pageSize: pageSize ?? configuration.pageSize, pagingState: pagingState, idempotent: true)
        guard case .rows(let rows) = result else {
            throw CQLClientError(code: .protocolError, message: "\(statement.query) returned no rows")
        }
        return try CQLRowPage(rows, columns: statement.resultMetadata.columns)
    }

    /// One page of a SELECT string, decoded.
    public func page(
        _ cql: String, _ values: [CQLValue?] = [], pageSize: Int32? = nil, pagingState: ByteBuffer? = nil, consistency: CQLConsistency? = nil
    ) async throws -> CQLRowPage {
        let result = try await query(
            cql, values, consistency: consistency, pageSize: pageSize ?? configuration.pageSize, pagingState: pagingState, idempotent: true)
        guard case .rows(let rows) = result else {
            throw CQLClientError(code: .protocolError, message: "\(cql) returned no rows")
        }
        return try CQLRowPage(rows)
    }

    /// Every page of a prepared SELECT, fetched as the sequence is iterated.
    public func pages(_ statement: CQLPreparedStatement, _ values: [CQLValue?] = [], pageSize: Int32? = nil, consistency: CQLConsistency? = nil) -> CQLPages {
        CQLPages { state in try await self.page(statement, values, pageSize: pageSize, pagingState: state, consistency: consistency) }
    }

    /// Every page of a SELECT string.
    public func pages(_ cql: String, _ values: [CQLValue?] = [], pageSize: Int32? = nil, consistency: CQLConsistency? = nil) -> CQLPages {
        CQLPages { state in try await self.page(cql, values, pageSize: pageSize, pagingState: state, consistency: consistency) }
    }
}

extension CQLValue {
    var textValue: String? {
        switch self {
        case .text(let s), .ascii(let s): s
        default: nil
        }
    }

    var textElements: [String] {
        switch self {
        case .set(let values), .list(let values): values.compactMap(\.textValue)
        default: []
        }
    }

    var uuidValue: CQLUUID? {
        switch self {
        case .uuid(let u), .timeuuid(let u): u
        default: nil
        }
    }

    var inetValue: CQLInetAddress? {
        if case .inet(let address) = self { return address }
        return nil
    }
}
