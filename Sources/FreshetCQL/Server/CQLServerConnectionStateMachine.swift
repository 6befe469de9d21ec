import NIOCore

/// Username and password that clients must present (Cassandra's PasswordAuthenticator,
/// SASL PLAIN). The password is never printed: `description` hides it.
public struct CQLCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public var description: String { "CQLCredentials(username: \(username), password: ***)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["username": username, "password": "***"]) }

    /// Checks a SASL PLAIN token: `authzid NUL authcid NUL password`. Compares in time that
    /// does not depend on where the bytes differ.
    func accepts(username candidateUser: [UInt8], password candidate: [UInt8]) -> Bool {
        // Both comparisons run, whichever fails.
        let userMatches = Self.equal(candidateUser, Array(username.utf8))
        let passwordMatches = Self.equal(candidate, Array(password.utf8))
        return userMatches && passwordMatches
    }

    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}

/// One client connection's protocol state, free of IO: feed it frames and decode failures,
/// perform the `Action` it returns.
///
/// States and their transitions:
/// - `awaitingStartup`: OPTIONS → SUPPORTED; STARTUP → READY (`ready`), or AUTHENTICATE
///   (`authenticating`) when credentials are configured; anything else → PROTOCOL_ERROR.
/// - `authenticating`: AUTH_RESPONSE with the right SASL PLAIN token → AUTH_SUCCESS (`ready`),
///   a wrong one → AUTHENTICATION_ERROR (stays); OPTIONS → SUPPORTED; else PROTOCOL_ERROR.
/// - `ready`: QUERY, PREPARE, EXECUTE, BATCH → `.process` (the caller plans and answers on
///   the same stream id, in any order); REGISTER → READY; OPTIONS → SUPPORTED; STARTUP again →
///   PROTOCOL_ERROR.
/// - any state: a frame of another protocol version (v3, v5, DSE v65/v66) → the v4 PROTOCOL_ERROR
///   drivers downgrade on, then close; a frame the decoder cannot split → PROTOCOL_ERROR and close;
///   a body that does not decode → PROTOCOL_ERROR on its stream (the framing is intact).
public struct CQLServerConnectionStateMachine: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// `nil` (the default) lets any client in.
        public var credentials: CQLCredentials?
        /// The CQL version SUPPORTED advertises. Defaults to "3.4.6".
        public var cqlVersion: String

        public init(credentials: CQLCredentials? = nil, cqlVersion: String = "3.4.6") {
            self.credentials = credentials
            self.cqlVersion = cqlVersion
        }
    }

    public enum State: Sendable, Hashable {
        case awaitingStartup
        case authenticating
        case ready
        case closed
    }

    public enum Action: Sendable, Hashable {
        case respond(CQLResponseFrame)
        /// Write the response, then close the connection.
        case respondAndClose(CQLResponseFrame)
        /// A query for the planner; answer on `request.streamID`.
        case process(CQLRequestFrame)
        /// Nothing to do (input after the connection was closed).
        case none
    }

    public static let authenticatorClass = "org.apache.cassandra.auth.PasswordAuthenticator"

    public let configuration: Configuration
    public private(set) var state: State = .awaitingStartup
    /// The keyspace set by USE.
    public var keyspace: String?
    /// The username of an authenticated connection.
    public private(set) var authenticatedUser: String?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// SUPPORTED's options. The python driver requires a COMPRESSION key; the empty list says
    /// frames are never compressed.
    public var supportedOptions: CQLOrderedMap<[String]> {
        ["CQL_VERSION": [configuration.cqlVersion], "COMPRESSION": [], "PROTOCOL_VERSIONS": ["4/v4"]]
    }

    /// A whole frame arrived.
    public mutating func received(_ frame: CQLFrame) -> Action {
        guard state != .closed else { return .none }
        let request: CQLRequestFrame
        do {
            request = try CQLRequestFrame(decoding: frame)
        } catch let error as CQLProtocolError {
            if error.code == .unsupportedVersion { return decodeFailed(error) }
            return .respond(CQLResponseFrame(streamID: frame.header.streamID, response: .error(error.serverError)))
        } catch {
            return .respond(CQLResponseFrame(streamID: frame.header.streamID, response: .error(CQLServerError(code: .protocolError, message: "\(error)"))))
        }
        return received(request)
    }

    /// A decoded request arrived.
    public mutating func received(_ request: CQLRequestFrame) -> Action {
        let stream = request.streamID
        func respond(_ response: CQLResponse) -> Action { .respond(CQLResponseFrame(streamID: stream, response: response)) }
        func protocolError(_ message: String) -> Action {
            respond(.error(CQLServerError(code: .protocolError, message: message)))
        }
        if state == .closed { return .none }
        if case .options = request.request { return respond(.supported(options: supportedOptions)) }
        switch (state, request.request) {
        case (.closed, _):
            return .none
        case (.awaitingStartup, .startup(let options)):
            guard let version = options["CQL_VERSION"] else { return protocolError("Missing value CQL_VERSION in STARTUP message") }
            guard version.hasPrefix("3.") else {
                return protocolError("Unsupported CQL_VERSION \(version); this server speaks CQL \(configuration.cqlVersion)")
            }
            if let compression = options["COMPRESSION"], !compression.isEmpty {
                return protocolError("Unknown compression algorithm: \(compression) (this server does not compress)")
            }
            if configuration.credentials != nil {
                state = .authenticating
                return respond(.authenticate(authenticator: Self.authenticatorClass))
            }
            state = .ready
            return respond(.ready)
        case (.awaitingStartup, let other):
            return protocolError("Unexpected message \(other.opcode), expecting STARTUP or OPTIONS")
        case (.authenticating, .authResponse(let token)):
            guard let credentials = configuration.credentials else { return protocolError("Unexpected AUTH_RESPONSE") }
            let parts = token.map { Array($0.readableBytesView).split(separator: 0, omittingEmptySubsequences: false) } ?? []
            guard parts.count == 3 else {
                return respond(
                    .error(
                        CQLServerError(
                            code: .authenticationError,
                            message: "Authentication failed: the AUTH_RESPONSE is not a SASL PLAIN token (authzid NUL username NUL password)")))
            }
            let username = Array(parts[1])
            guard credentials.accepts(username: username, password: Array(parts[2])) else {
                let name = String(decoding: username.prefix(128), as: UTF8.self)
                return respond(.error(CQLServerError(code: .authenticationError, message: "Provided username \(name) and/or password are incorrect")))
            }
            state = .ready
            authenticatedUser = credentials.username
            return respond(.authSuccess(token: nil))
        case (.authenticating, let other):
            return protocolError("Unexpected message \(other.opcode), expecting AUTH_RESPONSE (the server requires authentication)")
        case (.ready, .register):
            return respond(.ready)
        case (.ready, .query), (.ready, .prepare), (.ready, .execute), (.ready, .batch):
            return .process(request)
        case (.ready, .startup):
            return protocolError("Unexpected message STARTUP, the connection is already initialized")
        case (.ready, let other):
            return protocolError("Unexpected message \(other.opcode)")
        }
    }

    /// The input could not be split into frames (another protocol version, an oversized
    /// frame...). The answer goes to the offending stream, and the connection closes: the rest
    /// of the input cannot be framed.
    public mutating func decodeFailed(_ error: any Error) -> Action {
        guard state != .closed else { return .none }
        state = .closed
        let protocolError = error as? CQLProtocolError
        let serverError = protocolError?.serverError ?? CQLServerError(code: .protocolError, message: "\(error)")
        return .respondAndClose(CQLResponseFrame(streamID: protocolError?.streamID ?? 0, response: .error(serverError)))
    }

    /// The peer left or the server is stopping.
    public mutating func closed() {
        state = .closed
    }
}
