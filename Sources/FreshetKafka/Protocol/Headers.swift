import NIOCore

/// Request header v1 (client id) or v2 (v1 plus tagged fields), as sent by Freshet.
///
/// In both versions the client id is a classic, non-compact nullable string: the header
/// keeps it that way even in flexible requests so that any broker can read it.
public struct KafkaRequestHeader: Sendable, Hashable {
    public var apiKey: ApiKey
    public var apiVersion: Int16
    public var correlationID: Int32
    public var clientID: String?

    public init(apiKey: ApiKey, apiVersion: Int16, correlationID: Int32, clientID: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationID = correlationID
        self.clientID = clientID
    }

    /// Writes the header; `headerVersion` is 1 or 2.
    public func encode(into buffer: inout ByteBuffer, headerVersion: Int16) throws {
        buffer.writeInteger(apiKey.rawValue)
        buffer.writeInteger(apiVersion)
        buffer.writeInteger(correlationID)
        var codec = KafkaCodec(encodingInto: ByteBuffer(), version: headerVersion, flexible: false, api: apiKey)
        var id = clientID
        try codec.nullableString(&id, "ClientId")
        buffer.writeImmutableBuffer(codec.buffer)
        if headerVersion >= 2 { buffer.writeKafkaUnsignedVarint(0) }
    }

    /// Reads a request header. The header version follows from the API and its version
    /// (v2 when that request version is flexible), so the key must be one this module knows.
    public static func decode(from buffer: inout ByteBuffer) throws -> KafkaRequestHeader {
        var codec = KafkaCodec(decoding: buffer, version: 1, flexible: false)
        var key: Int16 = 0
        var version: Int16 = 0
        var correlationID: Int32 = 0
        var clientID: String? = nil
        try codec.int16(&key, "RequestApiKey")
        try codec.int16(&version, "RequestApiVersion")
        try codec.int32(&correlationID, "CorrelationId")
        let api = ApiKey(rawValue: key)
        guard let type = api.requestType else {
            throw KafkaProtocolError(code: .unknownApiKey, message: "unknown API key \(key)", api: api, version: version)
        }
        try codec.nullableString(&clientID, "ClientId")
        if type.requestHeaderVersion(version) >= 2 {
            var tags = KafkaCodec(decoding: codec.buffer, version: 2, flexible: true, api: api)
            try tags.emptyTaggedFields()
            codec = tags
        }
        buffer = codec.buffer
        return KafkaRequestHeader(apiKey: api, apiVersion: version, correlationID: correlationID, clientID: clientID)
    }
}

/// Response header v0 (correlation id) or v1 (plus tagged fields).
public struct KafkaResponseHeader: Sendable, Hashable {
    public var correlationID: Int32

    public init(correlationID: Int32) { self.correlationID = correlationID }

    public func encode(into buffer: inout ByteBuffer, headerVersion: Int16) {
        buffer.writeInteger(correlationID)
        if headerVersion >= 1 { buffer.writeKafkaUnsignedVarint(0) }
    }

    public static func decode(
        from buffer: inout ByteBuffer, headerVersion: Int16, api: ApiKey? = nil, version: Int16? = nil
    ) throws -> KafkaResponseHeader {
        var codec = KafkaCodec(decoding: buffer, version: headerVersion, flexible: headerVersion >= 1, api: api)
        var correlationID: Int32 = 0
        try codec.int32(&correlationID, "CorrelationId")
        try codec.emptyTaggedFields()
        buffer = codec.buffer
        return KafkaResponseHeader(correlationID: correlationID)
    }

    /// The correlation id of a response frame (without size prefix), without decoding further:
    /// the first four bytes in every header version.
    public static func peekCorrelationID(_ frame: ByteBuffer) throws -> Int32 {
        guard let id = frame.getInteger(at: frame.readerIndex, as: Int32.self) else {
            throw KafkaProtocolError(code: .truncated, message: "frame shorter than a correlation id", field: "CorrelationId")
        }
        return id
    }
}

/// Hands out correlation ids: increasing, wrapping from `Int32.max` back to 0.
public struct KafkaCorrelationIDs: Sendable {
    public private(set) var nextID: Int32

    public init(startingAt first: Int32 = 0) { nextID = first }

    public mutating func next() -> Int32 {
        defer { nextID = nextID == .max ? 0 : nextID + 1 }
        return nextID
    }
}
