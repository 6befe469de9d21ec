import Foundation
import FreshetContracts
import FreshetCore
import FreshetHTTP
import FreshetLog
import FreshetStore
import FreshetStream
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// Freshet's web UI and API (Grafana's and Control Center's roles), served by `freshet up`
/// and `freshet serve`:
///
/// - pages: `/` (dashboard), `/pipeline`, `/topics`, `/runs` (DAG runs), with `/assets/app.css`, `/assets/app.js`;
/// - live updates: `/events` (Server-Sent Events, a `stats` event every second);
/// - JSON: `/api/stats`, `/api/users?limit=&cursor=`, `/api/users/{id}`, `/api/topics`,
///   `/api/topics/{name}/messages?limit=`, `/api/groups`, `/api/dlq?limit=`;
/// - DAGs (with `scheduling`): `GET /api/dags`, `GET /api/dags/{dag}/runs?limit=`, and the
///   writes `POST /api/dags/{dag}/runs` (queue a manual run), `/pause`, `/unpause`, which need
///   configured credentials and a same-origin request;
/// - operations: `/metrics` (Prometheus text format), `/healthz`, `/readyz`.
public struct WebServer: Sendable {
    public let configuration: WebConfiguration
    let stats: StatsProvider
    let queries: any UserQueries
    let broker: BrokerAccess
    let registry: PrometheusCollectorRegistry?
    /// DAGs and run history for `/runs` and `/api/dags…`; nil: those answer "no scheduler here".
    let scheduling: WebScheduling?
    /// Shows Confluent-framed Avro values as JSON in `/api/topics/{name}/messages`; nil shows
    /// every value raw.
    let recordView: AvroRecordView?

    public init(
        configuration: WebConfiguration, queries: any UserQueries, broker: BrokerAccess, metrics: PipelineMetrics?,
        registry: PrometheusCollectorRegistry?, scheduling: WebScheduling? = nil, recordView: AvroRecordView? = nil
    ) {
        self.configuration = configuration
        self.recordView = recordView
        self.scheduling = scheduling
        self.queries = queries
        self.broker = broker
        self.registry = registry
        stats = StatsProvider(queries: queries, broker: broker, metrics: metrics)
    }

    /// The routes, for an application or a test.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: BodyLimitMiddleware(maxBytes: configuration.maxBodyBytes))
        router.add(middleware: AuthenticationMiddleware(configuration: configuration))

        for (path, page) in [("/", Assets.dashboardHTML), ("/pipeline", Assets.pipelineHTML), ("/topics", Assets.topicsHTML), ("/runs", Assets.runsHTML)] {
            router.get(RouterPath(path)) { _, _ in Self.text(page, type: "text/html; charset=utf-8") }
        }
        router.get("/assets/app.css") { _, _ in Self.text(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/assets/app.js") { _, _ in Self.text(Assets.js, type: "text/javascript; charset=utf-8") }

        router.get("/healthz") { _, _ in Self.json(["status": "ok"]) }
        router.get("/readyz") { _, _ in try await self.readiness() }
        router.get("/metrics") { _, _ in
            let body = self.registry?.emitToString() ?? ""
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }

        router.get("/api/stats") { _, _ in
            Response(status: .ok, headers: Self.jsonHeaders, body: .init(byteBuffer: ByteBuffer(bytes: try await self.stats.statsJSON())))
        }
        router.get("/events") { _, _ in self.events() }
        router.get("/api/users") { request, _ in try await self.users(request) }
        router.get("/api/users/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let row = try await self.queries.user(id: id) else {
                return Self.error("no user with id '\(id)'", parameter: "id", status: .notFound)
            }
            return Self.json(WebJSON.User(row))
        }
        router.get("/api/topics") { _, _ in try await self.topics() }
        router.get("/api/topics/:name/messages") { request, context in
            try await self.messages(topic: context.parameters.get("name") ?? "", request: request)
        }
        router.get("/api/groups") { _, _ in try await self.groups() }
        router.get("/api/dlq") { request, _ in try await self.messages(topic: "users_created.dlq", request: request) }
        addSchedulingRoutes(to: router)
        return router
    }

    /// The server as a service; `onListening` receives the bound port.
    ///
    /// What one client may hold is bounded (`WebConfiguration`): at most `maxConnections`
    /// connections are accepted at once, a request must arrive whole within `requestTimeout`,
    /// an idle keep-alive connection is closed after `idleTimeout`, and headers are limited by
    /// the HTTP/1 decoder (80 KiB).
    public func makeApplication(
        logger: Logger = Logger(label: "freshet.web"), onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let requestTimeout = configuration.requestTimeout.timeAmount
        let idleTimeout = configuration.idleTimeout.timeAmount
        return Application(
            router: makeRouter(),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [RequestTimeoutHandler(timeout: requestTimeout)],
                    idleTimeout: idleTimeout)),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "freshet",
                availableConnectionsDelegate: .maximum(configuration.maxConnections, logger: logger)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    // MARK: Handlers

    /// A `stats` event every second until the client leaves or the server shuts down.
    func events() -> Response {
        let stats = self.stats
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                // Reconnect quickly after a restart.
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                // Ends within a second of a graceful shutdown, so the server can stop.
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    var event = Array("event: stats\ndata: ".utf8)
                    event += try await stats.statsJSON()
                    event += Array("\n\n".utf8)
                    try await writer.write(ByteBuffer(bytes: event))
                    try? await Task.sleep(for: .seconds(1))
                }
                try await writer.finish(nil)
            })
    }

    func users(_ request: Request) async throws -> Response {
        let page: WebQuery.UsersPage
        switch WebQuery.users(Self.parameters(request)) {
        case .success(let p): page = p
        case .failure(let f): return Self.error(f)
        }
        let limit = page.limit
        let rows = try await queries.users(limit: limit, after: page.cursor)
        return Self.json(WebJSON.UsersPage(users: rows.map(WebJSON.User.init), nextCursor: rows.count == limit ? rows.last?.id : nil))
    }

    func topics() async throws -> Response {
        let topics = try await broker.with { broker -> [WebJSON.Topic] in
            var result: [WebJSON.Topic] = []
            for name in try await broker.listTopics() {
                let d = try await broker.describeTopic(name)
                result.append(
                    WebJSON.Topic(
                        name: name,
                        partitions: d.partitions.map {
                            .init(partition: Int($0.partition), earliest: Int($0.earliestOffset), latest: Int($0.latestOffset), bytes: Int($0.sizeBytes))
                        }))
            }
            return result
        }
        return Self.json(topics)
    }

    func groups() async throws -> Response {
        let groups = try await broker.with { broker -> [WebJSON.Group] in
            var result: [WebJSON.Group] = []
            for name in try await broker.listGroups() {
                let d = try await broker.describeGroup(name)
                result.append(
                    WebJSON.Group(
                        group: name, state: d.state,
                        members: d.members.map { .init(memberID: $0.memberID, assignment: $0.assignment.map(\.description)) },
                        offsets: d.offsets.map {
                            .init(
                                topic: $0.topic, partition: Int($0.partition), committed: $0.committedOffset.map { Int($0) },
                                latest: Int($0.latestOffset), lag: $0.lag.map { Int($0) }, owner: $0.owner)
                        }))
            }
            return result
        }
        return Self.json(groups)
    }

    /// The newest `limit` records of a topic, gathering at most `messagesMaxBytes` (see
    /// `StatsProvider.messages`): a value cut to fit carries `"truncated": true` and its full
    /// size in `value_bytes`. A Confluent-framed Avro value is shown as JSON with its
    /// `schema_id` (`AvroRecordView`); one that cannot be decoded is shown raw with
    /// `value_error`.
    func messages(topic: String, request: Request) async throws -> Response {
        let limit: Int
        switch WebQuery.messages(Self.parameters(request)) {
        case .success(let value): limit = value
        case .failure(let f): return Self.error(f)
        }
        guard case .success = WebQuery.topic(topic) else {
            return Self.error("no topic named '\(topic.prefix(100))'", parameter: "name", status: .notFound)
        }
        let budget = configuration.messagesMaxBytes
        let recordView = self.recordView ?? AvroRecordView(registry: nil)
        let found = try await broker.with { broker -> [WebJSON.Message]? in
            guard try await broker.listTopics().contains(topic) else { return nil }
            var found: [WebJSON.Message] = []
            let messages = try await StatsProvider.messages(broker, topic: topic, limit: limit, maxBytes: budget)
            let views = await recordView.show(messages.map(\.record.value))
            for (message, view) in zip(messages, views) {
                let record = message.record
                var headers: [String: String] = [:]
                for h in record.headers { headers[h.key] = String(decoding: h.value, as: UTF8.self) }
                var shown = WebJSON.Message(
                    partition: Int(record.partition), offset: Int(record.offset), timestamp: Int(record.timestamp),
                    key: record.key.map { String(decoding: $0, as: UTF8.self) }, value: String(decoding: record.value, as: UTF8.self),
                    headers: headers, truncated: message.truncated ? true : nil, valueBytes: message.truncated ? message.valueBytes : nil)
                switch view {
                case .raw: break
                case .avro(let id, let json):
                    shown.value = String(decoding: json, as: UTF8.self)
                    shown.schemaID = Int(id)
                case .undecodable(let id, let reason):
                    shown.schemaID = Int(id)
                    shown.valueError = reason
                }
                found.append(shown)
            }
            return found
        }
        guard let found else { return Self.error("no topic named '\(topic.prefix(100))'", parameter: "name", status: .notFound) }
        return Self.json(found)
    }

    func readiness() async throws -> Response {
        var checks: [String: String] = [:]
        do {
            _ = try await queries.totalUsers()
            checks["store"] = "ok"
        } catch {
            checks["store"] = "\(error)"
        }
        do {
            _ = try await broker.with { try await $0.listTopics() }
            checks["broker"] = "ok"
        } catch {
            checks["broker"] = "\(error)"
        }
        let ready = checks.values.allSatisfy { $0 == "ok" }
        return Self.json(WebJSON.Readiness(status: ready ? "ready" : "not ready", checks: checks), status: ready ? .ok : .serviceUnavailable)
    }

    // MARK: Helpers

    static let jsonHeaders: HTTPFields = [.contentType: "application/json; charset=utf-8"]

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: jsonHeaders, body: .init(byteBuffer: ByteBuffer(bytes: WebJSON.encode(value))))
    }

    /// A JSON error that names the offending parameter.
    static func error(_ message: String, parameter: String, status: HTTPResponse.Status = .badRequest) -> Response {
        json(WebJSON.Failure(error: message, parameter: parameter), status: status)
    }

    static func text(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The request's query string as `WebQuery` parameters.
    static func parameters(_ request: Request) -> WebQuery.Parameters {
        WebQuery.Parameters(query: request.uri.query ?? "")
    }

    static func error(_ failure: WebQuery.Failure) -> Response {
        error(failure.message, parameter: failure.parameter)
    }
}
