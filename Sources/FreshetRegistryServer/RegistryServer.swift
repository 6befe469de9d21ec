import Foundation
import FreshetAvro
import FreshetContracts
import FreshetCore
import FreshetHTTP
import FreshetRegistry
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Settings of the registry's REST listener (the `schema_registry.*` keys).
public struct RegistryServerConfiguration: Sendable {
    /// Defaults to 127.0.0.1 (this machine only).
    public var host: String
    /// Defaults to 8081, Confluent's port; 0 picks a free port.
    public var port: Int
    /// Largest request body; a larger one is refused with 413 before it is read. Defaults to
    /// 2 MiB (a 1 MiB schema, escaped in a JSON string).
    public var maxBodyBytes: Int
    /// Connections held at once; further clients wait to be accepted. Defaults to 64.
    public var maxConnections: Int
    /// An idle keep-alive connection is closed after this. Defaults to 60 s.
    public var idleTimeout: Duration
    /// Time a client has to send a whole request, headers and body, from the moment it connects
    /// (or starts a request): slow clients are shed. Defaults to 10 s.
    public var requestTimeout: Duration
    /// Basic-auth credentials every request must carry (Confluent clients'
    /// `basic.auth.user.info`), compared in constant time; nil (the default): none.
    public var credentials: RegistryCredentials?

    public init(
        host: String = "127.0.0.1", port: Int = 8081, maxBodyBytes: Int = 2 << 20, maxConnections: Int = 64, idleTimeout: Duration = .seconds(60),
        requestTimeout: Duration = .seconds(10), credentials: RegistryCredentials? = nil
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.credentials = credentials
    }
}

/// Confluent Schema Registry's REST API over a `LogSchemaRegistry` (docs/schema-registry.md):
/// the same paths, status codes, `{"error_code": …, "message": …}` bodies and content type
/// (`application/vnd.schemaregistry.v1+json`), for Avro schemas.
public struct RegistryServer: Sendable {
    public let registry: LogSchemaRegistry
    public let configuration: RegistryServerConfiguration

    public init(registry: LogSchemaRegistry, configuration: RegistryServerConfiguration = RegistryServerConfiguration()) {
        self.registry = registry
        self.configuration = configuration
    }

    static let contentType = "application/vnd.schemaregistry.v1+json"

    /// The routes, for an application or a test.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        if let credentials = configuration.credentials { router.add(middleware: RegistryBasicAuth(credentials: credentials)) }
        router.add(middleware: RegistryBodyLimit(maxBytes: configuration.maxBodyBytes))
        router.get("/") { _, _ in Self.json(.object(JSONObject())) }
        router.get("/schemas/types") { _, _ in Self.json(.array([.string("AVRO")])) }

        router.get("/subjects") { request, _ in
            await Self.answer {
                let deleted = Self.flag(request, "deleted")
                return Self.json(.array(try await registry.read { $0.subjectNames(deleted: deleted) }.map(JSONValue.string)))
            }
        }
        router.get("/subjects/:subject/versions") { request, context in
            await Self.answer {
                let subject = try Self.subject(context)
                let deleted = Self.flag(request, "deleted")
                let versions = try await registry.read { state throws(SchemaRegistryError) in try state.versions(of: subject, deleted: deleted) }
                return Self.json(.array(versions.map { .number(String($0)) }))
            }
        }
        router.post("/subjects/:subject/versions") { request, context in
            await Self.answer {
                let subject = try Self.subject(context)
                let schema = try await self.schemaBody(request)
                let registered = try await registry.registerSchema(subject: subject, schema: schema)
                return Self.json(.object(JSONObject([.init(key: "id", value: .number(String(registered.id)))])))
            }
        }
        router.get("/subjects/:subject/versions/:version") { request, context in
            await Self.answer {
                let (subject, spec) = try Self.subjectVersion(context)
                let deleted = Self.flag(request, "deleted")
                return Self.json(
                    Self.registeredJSON(try await registry.read { state throws(SchemaRegistryError) in try state.version(spec, of: subject, deleted: deleted) })
                )
            }
        }
        router.get("/subjects/:subject/versions/:version/schema") { request, context in
            await Self.answer {
                let (subject, spec) = try Self.subjectVersion(context)
                let deleted = Self.flag(request, "deleted")
                return Self.raw(try await registry.read { state throws(SchemaRegistryError) in try state.version(spec, of: subject, deleted: deleted) }.schema)
            }
        }
        router.delete("/subjects/:subject/versions/:version") { request, context in
            await Self.answer {
                let (subject, spec) = try Self.subjectVersion(context)
                let version = try await registry.deleteVersion(spec, of: subject, permanent: Self.flag(request, "permanent"))
                return Self.json(.number(String(version)))
            }
        }
        router.post("/subjects/:subject") { request, context in
            await Self.answer {
                let subject = try Self.subject(context)
                let schema = try await self.schemaBody(request)
                let deleted = Self.flag(request, "deleted")
                try await registry.catchUp()
                return Self.json(
                    Self.registeredJSON(
                        try await registry.read { state throws(SchemaRegistryError) in try state.lookup(schema, under: subject, deleted: deleted) }))
            }
        }
        router.delete("/subjects/:subject") { request, context in
            await Self.answer {
                let subject = try Self.subject(context)
                let versions = try await registry.deleteSubject(subject, permanent: Self.flag(request, "permanent"))
                return Self.json(.array(versions.map { .number(String($0)) }))
            }
        }

        router.get("/schemas/ids/:id") { _, context in
            await Self.answer {
                let schema = try await registry.schema(id: try Self.id(context))
                return Self.json(.object(JSONObject([.init(key: "schema", value: .string(schema))])))
            }
        }
        router.get("/schemas/ids/:id/schema") { _, context in
            await Self.answer { Self.raw(try await registry.schema(id: try Self.id(context))) }
        }
        router.get("/schemas/ids/:id/versions") { request, context in
            await Self.answer {
                let id = try Self.id(context)
                let deleted = Self.flag(request, "deleted")
                let usages = try await registry.read { state throws(SchemaRegistryError) in try state.usages(of: id, deleted: deleted) }
                return Self.json(
                    .array(
                        usages.map {
                            .object(JSONObject([.init(key: "subject", value: .string($0.subject)), .init(key: "version", value: .number(String($0.version)))]))
                        }))
            }
        }
        router.get("/schemas/ids/:id/subjects") { request, context in
            await Self.answer {
                let id = try Self.id(context)
                let deleted = Self.flag(request, "deleted")
                let usages = try await registry.read { state throws(SchemaRegistryError) in try state.usages(of: id, deleted: deleted) }
                var subjects: [String] = []
                for usage in usages where subjects.last != usage.subject { subjects.append(usage.subject) }
                return Self.json(.array(subjects.map(JSONValue.string)))
            }
        }

        router.get("/config") { _, _ in
            await Self.answer { Self.levelJSON("compatibilityLevel", try await registry.read { $0.globalCompatibility }) }
        }
        router.put("/config") { request, _ in
            await Self.answer {
                let level = try await self.levelBody(request)
                try await registry.setCompatibility(level, subject: nil)
                return Self.levelJSON("compatibility", level)
            }
        }
        router.get("/config/:subject") { request, context in
            await Self.answer {
                let subject = try Self.subject(context)
                let defaultToGlobal = Self.flag(request, "defaultToGlobal")
                let level = try await registry.read { defaultToGlobal ? $0.compatibility(of: subject) : $0.subjectCompatibility[subject] }
                guard let level else {
                    throw SchemaRegistryError(
                        status: 404, code: RegistryState.subjectCompatibilityNotConfigured,
                        message: "Subject '\(subject)' does not have subject-level compatibility configured")
                }
                return Self.levelJSON("compatibilityLevel", level)
            }
        }
        router.put("/config/:subject") { request, context in
            await Self.answer {
                let subject = try Self.subject(context)
                let level = try await self.levelBody(request)
                try await registry.setCompatibility(level, subject: subject)
                return Self.levelJSON("compatibility", level)
            }
        }
        router.delete("/config/:subject") { _, context in
            await Self.answer {
                let subject = try Self.subject(context)
                let previous = try await registry.read { state throws(SchemaRegistryError) in
                    guard state.subjects[subject] != nil || state.subjectCompatibility[subject] != nil else { throw RegistryState.subjectNotFound(subject) }
                    return state.compatibility(of: subject)
                }
                try await registry.setCompatibility(nil, subject: subject)
                return Self.levelJSON("compatibilityLevel", previous)
            }
        }

        router.post("/compatibility/subjects/:subject/versions/:version") { request, context in
            await Self.answer {
                let (subject, spec) = try Self.subjectVersion(context)
                return try await self.compatibility(request, subject: subject, spec: spec)
            }
        }
        router.post("/compatibility/subjects/:subject/versions") { request, context in
            await Self.answer { try await self.compatibility(request, subject: try Self.subject(context), spec: .latest) }
        }
        return router
    }

    /// The listener as a service; `onListening` receives the bound port. At most
    /// `maxConnections` connections are held, a request must arrive whole within
    /// `requestTimeout`, idle ones are closed after `idleTimeout`, bodies bounded by
    /// `maxBodyBytes`, headers by the HTTP/1 decoder.
    public func makeApplication(
        logger: Logger = Logger(label: "freshet.registry.http"), onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        return Application(
            router: makeRouter(),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [RequestTimeoutHandler(timeout: configuration.requestTimeout.timeAmount)],
                    idleTimeout: configuration.idleTimeout.timeAmount)),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "freshet-schema-registry",
                availableConnectionsDelegate: .maximum(configuration.maxConnections, logger: logger)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    // MARK: Handlers

    func compatibility(_ request: Request, subject: String, spec: RegistryState.VersionSpec) async throws -> Response {
        let schema = try await schemaBody(request)
        try await registry.catchUp()
        let problems = try await registry.read { state throws(SchemaRegistryError) in
            try state.compatibilityProblems(of: schema, subject: subject, version: spec)
        }
        var members: [JSONObject.Member] = [.init(key: "is_compatible", value: .bool(problems.isEmpty))]
        if Self.flag(request, "verbose") { members.append(.init(key: "messages", value: .array(problems.map(JSONValue.string)))) }
        return Self.json(.object(JSONObject(members)))
    }

    /// The `schema` of a `{"schema": "...", "schemaType": "AVRO"}` body.
    func schemaBody(_ request: Request) async throws -> String {
        let object = try await body(request)
        if let type = object["schemaType"], !type.isNull {
            guard type.stringValue == "AVRO" else {
                throw SchemaRegistryError(
                    status: 422, code: SchemaRegistryError.invalidSchema,
                    message:
                        "schemaType \(type.stringValue.map { "'\($0.prefix(40))'" } ?? "(not a string)") is not supported: this registry holds AVRO schemas only"
                )
            }
        }
        if let references = object["references"]?.arrayValue, !references.isEmpty {
            throw SchemaRegistryError(status: 422, code: SchemaRegistryError.invalidSchema, message: "schema references are not supported")
        }
        guard let schema = object["schema"]?.stringValue else {
            throw SchemaRegistryError(status: 422, code: SchemaRegistryError.invalidSchema, message: "the body needs a \"schema\" string")
        }
        return schema
    }

    /// The level of a `{"compatibility": "FULL"}` body (42203 for another).
    func levelBody(_ request: Request) async throws -> AvroCompatibilityLevel {
        let object = try await body(request)
        guard let text = object["compatibility"]?.stringValue ?? object["compatibilityLevel"]?.stringValue,
            let level = AvroCompatibilityLevel(rawValue: text)
        else {
            throw SchemaRegistryError(
                status: 422, code: SchemaRegistryError.invalidCompatibilityLevel,
                message:
                    "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")
        }
        return level
    }

    /// The request body as a JSON object, read up to `maxBodyBytes`.
    func body(_ request: Request) async throws -> JSONObject {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maxBodyBytes)
        } catch {
            throw Self.tooLarge(configuration.maxBodyBytes)
        }
        guard let object = (try? JSONParser.parse(buffer.readableBytesView))?.objectValue else {
            throw SchemaRegistryError(status: 400, code: 400, message: "the request body is not a JSON object")
        }
        return object
    }

    static func tooLarge(_ maxBytes: Int) -> SchemaRegistryError {
        SchemaRegistryError(
            status: 413, code: 413, message: "the request body is larger than \(maxBytes) bytes (schema_registry.max_body_bytes)")
    }

    // MARK: Helpers

    static func answer(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as SchemaRegistryError {
            return Self.error(error)
        } catch {
            return Self.error(SchemaRegistryError(status: 500, code: SchemaRegistryError.storeError, message: "Error in the backend data store: \(error)"))
        }
    }

    static func error(_ error: SchemaRegistryError) -> Response {
        json(
            .object(JSONObject([.init(key: "error_code", value: .number(String(error.code))), .init(key: "message", value: .string(error.message))])),
            status: HTTPResponse.Status(code: error.status))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var writer = JSONWriter()
        writer.value(value)
        return Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// A schema's JSON as the body.
    static func raw(_ schema: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: schema)))
    }

    static func registeredJSON(_ registered: RegistryState.Registered) -> JSONValue {
        .object(
            JSONObject([
                .init(key: "subject", value: .string(registered.subject)), .init(key: "version", value: .number(String(registered.version))),
                .init(key: "id", value: .number(String(registered.id))), .init(key: "schema", value: .string(registered.schema)),
            ]))
    }

    static func levelJSON(_ key: String, _ level: AvroCompatibilityLevel) -> Response {
        json(.object(JSONObject([.init(key: key, value: .string(level.rawValue))])))
    }

    static func flag(_ request: Request, _ name: String) -> Bool {
        request.uri.queryParameters.get(name).map { $0.lowercased() == "true" } ?? false
    }

    static func subject(_ context: BasicRequestContext) throws(SchemaRegistryError) -> String {
        let raw = context.parameters.get("subject") ?? ""
        guard let subject = percentDecoded(raw) else {
            throw SchemaRegistryError(status: 422, code: RegistryState.invalidSubject, message: "the subject is not valid percent-encoded UTF-8")
        }
        return subject
    }

    static func subjectVersion(_ context: BasicRequestContext) throws(SchemaRegistryError) -> (String, RegistryState.VersionSpec) {
        (try subject(context), try RegistryState.VersionSpec(parsing: context.parameters.get("version") ?? ""))
    }

    static func id(_ context: BasicRequestContext) throws(SchemaRegistryError) -> UInt32 {
        guard let text = context.parameters.get("id"), let id = UInt32(text), id >= 1, id <= UInt32(Int32.max) else {
            throw SchemaRegistryError(
                status: 404, code: SchemaRegistryError.schemaNotFound, message: "Schema \((context.parameters.get("id") ?? "").prefix(40)) not found")
        }
        return id
    }
}

/// Refuses a request whose announced body is larger than `maxBytes` with 413 before reading
/// it; a chunked body that grows past it fails when collected (`RegistryServer.body`).
struct RegistryBodyLimit<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let text = request.headers[.contentLength] {
            guard let length = Int(text), length >= 0 else {
                return RegistryServer.error(SchemaRegistryError(status: 400, code: 400, message: "Content-Length must be a number of bytes"))
            }
            if length > maxBytes { return RegistryServer.error(RegistryServer.tooLarge(maxBytes)) }
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            // Unknown paths and methods, as Confluent's: a JSON error with the status as code.
            let status = error.status
            return RegistryServer.error(SchemaRegistryError(status: status.code, code: status.code, message: status.reasonPhrase))
        }
    }
}

/// A user and password for HTTP basic authentication.
public struct RegistryCredentials: Sendable, Equatable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// Requires the configured basic-auth credentials on every request (401 with Confluent's error
/// body otherwise), compared in constant time; they are never logged.
struct RegistryBasicAuth<Context: RequestContext>: RouterMiddleware {
    let expected: [UInt8]

    init(credentials: RegistryCredentials) {
        expected = Array((credentials.username + ":" + credentials.password).utf8)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let header = request.headers[.authorization], header.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6))), Self.equal(Array(decoded), expected)
        {
            return try await next(request, context)
        }
        var response = RegistryServer.error(SchemaRegistryError(status: 401, code: 401, message: "Unauthorized: this registry needs basic-auth credentials"))
        response.headers[.wwwAuthenticate] = "Basic realm=\"freshet-schema-registry\""
        return response
    }

    /// Constant-time comparison (length leaks, content does not).
    static func equal(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
