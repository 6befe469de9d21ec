import AsyncHTTPClient
import Foundation
import FreshetContracts
import FreshetCore
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// Where an external registry is and how to talk to it (`--registry URL`, the
/// `schema_registry.url`, `.username`, `.password`, `.ca_file` keys).
public struct RemoteRegistryConfiguration: Sendable, Equatable {
    /// `http://host[:port][/path]` or `https://…` of a Confluent-compatible registry (or a Freshet's).
    public var url: String
    /// Basic-auth user and password: both or neither. Default to none.
    public var username: String?
    public var password: String?
    /// PEM file of the certificate authorities to trust for `https` (instead of the system's).
    /// Defaults to none.
    public var caFile: String?
    /// A request (connect, send, answer) must finish within this. Defaults to 10 s.
    public var timeout: Duration
    /// Largest answer read. Defaults to 4 MiB.
    public var maxResponseBytes: Int
    /// Schemas kept by id (they never change, so they are fetched once): at most this many…
    /// Defaults to 1,000.
    public var cacheEntries: Int
    /// … and at most this many bytes of schema JSON. Defaults to 16 MiB.
    public var cacheBytes: Int

    public init(
        url: String, username: String? = nil, password: String? = nil, caFile: String? = nil, timeout: Duration = .seconds(10),
        maxResponseBytes: Int = 4 << 20, cacheEntries: Int = 1_000, cacheBytes: Int = 16 << 20
    ) {
        self.url = url
        self.username = username
        self.password = password
        self.caFile = caFile
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.cacheEntries = cacheEntries
        self.cacheBytes = cacheBytes
    }

    /// The first problem with the settings, with the key it concerns; nil when they are fine.
    public var problem: (key: String, message: String)? {
        guard let parsed = Self.parse(url) else {
            return ("schema_registry.url", "expected http://host[:port][/path] or https://…, got '\(redact(url))'")
        }
        if parsed.hasUserInfo {
            return ("schema_registry.url", "put the credentials in schema_registry.username and schema_registry.password, not in the URL")
        }
        if (username == nil) != (password == nil) {
            return (
                username == nil ? "schema_registry.username" : "schema_registry.password",
                "schema_registry.username and schema_registry.password go together: set both or neither"
            )
        }
        if username == "" { return ("schema_registry.username", "must not be empty") }
        if caFile != nil && !parsed.tls { return ("schema_registry.ca_file", "a CA file needs an https:// registry URL") }
        if maxResponseBytes < 1 { return ("schema_registry.max_response_bytes", "must be at least 1") }
        if cacheEntries < 0 || cacheBytes < 0 { return ("schema_registry.cache_entries", "must not be negative") }
        return nil
    }

    static func parse(_ url: String) -> (base: String, tls: Bool, hasUserInfo: Bool)? {
        let tls: Bool
        let rest: Substring
        if url.hasPrefix("http://") {
            tls = false
            rest = url.dropFirst(7)
        } else if url.hasPrefix("https://") {
            tls = true
            rest = url.dropFirst(8)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !rest.contains("?"), !rest.contains("#") else { return nil }
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        return (base, tls, authority.contains("@"))
    }
}

/// A client of an external Confluent-compatible registry (Confluent's, or another Freshet's):
/// the `SchemaRegistry` the pipeline uses with `--registry URL`. Schemas by id are cached
/// (bounded); call `shutdown()` when done (a client dropped without it closes its connections
/// in the background rather than fail).
public final class RemoteSchemaRegistry: SchemaRegistry, CustomStringConvertible {
    public let configuration: RemoteRegistryConfiguration
    let base: String
    let authorization: String?
    let client: HTTPClient
    let logger: Logger
    private let cache = Mutex(Cache())
    private let isShutDown = Mutex(false)

    struct Cache {
        var schemas: [UInt32: String] = [:]
        var order: [UInt32] = []
        var bytes = 0
    }

    /// Checks the configuration (`SchemaRegistryConfigurationError` naming the key) and
    /// loads the CA file.
    public init(_ configuration: RemoteRegistryConfiguration, logger: Logger = Logger(label: "freshet.registry.client")) throws {
        if let problem = configuration.problem { throw RemoteRegistryConfigurationError(key: problem.key, message: problem.message) }
        guard let parsed = RemoteRegistryConfiguration.parse(configuration.url) else { preconditionFailure("checked by problem") }
        self.configuration = configuration
        base = parsed.base
        logger.debug("schema registry client", metadata: ["url": "\(redact(configuration.url))"])
        if let username = configuration.username, let password = configuration.password {
            authorization = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        } else {
            authorization = nil
        }
        var clientConfiguration = HTTPClient.Configuration()
        if parsed.tls {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile = configuration.caFile {
                do {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
                } catch {
                    throw RemoteRegistryConfigurationError(key: "schema_registry.ca_file", message: "cannot read certificates from \(caFile): \(error)")
                }
            }
            clientConfiguration.tlsConfiguration = tls
        }
        clientConfiguration.timeout = .init(connect: .seconds(5), read: Self.timeAmount(configuration.timeout))
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
        self.logger = logger
    }

    /// Closes the connections; later calls fail.
    public func shutdown() async throws {
        guard
            isShutDown.withLock({ done in
                defer { done = true }
                return !done
            })
        else { return }
        try await client.shutdown()
    }

    deinit {
        // An owner that failed before `shutdown()` (an error on the way) must not take the
        // process down: HTTPClient traps when released open.
        if !isShutDown.withLock({ $0 }) {
            client.shutdown(queue: .global()) { _ in }
        }
    }

    public var description: String { "schema registry \(redact(configuration.url))" }

    // MARK: SchemaRegistry

    public func register(subject: String, schema: String) async throws -> UInt32 {
        var writer = JSONWriter()
        writer.value(.object(JSONObject([.init(key: "schema", value: .string(schema)), .init(key: "schemaType", value: .string("AVRO"))])))
        let answer = try await request(.POST, "/subjects/\(Self.pathComponent(subject))/versions", body: writer.bytes)
        guard case .number(let text)? = answer.objectValue?["id"], let id = UInt32(text) else {
            throw SchemaRegistryError(status: 502, code: SchemaRegistryError.storeError, message: "\(description) answered a registration without an id")
        }
        return id
    }

    public func schema(id: UInt32) async throws -> String {
        if let cached = cache.withLock({ $0.schemas[id] }) { return cached }
        let answer = try await request(.GET, "/schemas/ids/\(id)", body: nil)
        guard let schema = answer.objectValue?["schema"]?.stringValue else {
            throw SchemaRegistryError(status: 502, code: SchemaRegistryError.storeError, message: "\(description) answered schema \(id) without a schema")
        }
        remember(id, schema)
        return schema
    }

    private func remember(_ id: UInt32, _ schema: String) {
        let limits = (configuration.cacheEntries, configuration.cacheBytes)
        cache.withLock { cache in
            guard cache.schemas[id] == nil, limits.0 > 0, schema.utf8.count <= limits.1 else { return }
            cache.schemas[id] = schema
            cache.order.append(id)
            cache.bytes += schema.utf8.count
            // Oldest first out, until within both bounds.
            while cache.order.count > limits.0 || cache.bytes > limits.1 {
                let evicted = cache.order.removeFirst()
                cache.bytes -= cache.schemas.removeValue(forKey: evicted)?.utf8.count ?? 0
            }
        }
    }

    /// Sends a request and returns the answer's JSON; a non-2xx answer is the registry's
    /// `SchemaRegistryError` (its `error_code` and `message` when it sent them).
    public func request(_ method: HTTPMethod, _ path: String, body: [UInt8]?) async throws -> JSONValue {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/vnd.schemaregistry.v1+json, application/json")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/vnd.schemaregistry.v1+json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let bytes: ByteBuffer
        let status: Int
        do {
            let response = try await client.execute(request, timeout: Self.timeAmount(configuration.timeout), logger: logger)
            status = Int(response.status.code)
            bytes = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch let error as SchemaRegistryError {
            throw error
        } catch {
            throw SchemaRegistryError(status: 503, code: SchemaRegistryError.storeError, message: "cannot reach \(description): \(error)")
        }
        let json = try? JSONParser.parse(bytes.readableBytesView)
        guard (200..<300).contains(status) else {
            if let object = json?.objectValue, case .number(let codeText)? = object["error_code"], let code = Int(codeText) {
                throw SchemaRegistryError(status: status, code: code, message: object["message"]?.stringValue ?? "")
            }
            throw SchemaRegistryError(status: status, code: status, message: "\(description) answered HTTP \(status)")
        }
        guard let json else {
            throw SchemaRegistryError(status: 502, code: SchemaRegistryError.storeError, message: "\(description) answered something that is not JSON")
        }
        return json
    }

    /// `subject` percent-encoded for a path segment (all but RFC 3986's unreserved characters).
    static func pathComponent(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return result
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.saturatingNanoseconds)
    }
}

/// A bad `schema_registry.*` setting, naming the key.
public struct RemoteRegistryConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(message)" }
}
