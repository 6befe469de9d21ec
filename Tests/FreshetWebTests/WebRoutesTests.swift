import AsyncHTTPClient
import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetSource
import FreshetStore
import FreshetStream
import FreshetTesting
import FreshetWeb
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import Testing

/// A store with 300 users, a log with users_created and a dead letter, and pipeline metrics.
struct Fixture {
    let dir: String
    let broker: EmbeddedBroker
    let store: SQLiteStore
    let rows: [CreatedUserRow]
    let metrics: PipelineMetrics

    static func make() async throws -> Fixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-web-\(UUID().uuidString)").path
        var config = EmbeddedBrokerConfig(dataDirectory: dir, durability: .none)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        config.logger = logger
        let broker = try EmbeddedBroker(config)
        try await broker.createTopic("users_created", config: TopicConfig())
        try await broker.createTopic("users_created.dlq", config: TopicConfig())
        let messages = RandomUserGenerator(referenceDate: Timestamp(year: 2026, month: 1, day: 1)).page(seed: "web", page: 1, results: 300).map(
            UserCreated.init)
        let now = Timestamp.now().millisecondsSinceEpoch
        let rows = messages.map { try! UserSchema().row(from: $0.jsonBytes(), ingestedAt: now).get() }
        _ = try await broker.produce(topic: "users_created", records: messages.map { ProducerRecord(key: Array($0.id.utf8), value: $0.jsonBytes()) })
        let bad = ConsumerRecord(topic: "users_created", partition: 1, offset: 7, timestamp: now, key: nil, value: Array("oops".utf8), headers: [])
        _ = try await broker.produce(
            topic: "users_created.dlq", records: [DeadLetter.record(for: bad, rejection: Rejection(.notJSON, "invalid JSON (unexpected_byte) at byte 0"))])
        let store = try await SQLiteStore.open(.init(path: SQLiteStore.path(dataDirectory: dir)))
        try await store.prepare()
        try await store.write(batch(slice(rows, from: 0, windowStart: now - now % 60_000)))
        let metrics = PipelineMetrics()
        metrics.update {
            $0.produced = 301
            $0.consumed = 301
            $0.stored = 300
            $0.deadLettered[.notJSON] = 1
            $0.endToEnd.record(micros: 12_000)
        }
        return Fixture(dir: dir, broker: broker, store: store, rows: rows, metrics: metrics)
    }

    func server(_ configuration: WebConfiguration = .init(port: 0)) -> WebServer {
        WebServer(configuration: configuration, queries: store, broker: .live(broker), metrics: metrics, registry: PrometheusCollectorRegistry())
    }

    func close() async {
        try? await store.close()
        try? await broker.close()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

func withFixture(_ body: (Fixture) async throws -> Void) async throws {
    let fixture = try await Fixture.make()
    do {
        try await body(fixture)
    } catch {
        await fixture.close()
        throw error
    }
    await fixture.close()
}

func json(_ buffer: ByteBuffer) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView), options: [.fragmentsAllowed])
}

@Suite("Web routes")
struct WebRoutesTests {
    @Test func pagesAndAssets() async throws {
        try await withFixture { f in
            let app = Application(router: f.server().makeRouter())
            try await app.test(.router) { client in
                for path in ["/", "/pipeline", "/topics", "/runs"] {
                    try await client.execute(uri: path, method: .get) { response in
                        #expect(response.status == .ok)
                        #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                        let html = String(buffer: response.body)
                        #expect(html.contains("/assets/app.js") && html.contains("/assets/app.css"))
                        #expect(html.contains("<a href=\"/runs\""), "no Runs link in the nav of \(path)")
                        #expect(!html.contains("http://") && !html.contains("https://"), "no external resources on \(path)")
                    }
                }
                try await client.execute(uri: "/assets/app.js", method: .get) { #expect($0.headers[.contentType]?.hasPrefix("text/javascript") == true) }
                try await client.execute(uri: "/assets/app.css", method: .get) { #expect($0.headers[.contentType]?.hasPrefix("text/css") == true) }
                try await client.execute(uri: "/nope", method: .get) { #expect($0.status == .notFound) }
            }
        }
    }

    @Test func statsHasEveryPanel() async throws {
        try await withFixture { f in
            let app = Application(router: f.server().makeRouter())
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/stats", method: .get) { response in
                    #expect(response.status == .ok)
                    let stats = try #require(try json(response.body) as? [String: Any])
                    #expect(stats["mode"] as? String == "up")
                    let users = try #require(stats["users"] as? [String: Any])
                    #expect(users["total"] as? Int == 300)
                    #expect((users["male"] as? Int ?? 0) + (users["female"] as? Int ?? 0) == 300)
                    #expect((users["top_countries"] as? [Any])?.count == 10)
                    #expect((users["recent"] as? [Any])?.count == 10)
                    #expect(((users["monthly_registrations"] as? [[String: Any]]) ?? []).compactMap { $0["count"] as? Int }.reduce(0, +) == 300)
                    #expect(((users["email_domains"] as? [[String: Any]])?.first?["label"] as? String) == "example.com")
                    #expect((stats["ingest_per_minute"] as? [[String: Any]])?.first?["count"] as? Int == 300)
                    let pipeline = try #require(stats["pipeline"] as? [String: Any])
                    #expect(pipeline["stored"] as? Int == 300)
                    #expect(((pipeline["dlq"] as? [String: Any])?["total"]) as? Int == 1)
                    let latest = try #require((pipeline["dlq"] as? [String: Any])?["latest"] as? [[String: Any]])
                    #expect(latest.first?["code"] as? String == "not_json")
                    #expect((pipeline["lag"] as? [Any]) != nil)
                    #expect((pipeline["rss_bytes"] as? Int ?? 0) > 1_000_000)
                }
            }
        }
    }

    @Test func usersPagingAndLookup() async throws {
        try await withFixture { f in
            let app = Application(router: f.server().makeRouter())
            try await app.test(.router) { client in
                var seen: [String] = []
                var cursor: String?
                repeat {
                    let uri = "/api/users?limit=70" + (cursor.map { "&cursor=\($0)" } ?? "")
                    cursor = try await client.execute(uri: uri, method: .get) { response -> String? in
                        #expect(response.status == .ok)
                        let page = try #require(try json(response.body) as? [String: Any])
                        let users = try #require(page["users"] as? [[String: Any]])
                        seen += users.compactMap { $0["id"] as? String }
                        return page["next_cursor"] as? String
                    }
                } while cursor != nil
                #expect(seen.count == 300)
                #expect(Set(seen) == Set(f.rows.map(\.id)))

                let one = f.rows[42]
                try await client.execute(uri: "/api/users/\(one.id)", method: .get) { response in
                    #expect(response.status == .ok)
                    let user = try #require(try json(response.body) as? [String: Any])
                    #expect(user["email"] as? String == one.email)
                    #expect(user["country"] as? String == one.country)
                }
            }
        }
    }

    @Test(
        "bad parameters get a JSON error naming them",
        arguments: [
            ("/api/users?limit=-1", 400, "limit"), ("/api/users?limit=abc", 400, "limit"), ("/api/users?limit=100000", 400, "limit"),
            ("/api/users?cursor=garbage", 400, "cursor"), ("/api/users/no-such-id", 404, "id"),
            ("/api/dlq?limit=0", 400, "limit"), ("/api/topics/no_such_topic/messages", 404, "name"),
            ("/api/topics/users_created/messages?limit=x", 400, "limit"),
        ])
    func badParameters(uri: String, status: Int, parameter: String) async throws {
        try await withFixture { f in
            let app = Application(router: f.server().makeRouter())
            try await app.test(.router) { client in
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(Int(response.status.code) == status)
                    let body = try #require(try json(response.body) as? [String: Any])
                    #expect(body["parameter"] as? String == parameter)
                    #expect((body["error"] as? String)?.isEmpty == false)
                }
            }
        }
    }

    @Test func topicsGroupsMessagesAndDLQ() async throws {
        try await withFixture { f in
            var consumerConfig = ConsumerConfig(groupID: "freshet-processor", topics: ["users_created"])
            consumerConfig.maxPollRecords = 100
            let consumer = try await f.broker.makeConsumer(consumerConfig)
            _ = try await consumer.poll()
            try await consumer.commit()
            let app = Application(router: f.server().makeRouter())
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/topics", method: .get) { response in
                    let topics = try #require(try json(response.body) as? [[String: Any]])
                    #expect(topics.compactMap { $0["name"] as? String } == ["users_created", "users_created.dlq"])
                    let partitions = try #require(topics.first?["partitions"] as? [[String: Any]])
                    #expect(partitions.count == 3)
                    #expect(partitions.compactMap { $0["latest"] as? Int }.reduce(0, +) == 300)
                }
                try await client.execute(uri: "/api/groups", method: .get) { response in
                    let groups = try #require(try json(response.body) as? [[String: Any]])
                    let group = try #require(groups.first { $0["group"] as? String == "freshet-processor" })
                    let offsets = try #require(group["offsets"] as? [[String: Any]])
                    #expect(offsets.count == 3)
                    #expect(offsets.contains { $0["committed"] is Int })
                }
                try await client.execute(uri: "/api/topics/users_created/messages?limit=5", method: .get) { response in
                    let messages = try #require(try json(response.body) as? [[String: Any]])
                    #expect(messages.count == 5)
                    let value = try #require(messages.first?["value"] as? String)
                    #expect(try UserCreated.decode(Array(value.utf8)).id == messages.first?["key"] as? String)
                }
                try await client.execute(uri: "/api/dlq", method: .get) { response in
                    let messages = try #require(try json(response.body) as? [[String: Any]])
                    #expect(messages.count == 1)
                    let headers = try #require(messages.first?["headers"] as? [String: String])
                    #expect(headers["freshet.error.code"] == "not_json")
                    #expect(messages.first?["value"] as? String == "oops")
                }
            }
            try await consumer.close()
        }
    }

    @Test func healthReadinessAndMetrics() async throws {
        try await withFixture { f in
            let app = Application(router: f.server().makeRouter())
            try await app.test(.router) { client in
                try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                    let body = try #require(try json(response.body) as? [String: Any])
                    #expect(body["checks"] as? [String: String] == ["store": "ok", "broker": "ok"])
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                }
            }
        }
    }

    @Test func readinessFailsWhenTheStoreIsGone() async throws {
        try await withFixture { f in
            let server = f.server()
            try await f.store.close()
            let app = Application(router: server.makeRouter())
            try await app.test(.router) { client in
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    let body = try #require(try json(response.body) as? [String: Any])
                    #expect((body["checks"] as? [String: String])?["store"] != "ok")
                }
            }
        }
    }

    @Test func tokenAuthentication() async throws {
        try await withFixture { f in
            let app = Application(router: f.server(.init(port: 0, token: "s3cr3t-token")).makeRouter())
            try await app.test(.router) { client in
                for path in [
                    "/", "/pipeline", "/topics", "/api/stats", "/api/users", "/api/topics", "/api/groups", "/api/dlq", "/metrics", "/readyz", "/events",
                    "/assets/app.js", "/runs", "/api/dags",
                ] {
                    try await client.execute(uri: path, method: .get) { response in
                        #expect(response.status == .unauthorized, "\(path) without the token")
                        #expect(!String(buffer: response.body).contains("s3cr3t"))
                    }
                }
                try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
                try await client.execute(uri: "/api/stats", method: .get, headers: [.authorization: "Bearer wrong"]) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: "/api/stats", method: .get, headers: [.authorization: "Bearer s3cr3t-token"]) { #expect($0.status == .ok) }
                // A browser: ?token= once, then the cookie.
                let cookie = try await client.execute(uri: "/?token=s3cr3t-token", method: .get) { response -> String in
                    #expect(response.status == .ok)
                    return try #require(response.headers[.setCookie])
                }
                #expect(cookie.contains("HttpOnly"))
                let pair = String(cookie.split(separator: ";")[0])
                try await client.execute(uri: "/api/stats", method: .get, headers: [.cookie: pair]) { #expect($0.status == .ok) }
                try await client.execute(uri: "/api/stats", method: .get, headers: [.cookie: "freshet_token=nope"]) { #expect($0.status == .unauthorized) }
            }
        }
    }

    @Test func basicAuthentication() async throws {
        try await withFixture { f in
            let app = Application(router: f.server(.init(port: 0, username: "ops", password: "pw")).makeRouter())
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/stats", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate] == "Basic realm=\"freshet\"")
                }
                let good = "Basic " + Data("ops:pw".utf8).base64EncodedString()
                let bad = "Basic " + Data("ops:nope".utf8).base64EncodedString()
                try await client.execute(uri: "/api/stats", method: .get, headers: [.authorization: good]) { #expect($0.status == .ok) }
                try await client.execute(uri: "/api/stats", method: .get, headers: [.authorization: bad]) { #expect($0.status == .unauthorized) }
            }
        }
    }

    @Test func serverSentEventsStreamStats() async throws {
        try await withFixture { f in
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            var logger = Logger(label: "test.web")
            logger.logLevel = .critical
            let app = f.server().makeApplication(logger: logger) { continuation.yield($0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.run() }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/events"), timeout: .seconds(10))
                #expect(response.headers.first(name: "content-type") == "text/event-stream")
                var text = ""
                var events = 0
                for try await chunk in response.body {
                    text += String(buffer: chunk)
                    events = text.components(separatedBy: "event: stats\n").count - 1
                    if events >= 2 { break }
                }
                #expect(events >= 2)
                let firstData = try #require(text.components(separatedBy: "data: ").dropFirst().first?.components(separatedBy: "\n").first)
                let stats = try #require(try JSONSerialization.jsonObject(with: Data(firstData.utf8)) as? [String: Any])
                #expect((stats["users"] as? [String: Any])?["total"] as? Int == 300)
                group.cancelAll()
            }
        }
    }
}
