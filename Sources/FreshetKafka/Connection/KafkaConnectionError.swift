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
            case tlsFailed
            case authenticationFailed
            case unsupportedSASLMechanism
            case invalidConfiguration
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
        /// The broker lacks a feature the configuration needs (e.g. SaslAuthenticate, which
        /// brokers before Kafka 1.0 do not have).
        public static let notSupported = Code(base: .notSupported)
        /// The TLS handshake failed: an untrusted certificate, a certificate that does not
        /// name the server, a broker that does not speak TLS on that port, …
        public static let tlsFailed = Code(base: .tlsFailed)
        /// The broker rejected the SASL credentials, or the SASL exchange failed (e.g. the
        /// broker could not prove it knows the SCRAM credential).
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// The broker does not enable the configured SASL mechanism; the message names the
        /// ones it offers.
        public static let unsupportedSASLMechanism = Code(base: .unsupportedSASLMechanism)
        /// The configuration cannot be used (e.g. an unreadable CA file).
        public static let invalidConfiguration = Code(base: .invalidConfiguration)

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
