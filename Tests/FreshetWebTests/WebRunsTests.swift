import AsyncHTTPClient
import Foundation
import FreshetCore
import FreshetScheduler
import FreshetTesting
import FreshetWeb
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import Testing

/// A history with two runs of `user_automation`: a scheduled success with its three task
/// instances, then a failed manual run whose error is markup.
func recordedHistory() async throws -> InMemoryRunHistory {
    let history = InMemoryRunHistory()
    let day = Timestamp(year: 2026, month: 3, day: 1)
    let t0 = Timestamp(year: 2026, month: 3, day: 2, hour: 0, minute: 0, second: 1)
    let t1 = Timestamp(year: 2026, month: 3, day: 2, hour: 0, minute: 1, second: 2)
    history.saveRun(
        DAGRunEntry(
            dagID: "user_automation", runID: "scheduled__2026-03-01", kind: .scheduled,
            interval: DataInterval(start: day, end: Timestamp(year: 2026, month: 3, day: 2)), state: .success,
            createdAt: t0, startedAt: t0, endedAt: t1, recordsProduced: 4321))
    for (i, task) in ["test_kafka_connection", "create_kafka_topic", "stream_data_from_api"].enumerated() {
        history.saveTask(
            TaskInstanceEntry(
                dagID: "user_automation", runID: "scheduled__2026-03-01", taskID: task, tryNumber: 1, state: .success,
                startedAt: Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + Int64(i)), endedAt: t1))
    }
    let m0 = Timestamp(year: 2026, month: 3, day: 2, hour: 9)
    history.saveRun(
        DAGRunEntry(
            dagID: "user_automation", runID: "manual__xss", kind: .manual, state: .failed,
            createdAt: m0, startedAt: m0, endedAt: Timestamp(millisecondsSinceEpoch: m0.millisecondsSinceEpoch + 1500), recordsProduced: 17,
            error: #"broker down <script>document.body.dataset.pwned='1'</script><img src=x onerror="document.body.dataset.pwned='2'">"#,
            conf: ["duration": "3s"]))
    history.saveTask(
        TaskInstanceEntry(
            dagID: "user_automation", runID: "manual__xss", taskID: "test_kafka_connection", tryNumber: 3, state: .failed,
            startedAt: m0, endedAt: m0, error: "connection refused"))
    return history
}

func schedulingServer(_ f: Fixture, _ configuration: WebConfiguration = .init(port: 0), history: InMemoryRunHistory?) -> WebServer {
    WebServer(
        configuration: configuration, queries: f.store, broker: .live(f.broker), metrics: nil, registry: nil,
        scheduling: history.map { WebScheduling(dags: [DAG.userAutomation()], history: $0) })
}

let bearer: HTTPFields = [.authorization: "Bearer t0ken", .contentType: "application/json"]

func jsonBody(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

@Suite("Web runs API")
struct WebRunsAPITests {
    @Test func listsDAGsWithScheduleTasksAndLastRun() async throws {
        try await withFixture { f in
            let history = try await recordedHistory()
            let app = Application(router: schedulingServer(f, history: history).makeRouter())
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/dags", method: .get) { response in
                    #expect(response.status == .ok)
                    let body = try #require(try json(response.body) as? [String: Any])
                    #expect(body["writable"] as? Bool == false)
                    let dags = try #require(body["dags"] as? [[String: Any]])
                    #expect(dags.count == 1)
                    let dag = try #require(dags.first)
                    #expect(dag["dag"] as? String == "user_automation")
                    #expect(dag["schedule"] as? String == "@daily")
                    #expect(dag["paused"] as? Bool == false)
                    #expect(Timestamp(iso8601: dag["next_run"] as? String ?? "") != nil)
                    #expect(dag["last_run"] as? String == "manual__xss")
                    #expect(dag["last_state"] as? String == "failed")
                    let tasks = try #require(dag["tasks"] as? [[String: Any]])
                    #expect(tasks.compactMap { $0["task_id"] as? String } == ["test_kafka_connection", "create_kafka_topic", "stream_data_from_api"])
                    #expect(tasks.last?["upstream"] as? [String] == ["create_kafka_topic"])
                }
            }
            let secured = Application(router: schedulingServer(f, .init(port: 0, token: "t0ken"), history: history).makeRouter())
            try await secured.test(.router) { client in
                try await client.execute(uri: "/api/dags", method: .get, headers: bearer) { response in
                    let parsed = try json(response.body)
                    #expect((parsed as? [String: Any])?["writable"] as? Bool == true)
                }
            }
        }
    }

    @Test func runsNewestFirstWithTaskInstances() async throws {
        try await withFixture { f in
            let app = Application(router: schedulingServer(f, history: try await recordedHistory()).makeRouter())
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/dags/user_automation/runs", method: .get) { response in
                    #expect(response.status == .ok)
                    let runs = try #require(try json(response.body) as? [[String: Any]])
                    #expect(runs.compactMap { $0["run_id"] as? String } == ["manual__xss", "scheduled__2026-03-01"])
                    let failed = runs[0]
                    #expect(failed["kind"] as? String == "manual")
                    #expect(failed["state"] as? String == "failed")
                    #expect(failed["duration_ms"] as? Int == 1500)
                    #expect(failed["records"] as? Int == 17)
                    #expect((failed["error"] as? String)?.hasPrefix("broker down <script>") == true)
                    #expect(failed["conf"] as? [String: String] == ["duration": "3s"])
                    #expect(failed["interval_start"] is NSNull)
                    let failedTasks = try #require(failed["tasks"] as? [[String: Any]])
                    #expect(failedTasks.count == 1)
                    #expect(failedTasks.first?["try_number"] as? Int == 3)
                    #expect(failedTasks.first?["state"] as? String == "failed")
                    #expect(failedTasks.first?["error"] as? String == "connection refused")
                    let scheduled = runs[1]
                    #expect(scheduled["records"] as? Int == 4321)
                    #expect(scheduled["duration_ms"] as? Int == 61_000)
                    #expect(scheduled["interval_start"] as? String == Timestamp(year: 2026, month: 3, day: 1).iso8601)
                    #expect(scheduled["start"] as? String == Timestamp(year: 2026, month: 3, day: 2, hour: 0, minute: 0, second: 1).iso8601)
                    let tasks = try #require(scheduled["tasks"] as? [[String: Any]])
                    #expect(tasks.compactMap { $0["task_id"] as? String } == ["test_kafka_connection", "create_kafka_topic", "stream_data_from_api"])
                    #expect(tasks.allSatisfy { $0["state"] as? String == "success" && $0["error"] is NSNull })
                }
                try await client.execute(uri: "/api/dags/user_automation/runs?limit=1", method: .get) { response in
                    let parsed = try json(response.body)
                    #expect((parsed as? [[String: Any]])?.count == 1)
                }
                try await client.execute(uri: "/api/dags/user_automation/runs?limit=0", method: .get) { response in
                    #expect(response.status == .badRequest)
                    let parsed = try json(response.body)
                    #expect((parsed as? [String: Any])?["parameter"] as? String == "limit")
                }
            }
        }
    }

    @Test func triggerQueuesAManualRunInTheHistory() async throws {
        try await withFixture { f in
            let history = InMemoryRunHistory()
            let app = Application(router: schedulingServer(f, .init(port: 0, token: "t0ken"), history: history).makeRouter())
            try await app.test(.router) { client in
                let runID = try await client.execute(
                    uri: "/api/dags/user_automation/runs", method: .post, headers: bearer,
                    body: jsonBody(#"{"conf": {"duration": "3s", "rate": 500}}"#)
                ) { response -> String in
                    #expect(response.status == .created)
                    let body = try #require(try json(response.body) as? [String: Any])
                    #expect(body["dag_id"] as? String == "user_automation")
                    #expect(body["state"] as? String == "queued")
                    return try #require(body["run_id"] as? String)
                }
                let run = try #require(history.run(dagID: "user_automation", runID: runID))
                #expect(run.state == .queued)
                #expect(run.kind == .manual)
                #expect(run.conf == ["duration": "3s", "rate": "500"])
                // No body: the DAG's own settings. Triggers in quick succession are distinct runs.
                for _ in 0..<5 {
                    try await client.execute(uri: "/api/dags/user_automation/runs", method: .post, headers: [.authorization: "Bearer t0ken"]) { response in
                        #expect(response.status == .created)
                    }
                }
                let queued = history.queuedRuns()
                #expect(queued.count == 6)
                #expect(Set(queued.map(\.runID)).count == 6)
                #expect(queued.filter { $0.conf.isEmpty }.count == 5)
            }
        }
    }

    @Test func unknownDAGIsA404NamingIt() async throws {
        try await withFixture { f in
            let history = InMemoryRunHistory()
            let app = Application(router: schedulingServer(f, .init(port: 0, token: "t0ken"), history: history).makeRouter())
            try await app.test(.router) { client in
                for (uri, method) in [
                    ("/api/dags/no_such_dag/runs", HTTPRequest.Method.get), ("/api/dags/no_such_dag/runs", .post),
                    ("/api/dags/no_such_dag/pause", .post), ("/api/dags/no_such_dag/unpause", .post),
                ] {
                    try await client.execute(uri: uri, method: method, headers: bearer) { response in
                        #expect(response.status == .notFound, "\(method) \(uri)")
                        let body = try #require(try json(response.body) as? [String: Any])
                        #expect(body["parameter"] as? String == "dag")
                        let message = try #require(body["error"] as? String)
                        #expect(message.contains("'no_such_dag'") && message.contains("user_automation"), "\(message)")
                    }
                }
            }
            #expect(history.runs(dagID: nil, limit: 10).isEmpty)
        }
    }

    @Test(
        "bad trigger bodies are 400/415 naming the problem",
        arguments: [
            (#"{"conf": {"colour": "red"}}"#, "application/json", 400, "colour"),
            (#"{"conf": {"duration": "soon"}}"#, "application/json", 400, "duration"),
            (#"{"conf": {"rate": "-5"}}"#, "application/json", 400, "rate"),
            // Used to be queued and trap the executor on every restart (Int(rate / 10), Duration.seconds(1e300)).
            (#"{"conf": {"rate": 1e20}}"#, "application/json", 400, "0.001…1000000"),
            (#"{"conf": {"duration": "1e300"}}"#, "application/json", 400, "1ms…366d"),
            (#"{"conf": {"rate": true}}"#, "application/json", 400, "rate"),
            (#"{"conf": {"duration": "\uD800\u0041"}}"#, "application/json", 400, "JSON"),
            (#"{"conf": "duration=3s"}"#, "application/json", 400, "conf"),
            (#"{"conf": {"duration": "3s""#, "application/json", 400, "JSON"),
            (#"{"conf": {"duration": "3s"}}"#, "text/plain", 415, "Content-Type"),
            (#"{"conf": {"duration": "3s"}}"#, "application/x-www-form-urlencoded", 415, "Content-Type"),
        ])
    func badTriggerBodies(body: String, contentType: String, status: Int, named: String) async throws {
        try await withFixture { f in
            let history = InMemoryRunHistory()
            let app = Application(router: schedulingServer(f, .init(port: 0, token: "t0ken"), history: history).makeRouter())
            try await app.test(.router) { client in
                try await client.execute(
                    uri: "/api/dags/user_automation/runs", method: .post,
                    headers: [.authorization: "Bearer t0ken", .contentType: contentType], body: jsonBody(body)
                ) { response in
                    #expect(Int(response.status.code) == status)
                    let error = try #require((try json(response.body) as? [String: Any])?["error"] as? String)
                    #expect(error.contains(named), "\(error)")
                }
            }
            #expect(history.runs(dagID: nil, limit: 10).isEmpty, "nothing queued")
        }
    }

    @Test func writesWithoutConfiguredCredentialsAre403ReadsStayOpen() async throws {
        try await withFixture { f in
            let history = InMemoryRunHistory()
            let app = Application(router: schedulingServer(f, history: history).makeRouter())
            try await app.test(.router) { client in
                for path in ["runs", "pause", "unpause"] {
                    try await client.execute(
                        uri: "/api/dags/user_automation/\(path)", method: .post, headers: [.contentType: "application/json"],
                        body: jsonBody("{}")
                    ) { response in
                        #expect(response.status == .forbidden, "\(path)")
                        let error = try #require((try json(response.body) as? [String: Any])?["error"] as? String)
                        #expect(error.contains("web.token") && error.contains("web.username"), "\(error)")
                    }
                }
                try await client.execute(uri: "/api/dags", method: .get) { #expect($0.status == .ok) }
                try await client.execute(uri: "/api/dags/user_automation/runs", method: .get) { #expect($0.status == .ok) }
            }
            #expect(history.runs(dagID: nil, limit: 10).isEmpty)
            #expect(history.pausedDAGs().isEmpty)
        }
    }

    @Test func configuredCredentialsAreRequiredForWrites() async throws {
        try await withFixture { f in
            let history = InMemoryRunHistory()
            let app = Application(router: schedulingServer(f, .init(port: 0, token: "t0ken"), history: history).makeRouter())
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/dags/user_automation/runs", method: .post) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: "/api/dags/user_automation/runs", method: .post, headers: [.authorization: "Bearer wrong"]) {
                    #expect($0.status == .unauthorized)
                }
                #expect(history.runs(dagID: nil, limit: 10).isEmpty)
                try await client.execute(uri: "/api/dags/user_automation/runs", method: .post, headers: [.authorization: "Bearer t0ken"]) {
                    #expect($0.status == .created)
                }
                #expect(history.runs(dagID: nil, limit: 10).count == 1)
            }
            let basic = Application(router: schedulingServer(f, .init(port: 0, username: "ops", password: "pw"), history: history).makeRouter())
            try await basic.test(.router) { client in
                try await client.execute(uri: "/api/dags/user_automation/pause", method: .post) { #expect($0.status == .unauthorized) }
                let good = "Basic " + Data("ops:pw".utf8).base64EncodedString()
                try await client.execute(uri: "/api/dags/user_automation/pause", method: .post, headers: [.authorization: good]) {
                    #expect($0.status == .ok)
                }
            }
            #expect(history.pausedDAGs() == ["user_automation"])
        }
    }

    @Test func crossOriginWritesAre403() async throws {
        try await withFixture { f in
            let history = InMemoryRunHistory()
            let app = Application(router: schedulingServer(f, .init(port: 0, token: "t0ken"), history: history).makeRouter())
            try await app.test(.router) { client in
                var headers = bearer
                headers[.origin] = "http://evil.example"
                for path in ["runs", "pause"] {
                    try await client.execute(uri: "/api/dags/user_automation/\(path)", method: .post, headers: headers, body: jsonBody("{}")) { response in
                        #expect(response.status == .forbidden)
                        let error = try #require((try json(response.body) as? [String: Any])?["error"] as? String)
                        #expect(error.contains("evil.example"), "\(error)")
                    }
                }
            }
            #expect(history.runs(dagID: nil, limit: 10).isEmpty)
            #expect(history.pausedDAGs().isEmpty)
        }
    }

    @Test func pauseAndUnpauseArePersisted() async throws {
        try await withFixture { f in
            let history = InMemoryRunHistory()
            let app = Application(router: schedulingServer(f, .init(port: 0, token: "t0ken"), history: history).makeRouter())
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/dags/user_automation/pause", method: .post, headers: bearer) { response in
                    #expect(response.status == .ok)
                    let parsed = try json(response.body)
                    #expect((parsed as? [String: Any])?["paused"] as? Bool == true)
                }
                #expect(history.pausedDAGs() == ["user_automation"])
                try await client.execute(uri: "/api/dags", method: .get, headers: bearer) { response in
                    let dag = try #require(((try json(response.body) as? [String: Any])?["dags"] as? [[String: Any]])?.first)
                    #expect(dag["paused"] as? Bool == true)
                    #expect(dag["next_run"] is NSNull)
                }
                try await client.execute(uri: "/api/dags/user_automation/unpause", method: .post, headers: bearer) { #expect($0.status == .ok) }
                #expect(history.pausedDAGs().isEmpty)
            }
        }
    }

    @Test func withoutSchedulingTheRoutesSayNoSchedulerHere() async throws {
        try await withFixture { f in
            let app = Application(router: schedulingServer(f, .init(port: 0, token: "t0ken"), history: nil).makeRouter())
            try await app.test(.router) { client in
                for (uri, method) in [
                    ("/api/dags", HTTPRequest.Method.get), ("/api/dags/user_automation/runs", .get),
                    ("/api/dags/user_automation/runs", .post), ("/api/dags/user_automation/pause", .post),
                ] {
                    try await client.execute(uri: uri, method: method, headers: bearer) { response in
                        #expect(response.status == .notFound, "\(method) \(uri)")
                        let parsed = try json(response.body)
                        #expect(((parsed as? [String: Any])?["error"] as? String)?.hasPrefix("no scheduler here") == true)
                    }
                }
                try await client.execute(uri: "/runs", method: .get, headers: bearer) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("data-page=\"runs\""))
                }
            }
        }
    }
}

// MARK: The Runs page in headless Chromium

/// Runs `server` on a free port for `body`.
func serving(_ server: WebServer, _ body: (Int) async throws -> Void) async throws {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "test.web")
    logger.logLevel = .critical
    let app = server.makeApplication(logger: logger) { continuation.yield($0) }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        do {
            try await body(port)
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
}

@Suite("Runs page in headless Chromium", .serialized)
struct WebRunsPageTests {
    static let runRow = "section[data-dag=\"user_automation\"] tr[data-run=\"manual__xss\"]"

    @Test func runsPageWithCredentialsListsRunsEscapesErrorsAndTriggers() async throws {
        try await withFixture { f in
            let history = try await recordedHistory()
            try await serving(schedulingServer(f, .init(port: 0, token: "t0ken"), history: history)) { port in
                let base = "http://127.0.0.1:\(port)"
                let page = try await browse(
                    base + "/runs?token=t0ken", until: "document.querySelector('\(Self.runRow)') && document.body.dataset.writable === 'true'",
                    screenshot: "runs.png", size: "1400x1000")
                #expect(page.status == 0, "\(page.stderr)")
                let marker = "data-run=\"manual__xss\""
                #expect(htmlAttributes(page.dom, marker: marker, "data-state") == ["failed"])
                #expect(htmlAttributes(page.dom, marker: marker, "data-records") == ["17"])
                #expect(htmlAttributes(page.dom, marker: "data-run=\"scheduled__2026-03-01\"", "data-records") == ["4321"])
                // The error is text: escaped in the DOM, never run.
                #expect(
                    page.dom.contains("broker down &lt;script&gt;document.body.dataset.pwned='1'&lt;/script&gt;&lt;img src=x"), "error text not shown escaped")
                #expect(!page.dom.contains("data-pwned"), "markup from the history ran")
                #expect(!page.dom.contains("<img src=\"x\""))
                #expect(page.dom.contains("data-trigger=\"user_automation\""), "no trigger button with credentials")
                #expect(page.dom.contains("connection refused"), "task instance error missing")

                // Pressing the button queues a run (a same-origin POST from a real browser) that appears in the table.
                let click = """
                    (() => { const b = document.querySelector('[data-trigger="user_automation"]'); if (!b) return false;
                      if (!window.__clicked) { window.__clicked = true; document.querySelector('[data-duration="user_automation"]').value = '2s'; b.click(); }
                      return document.querySelectorAll('section[data-dag="user_automation"] tr[data-run^="manual__2"]').length === 1; })()
                    """
                let triggered = try await browse(base + "/runs?token=t0ken", until: click, screenshot: "runs-triggered.png")
                #expect(triggered.status == 0, "the triggered run did not appear: \(triggered.stderr)")
                let queued = history.queuedRuns()
                #expect(queued.count == 1)
                #expect(queued.first?.conf == ["duration": "2s"])
                #expect(htmlAttributes(triggered.dom, marker: "data-run=\"\(queued.first?.runID ?? "-")\"", "data-state") == ["queued"])

                // An invalid duration: the API's error, naming the key, is shown in the page; nothing is queued.
                let invalid = """
                    (() => { const b = document.querySelector('[data-trigger="user_automation"]'); if (!b) return false;
                      if (!window.__clicked) { window.__clicked = true; document.querySelector('[data-duration="user_automation"]').value = 'soon'; b.click(); }
                      const alert = document.getElementById('runs-error'); return !alert.hidden && alert.textContent.includes('soon'); })()
                    """
                let rejected = try await browse(base + "/runs?token=t0ken", until: invalid)
                #expect(rejected.status == 0, "the API error was not shown: \(rejected.stderr)")
                #expect(rejected.dom.contains("conf key 'duration'"), "error text missing")
                #expect(history.queuedRuns().count == 1)

                // Origin checked against Host by a real HTTP server.
                for (origin, status) in [(base, 201), ("http://evil.example", 403), ("http://127.0.0.1:1", 403)] {
                    var request = HTTPClientRequest(url: base + "/api/dags/user_automation/runs")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer t0ken")
                    request.headers.add(name: "Origin", value: origin)
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                    #expect(Int(response.status.code) == status, "Origin \(origin)")
                    _ = try await response.body.collect(upTo: 1 << 16)
                }
                #expect(history.queuedRuns().count == 2)
            }
        }
    }

    @Test func runsPageWithoutCredentialsHasNoTriggerButton() async throws {
        try await withFixture { f in
            try await serving(schedulingServer(f, history: try await recordedHistory())) { port in
                let page = try await browse(
                    "http://127.0.0.1:\(port)/runs", until: "document.querySelector('\(Self.runRow)') && document.body.dataset.writable === 'false'",
                    screenshot: "runs-read-only.png")
                #expect(page.status == 0, "\(page.stderr)")
                #expect(htmlAttributes(page.dom, marker: "data-run=\"manual__xss\"", "data-state") == ["failed"])
                #expect(!page.dom.contains("data-trigger="), "trigger button shown without credentials")
                #expect(!page.dom.contains("data-pwned"))
            }
        }
    }

    @Test func runsPageWithoutSchedulerSaysSo() async throws {
        try await withFixture { f in
            try await serving(schedulingServer(f, history: nil)) { port in
                let page = try await browse("http://127.0.0.1:\(port)/runs", until: "document.body.dataset.noScheduler === 'true'")
                #expect(page.status == 0, "\(page.stderr)")
                #expect(page.dom.contains("No scheduler here"))
            }
        }
    }
}
