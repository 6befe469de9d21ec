import NIOCore

/// A malformed, truncated or unsupported piece of CQL native-protocol data.
///
/// Every decode path throws this instead of trapping, so a bad peer can never crash Freshet.
/// A server answers most of these with an ERROR frame of code `protocolError`; see
/// `serverError` and, for a frame of an unsupported protocol version,
/// `unsupportedVersionResponse()`.
public struct CQLProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case truncated
            case invalidLength
            case invalidValue
            case unsupportedVersion
            case trailingBytes
            case frameTooLarge
            case unknownOpcode
            case unexpectedMessage
            case compressionNotSupported
            case nestingTooDeep
        }

        let base: Base

        /// The input ended before the field was complete.
        public static let truncated = Code(base: .truncated)
        /// A length or count is negative (where that is not allowed) or larger than the input.
        public static let invalidLength = Code(base: .invalidLength)
        /// A value cannot be represented on the wire, or a decoded value is out of range
        /// (an unknown result kind, an inet address of 5 bytes, invalid UTF-8...).
        public static let invalidValue = Code(base: .invalidValue)
        /// A frame header carries a protocol version other than 4. `protocolVersion` and
        /// `streamID` say which, so that a server can answer with `unsupportedVersionResponse()`.
        public static let unsupportedVersion = Code(base: .unsupportedVersion)
        /// Bytes were left over after a request body was decoded.
        public static let trailingBytes = Code(base: .trailingBytes)
        /// A frame's body length is negative or above the decoder's limit.
        public static let frameTooLarge = Code(base: .frameTooLarge)
        /// A frame header names an opcode this protocol version does not have.
        public static let unknownOpcode = Code(base: .unknownOpcode)
        /// A frame is of the wrong direction or opcode for what was asked (a response frame
        /// decoded as a request, a RESULT opcode in a request frame...).
        public static let unexpectedMessage = Code(base: .unexpectedMessage)
        /// A frame has the compression flag set; this module does not decompress.
        public static let compressionNotSupported = Code(base: .compressionNotSupported)
        /// A type or value nests deeper than `CQLType.maximumDepth`.
        public static let nestingTooDeep = Code(base: .nestingTooDeep)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// A message a user can act on.
    public var message: String
    /// The opcode of the frame being encoded or decoded, when known.
    public var opcode: CQLOpcode?
    /// The wire field being processed (the spec's name, e.g. `"paging_state"`), when known.
    public var field: String?
    /// The protocol version of the offending frame (without the direction bit), when known.
    public var protocolVersion: UInt8?
    /// The stream id of the offending frame, when known.
    public var streamID: Int16?

    public init(
        code: Code, message: String, opcode: CQLOpcode? = nil, field: String? = nil,
        protocolVersion: UInt8? = nil, streamID: Int16? = nil
    ) {
        self.code = code
        self.message = message
        self.opcode = opcode
        self.field = field
        self.protocolVersion = protocolVersion
        self.streamID = streamID
    }

    public var description: String {
        var context: [String] = []
        if let opcode { context.append("opcode \(opcode)") }
        if let field { context.append("field \(field)") }
        if let protocolVersion { context.append("protocol v\(protocolVersion)") }
        if let streamID { context.append("stream \(streamID)") }
        let suffix = context.isEmpty ? "" : " (\(context.joined(separator: ", ")))"
        return "CQLProtocolError.\(code): \(message)\(suffix)"
    }

    /// The ERROR a server sends back for this problem: code `protocolError` with this
    /// error's message. For `unsupportedVersion` the message is the one drivers look for
    /// ("Invalid or unsupported protocol version (5); supported versions are (4/v4)").
    public var serverError: CQLServerError {
        if code == .unsupportedVersion, let protocolVersion {
            return CQLServerError(code: .protocolError, message: Self.unsupportedVersionMessage(protocolVersion))
        }
        return CQLServerError(code: .protocolError, message: message)
    }

    /// The whole response frame a server writes for a frame whose protocol version it does
    /// not speak, or `nil` when this is not such an error.
    ///
    /// Drivers open with the highest version they know (v5, or DSE's v65/v66) and, on a
    /// PROTOCOL_ERROR whose message contains "unsupported protocol version", reconnect with a
    /// lower one. The answer is a v4 response frame on the client's stream id; the python
    /// driver and Cassandra's own clients accept a v4 header there.
    public func unsupportedVersionResponse() throws -> ByteBuffer? {
        guard code == .unsupportedVersion, protocolVersion != nil else { return nil }
        let frame = CQLResponseFrame(streamID: streamID ?? 0, response: .error(serverError))
        return try frame.encoded()
    }

    /// Cassandra's wording, which drivers match on.
    public static func unsupportedVersionMessage(_ version: UInt8) -> String {
        "Invalid or unsupported protocol version (\(version)); supported versions are (4/v4)"
    }
}
