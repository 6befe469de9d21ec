/// A failure of a connection to a Kafka broker, or of a request sent over one.
///
/// Carries context a user can act on: the broker, the API and the correlation id involved.
public struct KafkaConnectionError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case connectionClosed
            case connectFailed
            case requestTimedOut
            case unexpectedCorrelationID
            case protocolError
            case versionNegotiationFailed
            case noCommonVersion
            case notSupported
        }

        let base: Base

        /// The connection closed (by the broker, the network or `close()`) before the
        /// request was answered.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The TCP connection could not be established.
        public static let connectFailed = Code(base: .connectFailed)
        /// No response arrived within the request timeout. The connection is closed too, as
        /// Kafka clients do, since a late response could no longer be matched.
        public static let requestTimedOut = Code(base: .requestTimedOut)
        /// The broker answered with a correlation id that is not the oldest one in flight.
        public static let unexpectedCorrelationID = Code(base: .unexpectedCorrelationID)
        /// A frame could not be encoded or decoded.
        public static let protocolError = Code(base: .protocolError)
        /// The ApiVersions exchange at connect failed.
        public static let versionNegotiationFailed = Code(base: .versionNegotiationFailed)
        /// The broker supports no version of the API that Freshet implements.
        public static let noCommonVersion = Code(base: .noCommonVersion)
        /// A configured feature (TLS, SASL) is not implemented yet.
        public static let notSupported = Code(base: .notSupported)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// A message a user can act on.
    public var message: String
    /// The broker, as `host:port`, when known.
    public var broker: String?
    /// The API of the request concerned, when there is one.
    public var api: ApiKey?
    /// The correlation id of the request concerned, when it was sent.
    public var correlationID: Int32?

    public init(
        code: Code, message: String, broker: String? = nil, api: ApiKey? = nil, correlationID: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.broker = broker
        self.api = api
        self.correlationID = correlationID
    }

    public var description: String {
        var context: [String] = []
        if let broker { context.append("broker \(broker)") }
        if let api { context.append("api \(api)") }
        if let correlationID { context.append("correlation id \(correlationID)") }
        let suffix = context.isEmpty ? "" : " (\(context.joined(separator: ", ")))"
        return "KafkaConnectionError.\(code): \(message)\(suffix)"
    }
}
