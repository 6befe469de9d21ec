/// Why a CQL client request, connection or pool operation failed, with the host it concerns.
///
/// Errors the server sent (an ERROR message) have code `.server` and carry the codec's
/// `CQLServerError` in `serverError`, with its code (WRITE_TIMEOUT, UNPREPARED, …) and the
/// extra fields that code has.
public struct CQLClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case connectFailed, connectTimedOut, connectionClosed, requestTimedOut, authenticationFailed
            case authenticationRequired, unsupportedProtocolVersion, protocolError, server, tooManyRequests
            case noHostAvailable, invalidConfiguration, schemaDisagreement, tlsFailed
        }

        let base: Base

        /// The TCP connection could not be opened (nothing listens, DNS, refused).
        public static let connectFailed = Code(base: .connectFailed)
        /// The handshake (TLS, OPTIONS, STARTUP, authentication, REGISTER) did not finish in time.
        public static let connectTimedOut = Code(base: .connectTimedOut)
        /// The connection closed (or was closed) while the request was pending.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// No response arrived within the request timeout. The request may still be applied.
        public static let requestTimedOut = Code(base: .requestTimedOut)
        /// The server refused the credentials (AUTHENTICATION_ERROR).
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// The server asks for a login and none is configured.
        public static let authenticationRequired = Code(base: .authenticationRequired)
        /// The server does not speak protocol v4.
        public static let unsupportedProtocolVersion = Code(base: .unsupportedProtocolVersion)
        /// The server sent something this client cannot decode or did not expect.
        public static let protocolError = Code(base: .protocolError)
        /// The server answered with an ERROR: see `serverError`.
        public static let server = Code(base: .server)
        /// The connection's queue of requests waiting for a stream id is full: slow down.
        public static let tooManyRequests = Code(base: .tooManyRequests)
        /// No connection to any host could take the request.
        public static let noHostAvailable = Code(base: .noHostAvailable)
        /// A URL or setting is unusable.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// The nodes did not agree on the schema version in time after a schema change.
        public static let schemaDisagreement = Code(base: .schemaDisagreement)
        /// The TLS handshake failed.
        public static let tlsFailed = Code(base: .tlsFailed)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// What happened and, where it helps, what to do.
    public var message: String
    /// `host:port` of the node concerned, when there is one.
    public var host: String?
    /// The server's ERROR, for code `.server` (and `.authenticationFailed`).
    public var serverError: CQLServerError?

    public init(code: Code, message: String, host: String? = nil, serverError: CQLServerError? = nil) {
        self.code = code
        self.message = message
        self.host = host
        self.serverError = serverError
    }

    /// The server's ERROR as a client error.
    public static func server(_ error: CQLServerError, host: String?) -> CQLClientError {
        CQLClientError(code: .server, message: "\(error.code): \(error.message)", host: host, serverError: error)
    }

    public var description: String {
        "CQLClientError.\(code): \(message)" + (host.map { " (host \($0))" } ?? "")
    }

    /// Whether the request certainly never reached a node (no connection, the connection's
    /// queue was full), so that sending it again is safe even when it is not idempotent.
    public var wasNeverSent: Bool {
        switch code {
        case .connectFailed, .connectTimedOut, .tooManyRequests, .noHostAvailable: true
        default: false
        }
    }

    /// Whether sending an idempotent statement again (perhaps to another node) may succeed:
    /// timeouts, lost connections, and the server errors that describe a passing condition
    /// (WRITE_TIMEOUT, READ_TIMEOUT, UNAVAILABLE, OVERLOADED, IS_BOOTSTRAPPING, WRITE_FAILURE…).
    /// Syntax, invalid-query, authorization and similar errors are final.
    public var isTransient: Bool {
        switch code {
        case .connectFailed, .connectTimedOut, .connectionClosed, .requestTimedOut, .tooManyRequests, .noHostAvailable:
            return true
        case .server:
            guard let code = serverError?.code else { return false }
            return [.writeTimeout, .readTimeout, .unavailable, .overloaded, .isBootstrapping, .serverError, .truncateError]
                .contains(code)
        default:
            return false
        }
    }
}
