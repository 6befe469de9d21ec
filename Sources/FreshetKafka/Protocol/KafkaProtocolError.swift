/// A malformed, truncated or unsupported piece of Kafka wire data.
///
/// Every decode path throws this instead of trapping, so a bad peer can never crash Freshet.
public struct KafkaProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case truncated
            case invalidLength
            case invalidValue
            case unsupportedVersion
            case trailingBytes
            case frameTooLarge
            case unknownApiKey
            case noCommonVersion
        }

        let base: Base

        /// The input ended before the field was complete.
        public static let truncated = Code(base: .truncated)
        /// A length prefix is negative (where null is not allowed), or larger than the input.
        public static let invalidLength = Code(base: .invalidLength)
        /// A value cannot be represented on the wire (e.g. a string longer than 32767 bytes).
        public static let invalidValue = Code(base: .invalidValue)
        /// The message does not implement the requested version.
        public static let unsupportedVersion = Code(base: .unsupportedVersion)
        /// Bytes were left over after the message was decoded.
        public static let trailingBytes = Code(base: .trailingBytes)
        /// A frame's size prefix is negative or above the decoder's limit.
        public static let frameTooLarge = Code(base: .frameTooLarge)
        /// A request header names an API key this module does not know.
        public static let unknownApiKey = Code(base: .unknownApiKey)
        /// The broker and Freshet share no version of an API.
        public static let noCommonVersion = Code(base: .noCommonVersion)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// A message a user can act on.
    public var message: String
    /// The API being encoded or decoded, when known.
    public var api: ApiKey?
    /// The API version being encoded or decoded, when known.
    public var version: Int16?
    /// The wire field (schema name, e.g. `"Topics"`) being processed, when known.
    public var field: String?

    public init(code: Code, message: String, api: ApiKey? = nil, version: Int16? = nil, field: String? = nil) {
        self.code = code
        self.message = message
        self.api = api
        self.version = version
        self.field = field
    }

    public var description: String {
        var context: [String] = []
        if let api { context.append("api \(api)") }
        if let version { context.append("v\(version)") }
        if let field { context.append("field \(field)") }
        let suffix = context.isEmpty ? "" : " (\(context.joined(separator: ", ")))"
        return "KafkaProtocolError.\(code): \(message)\(suffix)"
    }
}
