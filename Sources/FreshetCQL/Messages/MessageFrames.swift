import NIOCore

/// A request with its frame: stream id, tracing flag and custom payload.
///
/// Clients encode these; servers decode them from the `CQLFrame`s of `CQLFrameDecoder`.
public struct CQLRequestFrame: Sendable, Hashable {
    public var streamID: Int16
    /// Ask the server to trace this request (QUERY, PREPARE, EXECUTE, BATCH).
    public var tracing: Bool
    /// Key-value payload for a custom QueryHandler; Cassandra's default handler ignores it.
    public var customPayload: CQLOrderedMap<ByteBuffer?>?
    public var request: CQLRequest

    public init(streamID: Int16, tracing: Bool = false, customPayload: CQLOrderedMap<ByteBuffer?>? = nil, request: CQLRequest) {
        self.streamID = streamID
        self.tracing = tracing
        self.customPayload = customPayload
        self.request = request
    }

    /// Header and body.
    public func frame() throws -> CQLFrame {
        var flags: CQLFrameFlags = []
        var body = ByteBuffer()
        if tracing { flags.insert(.tracing) }
        if let customPayload {
            flags.insert(.customPayload)
            try body.writeCQLBytesMap(customPayload, "custom_payload")
        }
        try request.encodeBody(into: &body)
        try CQLFrame.checkBodyLength(body, request.opcode)
        return CQLFrame(
            header: CQLFrameHeader(direction: .request, flags: flags, streamID: streamID, opcode: request.opcode, bodyLength: 0),
            body: body)
    }

    /// The frame's bytes, ready for a socket.
    public func encoded() throws -> ByteBuffer { try frame().encoded() }

    /// Decodes a request frame. Throws for a response, a compressed body, or a body that does
    /// not match its opcode.
    public init(decoding frame: CQLFrame) throws {
        let header = frame.header
        try CQLFrame.checkCommon(header, expected: .request)
        var body = frame.body
        var customPayload: CQLOrderedMap<ByteBuffer?>? = nil
        do {
            if header.flags.contains(.customPayload) { customPayload = try body.readCQLBytesMap("custom_payload") }
        } catch var error as CQLProtocolError {
            error.opcode = header.opcode
            error.streamID = header.streamID
            throw error
        }
        do {
            self.request = try CQLRequest.decodeBody(opcode: header.opcode, &body)
        } catch var error as CQLProtocolError {
            error.streamID = header.streamID
            throw error
        }
        self.streamID = header.streamID
        self.tracing = header.flags.contains(.tracing)
        self.customPayload = customPayload
    }
}

/// A response with its frame: stream id, tracing id, warnings and custom payload.
///
/// Servers encode these; clients decode them.
public struct CQLResponseFrame: Sendable, Hashable {
    /// The request's stream id; -1 for events.
    public var streamID: Int16
    /// Set when the request asked for tracing.
    public var tracingID: CQLUUID?
    /// Warnings the server generated for the request; `nil` leaves the flag clear.
    public var warnings: [String]?
    public var customPayload: CQLOrderedMap<ByteBuffer?>?
    public var response: CQLResponse

    public init(
        streamID: Int16, tracingID: CQLUUID? = nil, warnings: [String]? = nil,
        customPayload: CQLOrderedMap<ByteBuffer?>? = nil, response: CQLResponse
    ) {
        self.streamID = streamID
        self.tracingID = tracingID
        self.warnings = warnings
        self.customPayload = customPayload
        self.response = response
    }

    /// Header and body. The envelope fields go in the order drivers read them: tracing id,
    /// warnings, custom payload.
    public func frame() throws -> CQLFrame {
        var flags: CQLFrameFlags = []
        var body = ByteBuffer()
        if let tracingID {
            flags.insert(.tracing)
            body.writeCQLUUID(tracingID)
        }
        if let warnings {
            flags.insert(.warning)
            try body.writeCQLStringList(warnings, "warnings")
        }
        if let customPayload {
            flags.insert(.customPayload)
            try body.writeCQLBytesMap(customPayload, "custom_payload")
        }
        try response.encodeBody(into: &body)
        try CQLFrame.checkBodyLength(body, response.opcode)
        return CQLFrame(
            header: CQLFrameHeader(direction: .response, flags: flags, streamID: streamID, opcode: response.opcode, bodyLength: 0),
            body: body)
    }

    /// The frame's bytes, ready for a socket.
    public func encoded() throws -> ByteBuffer { try frame().encoded() }

    /// Decodes a response frame. Throws for a request, a compressed body, a body that does not
    /// match its opcode, or one past `limits`.
    public init(decoding frame: CQLFrame, limits: CQLResponseLimits = CQLResponseLimits()) throws {
        let header = frame.header
        try CQLFrame.checkCommon(header, expected: .response)
        var body = frame.body
        var tracingID: CQLUUID? = nil
        var warnings: [String]? = nil
        var customPayload: CQLOrderedMap<ByteBuffer?>? = nil
        do {
            if header.flags.contains(.tracing) { tracingID = try body.readCQLUUID("tracing_id") }
            if header.flags.contains(.warning) { warnings = try body.readCQLStringList("warnings") }
            if header.flags.contains(.customPayload) { customPayload = try body.readCQLBytesMap("custom_payload") }
            self.response = try CQLResponse.decodeBody(opcode: header.opcode, &body, limits: limits)
        } catch var error as CQLProtocolError {
            error.opcode = header.opcode
            error.streamID = header.streamID
            throw error
        }
        self.streamID = header.streamID
        self.tracingID = tracingID
        self.warnings = warnings
        self.customPayload = customPayload
    }
}

extension CQLFrame {
    static func checkBodyLength(_ body: ByteBuffer, _ opcode: CQLOpcode) throws {
        guard body.readableBytes <= CQLFrameDecoder.defaultMaximumBodyLength else {
            throw CQLProtocolError(
                code: .frameTooLarge, message: "body of \(body.readableBytes) bytes is above the 256 MiB limit", opcode: opcode)
        }
    }

    static func checkCommon(_ header: CQLFrameHeader, expected: CQLDirection) throws {
        guard header.version == CQLFrameHeader.protocolVersion else {
            throw CQLProtocolError(
                code: .unsupportedVersion, message: "frame of protocol version \(header.version)", opcode: header.opcode,
                protocolVersion: header.version, streamID: header.streamID)
        }
        guard header.direction == expected else {
            throw CQLProtocolError(
                code: .unexpectedMessage, message: "expected a \(expected) frame, got a \(header.direction)",
                opcode: header.opcode, streamID: header.streamID)
        }
        guard !header.flags.contains(.compression) else {
            throw CQLProtocolError(
                code: .compressionNotSupported, message: "compressed frames are not supported (send STARTUP without COMPRESSION)",
                opcode: header.opcode, streamID: header.streamID)
        }
    }
}
