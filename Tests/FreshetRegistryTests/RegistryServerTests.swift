import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetRegistry
import FreshetRegistryClient
import FreshetRegistryServer
import FreshetTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

/// A registry over an embedded log in a temporary directory, with its reader running.
func withRegistry<T>(_ body: (LogSchemaRegistry) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { directory in
        var config = EmbeddedBrokerConfig(dataDirectory: directory)
        config.logger = quietLogger
        let broker = try EmbeddedBroker(config)
        let registry = LogSchemaRegistry(broker: broker, logger: quietLogger)
        let result = try await withRunning([registry]) { try await body(registry) }
        try await broker.close()
        return result
    }
}

/// The REST server of a registry listening on a free port while `body` runs.
func withListeningServer<T>(
    _ registry: LogSchemaRegistry, configuration: RegistryServerConfiguration = RegistryServerConfiguration(port: 0), _ body: (Int) async throws -> T
) async throws -> T {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = RegistryServer(registry: registry, configuration: configuration).makeApplication(logger: quietLogger) { port in
        continuation.yield(port)
    }
    return try await withRunning(app, announcing: ports, body)
}

/// Runs `app` while `body` runs with the port it announces on `ports` (its first element).
func withRunning<T>(_ app: some ApplicationProtocol, announcing ports: AsyncStream<Int>, _ body: (Int) async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        defer { group.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return try await body(port)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var json: JSONValue? { try? JSONParser.parse(Array(body.readableBytesView)) }
    var errorCode: Int? { json?.objectValue?["error_code"]?.intValue }
}

func schemaBody(_ schema: String, type: String? = nil) -> ByteBuffer {
    var members: [JSONObject.Member] = [.init(key: "schema", value: .string(schema))]
    if let type { members.append(.init(key: "schemaType", value: .string(type))) }
    var writer = JSONWriter()
    writer.value(.object(JSONObject(members)))
    return ByteBuffer(bytes: writer.bytes)
}

let jsonHeaders: HTTPFields = [.contentType: "application/vnd.schemaregistry.v1+json"]

@Suite("Registry REST API")
struct RegistryServerTests {
    @Test func confluentPathsAndShapes() async throws {
        try await withRegistry { registry in
            let app = Application(router: RegistryServer(registry: registry).makeRouter())
            try await app.test(.router) { client in
                #expect(try await client.execute(uri: "/", method: .get).text == "{}")
                #expect(try await client.execute(uri: "/schemas/types", method: .get).text == #"["AVRO"]"#)
                let registered = try await client.execute(
                    uri: "/subjects/users_created-value/versions", method: .post, headers: jsonHeaders, body: schemaBody(Schemas.user, type: "AVRO"))
                #expect(registered.status == .ok)
                #expect(registered.headers[.contentType] == "application/vnd.schemaregistry.v1+json")
                #expect(registered.text == #"{"id":1}"#)
                // application/json is accepted too.
                let again = try await client.execute(
                    uri: "/subjects/users_created-value/versions", method: .post, headers: [.contentType: "application/json"], body: schemaBody(Schemas.user))
                #expect(again.text == #"{"id":1}"#)
                #expect(try await client.execute(uri: "/subjects", method: .get).text == #"["users_created-value"]"#)
                #expect(try await client.execute(uri: "/subjects/users_created-value/versions", method: .get).text == "[1]")
                let latest = try await client.execute(uri: "/subjects/users_created-value/versions/latest", method: .get).json?.objectValue
                #expect(latest?["id"]?.intValue == 1 && latest?["version"]?.intValue == 1 && latest?["subject"]?.stringValue == "users_created-value")
                #expect(latest?["schema"]?.stringValue == Schemas.user)
                #expect(try await client.execute(uri: "/subjects/users_created-value/versions/1/schema", method: .get).text == Schemas.user)
                #expect(try await client.execute(uri: "/schemas/ids/1", method: .get).json?.objectValue?["schema"]?.stringValue == Schemas.user)
                #expect(try await client.execute(uri: "/schemas/ids/1/schema", method: .get).text == Schemas.user)
                #expect(try await client.execute(uri: "/schemas/ids/1/versions", method: .get).text == #"[{"subject":"users_created-value","version":1}]"#)
                #expect(try await client.execute(uri: "/schemas/ids/1/subjects", method: .get).text == #"["users_created-value"]"#)
                let lookup = try await client.execute(uri: "/subjects/users_created-value", method: .post, headers: jsonHeaders, body: schemaBody(Schemas.user))
                #expect(lookup.json?.objectValue?["version"]?.intValue == 1)

                // Compatibility: a compatible evolution, then an incompatible one.
                let compatible = try await client.execute(
                    uri: "/compatibility/subjects/users_created-value/versions/latest", method: .post, headers: jsonHeaders,
                    body: schemaBody(Schemas.userWithNat))
                #expect(compatible.text == #"{"is_compatible":true}"#)
                let incompatible = try await client.execute(
                    uri: "/compatibility/subjects/users_created-value/versions/1?verbose=true", method: .post, headers: jsonHeaders,
                    body: schemaBody(Schemas.userAgeString))
                #expect(incompatible.json?.objectValue?["is_compatible"] == .bool(false))
                #expect(incompatible.json?.objectValue?["messages"]?.arrayValue?.isEmpty == false)
                let refused = try await client.execute(
                    uri: "/subjects/users_created-value/versions", method: .post, headers: jsonHeaders, body: schemaBody(Schemas.userAgeString))
                #expect(refused.status.code == 409 && refused.errorCode == 409)

                // Configuration.
                #expect(try await client.execute(uri: "/config", method: .get).text == #"{"compatibilityLevel":"BACKWARD"}"#)
                #expect(try await client.execute(uri: "/config/users_created-value", method: .get).errorCode == 40408)
                let put = try await client.execute(
                    uri: "/config/users_created-value", method: .put, headers: jsonHeaders, body: ByteBuffer(string: #"{"compatibility":"NONE"}"#))
                #expect(put.text == #"{"compatibility":"NONE"}"#)
                #expect(try await client.execute(uri: "/config/users_created-value", method: .get).text == #"{"compatibilityLevel":"NONE"}"#)
                let badLevel = try await client.execute(
                    uri: "/config", method: .put, headers: jsonHeaders, body: ByteBuffer(string: #"{"compatibility":"SOMETIMES"}"#))
                #expect(badLevel.status.code == 422 && badLevel.errorCode == 42203)
                #expect(try await client.execute(uri: "/config/users_created-value", method: .delete).text == #"{"compatibilityLevel":"NONE"}"#)
                #expect(
                    try await client.execute(uri: "/config/users_created-value?defaultToGlobal=true", method: .get).text
                        == #"{"compatibilityLevel":"BACKWARD"}"#)

                // Deletes: hard before soft is refused; soft, then hard.
                #expect(try await client.execute(uri: "/subjects/users_created-value/versions/1?permanent=true", method: .delete).errorCode == 40407)
                #expect(try await client.execute(uri: "/subjects/users_created-value?permanent=true", method: .delete).errorCode == 40405)
                #expect(try await client.execute(uri: "/subjects/users_created-value", method: .delete).text == "[1]")
                #expect(try await client.execute(uri: "/subjects/users_created-value", method: .delete).errorCode == 40404)
                #expect(try await client.execute(uri: "/subjects", method: .get).text == "[]")
                #expect(try await client.execute(uri: "/subjects?deleted=true", method: .get).text == #"["users_created-value"]"#)
                #expect(try await client.execute(uri: "/subjects/users_created-value?permanent=true", method: .delete).text == "[1]")
                #expect(try await client.execute(uri: "/subjects/users_created-value/versions", method: .get).errorCode == 40401)
            }
        }
    }

    @Test func errorsAreConfluents() async throws {
        try await withRegistry { registry in
            let app = Application(router: RegistryServer(registry: registry).makeRouter())
            try await app.test(.router) { client in
                let cases: [(String, HTTPRequest.Method, ByteBuffer?, Int, Int)] = [
                    ("/subjects/nope/versions", .get, nil, 404, 40401),
                    ("/schemas/ids/7", .get, nil, 404, 40403),
                    ("/schemas/ids/x", .get, nil, 404, 40403),
                    ("/subjects/s/versions/0", .get, nil, 422, 42202),
                    ("/subjects/s/versions", .post, schemaBody("{\"type\":\"recrd\"}"), 422, 42201),
                    ("/subjects/s/versions", .post, schemaBody("\"int\"", type: "PROTOBUF"), 422, 42201),
                    ("/subjects/s/versions", .post, ByteBuffer(string: "not json"), 400, 400),
                    ("/subjects/s/versions", .post, ByteBuffer(string: "{}"), 422, 42201),
                    ("/no/such/path", .get, nil, 404, 404),
                ]
                for (uri, method, body, status, code) in cases {
                    let response = try await client.execute(uri: uri, method: method, headers: jsonHeaders, body: body)
                    #expect(response.status.code == status, "\(uri)")
                    #expect(response.errorCode == code, "\(uri): \(response.text)")
                }
                // The state is untouched.
                #expect(try await registry.read { $0.subjectNames(deleted: true) }.isEmpty)
            }
        }
    }

    /// A 10 MB body is refused from its Content-Length, before it is read; a chunked one when it
    /// grows past the limit.
    @Test func largeBodiesAreRefused() async throws {
        try await withRegistry { registry in
            // A loaded machine may take seconds to move 10 MB through loopback; the 10 s default
            // request timeout would close the connection and turn the answer into a 503.
            try await withListeningServer(registry, configuration: RegistryServerConfiguration(port: 0, requestTimeout: .seconds(120))) { port in
                let client = try RemoteSchemaRegistry(RemoteRegistryConfiguration(url: "http://127.0.0.1:\(port)", timeout: .seconds(60)))
                let big = #"{"type":"record","name":"R","doc":""# + String(repeating: "x", count: 10_000_000) + #"","fields":[]}"#
                let refused = await #expect(throws: SchemaRegistryError.self) { _ = try await client.register(subject: "s", schema: big) }
                #expect(refused?.status == 413 && refused?.message.contains("2097152") == true, "\(refused.map { "\($0.status) \($0.message)" } ?? "no error")")
                // 1.5 MiB: through the body limit, refused by the schema limit.
                let large = #"{"type":"record","name":"R","doc":""# + String(repeating: "x", count: 1_500_000) + #"","fields":[]}"#
                let tooLarge = await #expect(throws: SchemaRegistryError.self) { _ = try await client.register(subject: "s", schema: large) }
                #expect(tooLarge?.code == RegistryState.schemaTooLarge, "\(tooLarge.map { "\($0.status) \($0.message)" } ?? "no error")")
                // The server still serves.
                #expect(try await client.register(subject: "s", schema: Schemas.user) == 1)
                try await client.shutdown()
            }
        }
    }
}

@Suite("Registry client")
struct RemoteSchemaRegistryTests {
    @Test func againstOurServer() async throws {
        try await withRegistry { registry in
            try await withListeningServer(registry) { port in
                let client = try RemoteSchemaRegistry(RemoteRegistryConfiguration(url: "http://127.0.0.1:\(port)/", timeout: .seconds(60), cacheEntries: 1))
                let id = try await client.register(subject: "users_created-value", schema: Schemas.user)
                #expect(id == 1)
                #expect(try await client.register(subject: "other/subject value", schema: Schemas.userWithNat) == 2)
                #expect(try await registry.read { $0.subjectNames() } == ["other/subject value", "users_created-value"])
                #expect(try await client.schema(id: 1) == Schemas.user)
                #expect(try await client.schema(id: 2) == Schemas.userWithNat)
                let incompatible = await #expect(throws: SchemaRegistryError.self) {
                    _ = try await client.register(subject: "users_created-value", schema: Schemas.userAgeString)
                }
                #expect(incompatible?.code == 409)
                let missing = await #expect(throws: SchemaRegistryError.self) { _ = try await client.schema(id: 99) }
                #expect(missing?.code == 40403 && missing?.status == 404)
                try await client.shutdown()
            }
        }
    }

    @Test func unreachableRegistryIsAnError() async throws {
        let client = try RemoteSchemaRegistry(RemoteRegistryConfiguration(url: "http://127.0.0.1:1", timeout: .seconds(5)))
        let error = await #expect(throws: SchemaRegistryError.self) { _ = try await client.schema(id: 1) }
        #expect(error?.message.contains("cannot reach schema registry http://127.0.0.1:1") == true)
        try await client.shutdown()
    }

    @Test(
        "configuration problems name the key",
        arguments: [
            (RemoteRegistryConfiguration(url: "ftp://x"), "schema_registry.url"),
            (RemoteRegistryConfiguration(url: "http://"), "schema_registry.url"),
            (RemoteRegistryConfiguration(url: "http://u:secret@host:8081"), "schema_registry.url"),
            (RemoteRegistryConfiguration(url: "http://host:8081", username: "u"), "schema_registry.password"),
            (RemoteRegistryConfiguration(url: "http://host:8081", password: "p"), "schema_registry.username"),
            (RemoteRegistryConfiguration(url: "http://host:8081", caFile: "/ca.pem"), "schema_registry.ca_file"),
            (RemoteRegistryConfiguration(url: "https://host:8081", caFile: "/no/such/ca.pem"), "schema_registry.ca_file"),
        ])
    func configurationProblems(configuration: RemoteRegistryConfiguration, key: String) {
        do {
            _ = try RemoteSchemaRegistry(configuration)
            Issue.record("accepted \(configuration.url)")
        } catch let error as RemoteRegistryConfigurationError {
            #expect(error.key == key)
            #expect(!error.description.contains("secret"))
        } catch {
            Issue.record("\(error)")
        }
    }
}

/// A stand-in registry that records what clients send: for what Freshet's server does not check.
final class RecordingRegistry: Sendable {
    let requests = Mutex<[(path: String, authorization: String?)]>([])

    func run<T>(_ body: (Int) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/schemas/ids/:id") { request, context in
            self.requests.withLock { $0.append((request.uri.path, request.headers[.authorization])) }
            let id = context.parameters.get("id") ?? "0"
            return Response(
                status: .ok, headers: [.contentType: "application/vnd.schemaregistry.v1+json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"schema":"\"schema-\#(id)\""}"#)))
        }
        router.post("/subjects/:subject/versions") { request, _ in
            self.requests.withLock { $0.append((request.uri.path, request.headers[.authorization])) }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"id":7}"#)))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: quietLogger)
        return try await withRunning(app, announcing: ports, body)
    }
}

extension RemoteSchemaRegistryTests {
    /// Basic auth on every request; schemas by id cached within the bound (oldest out first).
    @Test func basicAuthAndABoundedCache() async throws {
        let server = RecordingRegistry()
        try await server.run { port in
            let client = try RemoteSchemaRegistry(
                RemoteRegistryConfiguration(url: "http://127.0.0.1:\(port)/", username: "svc", password: "pw", cacheEntries: 2))
            #expect(try await client.register(subject: "a b", schema: Schemas.user) == 7)
            for id: UInt32 in [1, 2, 1, 2, 3, 1] {
                #expect(try await client.schema(id: id) == "\"schema-\(id)\"")
            }
            try await client.shutdown()
        }
        let requests = server.requests.withLock { $0 }
        // 1 and 2 fetched once while both fit; 3 pushes 1 out, so 1 is fetched again.
        #expect(requests.map(\.path) == ["/subjects/a%20b/versions", "/schemas/ids/1", "/schemas/ids/2", "/schemas/ids/3", "/schemas/ids/1"])
        #expect(requests.allSatisfy { $0.authorization == "Basic c3ZjOnB3" })
    }
}

extension RegistryServerTests {
    /// A client that never finishes its headers is disconnected after the request timeout, and
    /// the next client is served (one connection allowed).
    @Test func aSlowClientIsShed() async throws {
        try await withRegistry { registry in
            let configuration = RegistryServerConfiguration(port: 0, maxConnections: 1, requestTimeout: .milliseconds(300))
            try await withListeningServer(registry, configuration: configuration) { port in
                let slow = try RawTCPConnection(port: port)
                try slow.send(Array("GET /subjects HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8))
                let closed = await Task.detached { slow.waitForClose(timeout: 30) }.value
                #expect(closed)
                let client = try RemoteSchemaRegistry(RemoteRegistryConfiguration(url: "http://127.0.0.1:\(port)", timeout: .seconds(60)))
                #expect(try await client.register(subject: "s", schema: Schemas.user) == 1)
                try await client.shutdown()
            }
        }
    }
}

extension RegistryServerTests {
    /// With credentials, every request needs them (401 with Confluent's error body otherwise),
    /// and Freshet's client sends them.
    @Test func basicAuthentication() async throws {
        try await withRegistry { registry in
            let configuration = RegistryServerConfiguration(port: 0, credentials: RegistryCredentials(username: "svc", password: "s3cret"))
            let app = Application(router: RegistryServer(registry: registry, configuration: configuration).makeRouter())
            try await app.test(.router) { client in
                let anonymous = try await client.execute(uri: "/subjects", method: .get)
                #expect(anonymous.status == .unauthorized && anonymous.errorCode == 401)
                #expect(anonymous.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
                let wrong = try await client.execute(uri: "/subjects", method: .get, headers: [.authorization: "Basic c3ZjOndyb25n"])
                #expect(wrong.status == .unauthorized)
                let right = try await client.execute(uri: "/subjects", method: .get, headers: [.authorization: "Basic c3ZjOnMzY3JldA=="])
                #expect(right.status == .ok && right.text == "[]")
            }
            try await withListeningServer(registry, configuration: configuration) { port in
                let client = try RemoteSchemaRegistry(RemoteRegistryConfiguration(url: "http://127.0.0.1:\(port)", username: "svc", password: "s3cret"))
                #expect(try await client.register(subject: "s", schema: Schemas.user) == 1)
                try await client.shutdown()
                let anonymous = try RemoteSchemaRegistry(RemoteRegistryConfiguration(url: "http://127.0.0.1:\(port)", timeout: .seconds(60)))
                let refused = await #expect(throws: SchemaRegistryError.self) { _ = try await anonymous.schema(id: 1) }
                #expect(refused?.status == 401)
                try await anonymous.shutdown()
            }
        }
    }
}
