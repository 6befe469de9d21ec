import Foundation
import FreshetCore
import FreshetScheduler
import HTTPTypes
import Hummingbird
import NIOCore

/// What the Runs page and the DAG API work on: the DAGs this binary knows and the run history
/// a scheduler (in this process or another one on the same data directory) works on. The web
/// server only reads the history, queues manual runs and sets pause flags; a scheduler starts
/// the queued runs.
public struct WebScheduling: Sendable {
    public var dags: [DAG]
    public var history: any RunHistory

    public init(dags: [DAG], history: any RunHistory) {
        self.dags = dags
        self.history = history
    }
}

extension WebServer {
    /// `GET /api/dags`, `GET|POST /api/dags/{dag}/runs`, `POST /api/dags/{dag}/pause|unpause`.
    func addSchedulingRoutes(to router: Router<BasicRequestContext>) {
        router.get("/api/dags") { _, _ in try await self.listDAGs() }
        router.get("/api/dags/:dag/runs") { request, context in
            try await self.listRuns(dag: context.parameters.get("dag") ?? "", request: request)
        }
        router.post("/api/dags/:dag/runs") { request, context in
            try await self.trigger(dag: context.parameters.get("dag") ?? "", request: request)
        }
        router.post("/api/dags/:dag/pause") { request, context in
            try await self.setPaused(dag: context.parameters.get("dag") ?? "", paused: true, request: request)
        }
        router.post("/api/dags/:dag/unpause") { request, context in
            try await self.setPaused(dag: context.parameters.get("dag") ?? "", paused: false, request: request)
        }
    }

    /// Writes (trigger, pause) need configured credentials: without any, anyone who can reach
    /// the port could start runs.
    var writesAllowed: Bool { configuration.requiresAuthentication }

    static func noScheduler() -> Response {
        error("no scheduler here: this web server was started without DAGs and a run history", parameter: "dag", status: .notFound)
    }

    func lookup(_ scheduling: WebScheduling, _ id: String) -> Result<DAG, WebFailure> {
        if let dag = scheduling.dags.first(where: { $0.id == id }) { return .success(dag) }
        let known = scheduling.dags.map(\.id).joined(separator: ", ")
        return .failure(WebFailure(Self.error("unknown DAG '\(id.prefix(100))' (known: \(known))", parameter: "dag", status: .notFound)))
    }

    // MARK: Reads

    func listDAGs() async throws -> Response {
        guard let scheduling else { return Self.noScheduler() }
        var rows = try await scheduling.history.summaries(of: scheduling.dags)
        for (i, dag) in scheduling.dags.enumerated() {
            rows[i].tasks = dag.tasks.map { DAGSummary.Task(taskID: $0.id, upstream: $0.upstream) }
        }
        return Self.json(WebJSON.DAGs(writable: writesAllowed, dags: rows))
    }

    func listRuns(dag id: String, request: Request) async throws -> Response {
        guard let scheduling else { return Self.noScheduler() }
        let dag: DAG
        switch lookup(scheduling, id) {
        case .success(let d): dag = d
        case .failure(let f): return f.response
        }
        let limit: Int
        switch WebQuery.runs(Self.parameters(request)) {
        case .success(let value): limit = value
        case .failure(let f): return Self.error(f)
        }
        let history = scheduling.history
        var result: [RunJSON] = []
        for run in try await history.runs(dagID: dag.id, limit: limit) {
            var row = run.json
            row.tasks = try await history.tasks(dagID: dag.id, runID: run.runID).map(\.json)
            result.append(row)
        }
        return Self.json(result)
    }

    // MARK: Writes

    /// The checks every write passes before it touches the history: a scheduler, configured
    /// credentials (the middleware already checked them), a same-origin request (CSRF), a
    /// known DAG, and a JSON body if there is one. Returns the DAG and the parsed body.
    func checkWrite(dag id: String, request: Request) async throws -> Result<(DAG, [UInt8]?, WebScheduling), WebFailure> {
        guard let scheduling else { return .failure(WebFailure(Self.noScheduler())) }
        guard writesAllowed else {
            return .failure(
                WebFailure(
                    Self.json(
                        WebJSON.Failure(error: "writes (trigger, pause, unpause) need authentication: set web.token, or web.username and web.password"),
                        status: .forbidden)))
        }
        if let origin = request.headers[.origin], !Self.sameOrigin(origin, authority: request.head.authority) {
            return .failure(
                WebFailure(
                    Self.json(
                        WebJSON.Failure(
                            error:
                                "cross-origin write refused: Origin '\(origin.prefix(200))' does not match the host '\((request.head.authority ?? "").prefix(200))'"
                        ), status: .forbidden)))
        }
        let dag: DAG
        switch lookup(scheduling, id) {
        case .success(let d): dag = d
        case .failure(let f): return .failure(f)
        }
        let body = try await request.body.collect(upTo: configuration.maxBodyBytes)
        guard body.readableBytes > 0 else { return .success((dag, nil, scheduling)) }
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else {
            return .failure(
                WebFailure(
                    Self.json(
                        WebJSON.Failure(
                            error:
                                "a request body must be JSON (Content-Type: application/json); got '\((request.headers[.contentType] ?? "none").prefix(100))'"),
                        status: .unsupportedMediaType)))
        }
        let bytes = Array(body.readableBytesView)
        if case .failure(let f) = RunConf.object(bytes) {
            return .failure(WebFailure(Self.error(f.message, parameter: f.parameter)))
        }
        return .success((dag, bytes, scheduling))
    }

    /// `Origin` is `scheme://host[:port]`; the request's authority is `host[:port]`.
    static func sameOrigin(_ origin: String, authority: String?) -> Bool {
        guard let authority, let url = URL(string: origin), let host = url.host else { return false }
        var originAuthority = host.contains(":") ? "[\(host)]" : host
        if let port = url.port { originAuthority += ":\(port)" }
        let defaultPort = url.scheme == "https" ? ":443" : ":80"
        let normalize = { (a: String) in a.lowercased().hasSuffix(defaultPort) ? String(a.lowercased().dropLast(defaultPort.count)) : a.lowercased() }
        return normalize(originAuthority) == normalize(authority)
    }

    func trigger(dag id: String, request: Request) async throws -> Response {
        let checked: (DAG, [UInt8]?, WebScheduling)
        switch try await checkWrite(dag: id, request: request) {
        case .success(let c): checked = c
        case .failure(let f): return f.response
        }
        let (dag, body, scheduling) = checked
        let conf: [String: String]
        switch RunConf.parse(body ?? []) {
        case .success(let c): conf = c
        case .failure(let f):
            return Self.json(WebJSON.Failure(error: f.message, parameter: f.parameter, key: f.key), status: .badRequest)
        }
        let runID: String
        do {
            // Two triggers in the same millisecond get distinct ids (the history suffixes `-2`).
            runID = try await scheduling.history.queueManualRun(dag: dag, conf: conf)
        } catch let error as SchedulerError {
            return Self.json(WebJSON.Failure(error: error.message, parameter: "conf", key: error.token), status: .badRequest)
        }
        return Self.json(WebJSON.Triggered(dagID: dag.id, runID: runID, state: StoredRunState.queued.rawValue), status: .created)
    }

    func setPaused(dag id: String, paused: Bool, request: Request) async throws -> Response {
        let checked: (DAG, [UInt8]?, WebScheduling)
        switch try await checkWrite(dag: id, request: request) {
        case .success(let c): checked = c
        case .failure(let f): return f.response
        }
        let (dag, _, scheduling) = checked
        try await scheduling.history.setPaused(dag.id, paused)
        return Self.json(WebJSON.Paused(dagID: dag.id, paused: paused))
    }
}

/// An error answer, carried in a `Result`.
struct WebFailure: Error {
    let response: Response
    init(_ response: Response) { self.response = response }
}
