import NIOCore

/// A Kafka request body. Its `Response` is the matching response body.
public protocol KafkaRequest: KafkaWireStruct {
    associatedtype Response: KafkaWireStruct
    static var apiKey: ApiKey { get }
    /// The versions this module encodes and decodes.
    static var supportedVersions: ClosedRange<Int16> { get }
    /// The first flexible version (compact encodings, tagged fields), or `nil` if none.
    static var firstFlexibleVersion: Int16? { get }
}

extension KafkaRequest {
    /// Whether `version` is flexible.
    public static func isFlexible(_ version: Int16) -> Bool {
        guard let first = firstFlexibleVersion else { return false }
        return version >= first
    }

    /// Request header version for `version`: 2 when flexible, else 1.
    public static func requestHeaderVersion(_ version: Int16) -> Int16 { isFlexible(version) ? 2 : 1 }

    /// Response header version for `version`: 1 when flexible, else 0. ApiVersions always
    /// answers with header v0 so that a client can read it whatever version it sent.
    public static func responseHeaderVersion(_ version: Int16) -> Int16 {
        apiKey == .apiVersions ? 0 : (isFlexible(version) ? 1 : 0)
    }

    static func check(_ version: Int16) throws {
        guard supportedVersions.contains(version) else {
            throw KafkaProtocolError(
                code: .unsupportedVersion,
                message: "\(apiKey) v\(version) is not implemented (supported: \(supportedVersions.lowerBound)-\(supportedVersions.upperBound))",
                api: apiKey, version: version)
        }
    }

    /// The request body at `version` (no header, no size prefix).
    public func encodeBody(version: Int16) throws -> ByteBuffer {
        try Self.check(version)
        return try encoded(version: version, flexible: Self.isFlexible(version), api: Self.apiKey)
    }

    /// Decodes a request body at `version`.
    public static func decodeBody(_ buffer: ByteBuffer, version: Int16) throws -> Self {
        try check(version)
        return try Self(decoding: buffer, version: version, flexible: isFlexible(version), api: apiKey)
    }

    /// Encodes a response body at `version`.
    public static func encodeResponseBody(_ response: Response, version: Int16) throws -> ByteBuffer {
        try check(version)
        return try response.encoded(version: version, flexible: isFlexible(version), api: apiKey)
    }

    /// Decodes a response body at `version`.
    public static func decodeResponseBody(_ buffer: ByteBuffer, version: Int16) throws -> Response {
        try check(version)
        return try Response(decoding: buffer, version: version, flexible: isFlexible(version), api: apiKey)
    }
}

/// Whole frames: 4-byte size prefix, header, body.
public enum KafkaWire {
    /// A complete request frame, size prefix included, ready to write to a socket.
    public static func encodeRequest<R: KafkaRequest>(
        _ request: R, version: Int16, correlationID: Int32, clientID: String?
    ) throws -> ByteBuffer {
        let header = KafkaRequestHeader(
            apiKey: R.apiKey, apiVersion: version, correlationID: correlationID, clientID: clientID)
        var frame = ByteBuffer()
        frame.writeInteger(Int32(0))
        try header.encode(into: &frame, headerVersion: R.requestHeaderVersion(version))
        frame.writeImmutableBuffer(try request.encodeBody(version: version))
        frame.setInteger(try frameSize(frame, api: R.apiKey, version: version), at: frame.readerIndex)
        return frame
    }

    /// Decodes a request frame (without its size prefix) whose header says it is an `R`.
    public static func decodeRequest<R: KafkaRequest>(
        _ frame: ByteBuffer, as _: R.Type
    ) throws -> (header: KafkaRequestHeader, body: R) {
        var buffer = frame
        let header = try KafkaRequestHeader.decode(from: &buffer)
        guard header.apiKey == R.apiKey else {
            throw KafkaProtocolError(
                code: .invalidValue, message: "frame is \(header.apiKey), expected \(R.apiKey)",
                api: header.apiKey, version: header.apiVersion, field: "RequestApiKey")
        }
        return (header, try R.decodeBody(buffer, version: header.apiVersion))
    }

    /// A complete response frame, size prefix included.
    public static func encodeResponse<R: KafkaRequest>(
        _ response: R.Response, to _: R.Type, version: Int16, correlationID: Int32
    ) throws -> ByteBuffer {
        var frame = ByteBuffer()
        frame.writeInteger(Int32(0))
        KafkaResponseHeader(correlationID: correlationID)
            .encode(into: &frame, headerVersion: R.responseHeaderVersion(version))
        frame.writeImmutableBuffer(try R.encodeResponseBody(response, version: version))
        frame.setInteger(try frameSize(frame, api: R.apiKey, version: version), at: frame.readerIndex)
        return frame
    }

    /// The size prefix of `frame` (its bytes after the prefix), which must fit an Int32.
    private static func frameSize(_ frame: ByteBuffer, api: ApiKey, version: Int16) throws -> Int32 {
        guard let size = Int32(exactly: frame.readableBytes - 4) else {
            throw KafkaProtocolError(
                code: .invalidValue, message: "a frame of \(frame.readableBytes - 4) bytes does not fit a 32-bit size",
                api: api, version: version, field: "Size")
        }
        return size
    }

    /// Decodes a response frame (without its size prefix) to a request of type `R` sent at
    /// `version`. The caller matches `header.correlationID` to what it sent.
    public static func decodeResponse<R: KafkaRequest>(
        _ frame: ByteBuffer, to _: R.Type, version: Int16
    ) throws -> (header: KafkaResponseHeader, body: R.Response) {
        var buffer = frame
        let header = try KafkaResponseHeader.decode(
            from: &buffer, headerVersion: R.responseHeaderVersion(version), api: R.apiKey, version: version)
        return (header, try R.decodeResponseBody(buffer, version: version))
    }
}

extension KafkaCodec {
    /// An `ErrorCode` field.
    public mutating func errorCode(_ value: inout KafkaErrorCode, _ field: StaticString) throws {
        try int16(&value.rawValue, field)
    }
}
