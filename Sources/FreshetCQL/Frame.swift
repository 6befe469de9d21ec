import NIOCore

/// A frame's opcode (spec section 2.4).
public struct CQLOpcode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let error = CQLOpcode(rawValue: 0x00)
    public static let startup = CQLOpcode(rawValue: 0x01)
    public static let ready = CQLOpcode(rawValue: 0x02)
    public static let authenticate = CQLOpcode(rawValue: 0x03)
    public static let options = CQLOpcode(rawValue: 0x05)
    public static let supported = CQLOpcode(rawValue: 0x06)
    public static let query = CQLOpcode(rawValue: 0x07)
    public static let result = CQLOpcode(rawValue: 0x08)
    public static let prepare = CQLOpcode(rawValue: 0x09)
    public static let execute = CQLOpcode(rawValue: 0x0A)
    public static let register = CQLOpcode(rawValue: 0x0B)
    public static let event = CQLOpcode(rawValue: 0x0C)
    public static let batch = CQLOpcode(rawValue: 0x0D)
    public static let authChallenge = CQLOpcode(rawValue: 0x0E)
    public static let authResponse = CQLOpcode(rawValue: 0x0F)
    public static let authSuccess = CQLOpcode(rawValue: 0x10)

    static let names: [UInt8: String] = [
        0x00: "ERROR", 0x01: "STARTUP", 0x02: "READY", 0x03: "AUTHENTICATE", 0x05: "OPTIONS",
        0x06: "SUPPORTED", 0x07: "QUERY", 0x08: "RESULT", 0x09: "PREPARE", 0x0A: "EXECUTE",
        0x0B: "REGISTER", 0x0C: "EVENT", 0x0D: "BATCH", 0x0E: "AUTH_CHALLENGE",
        0x0F: "AUTH_RESPONSE", 0x10: "AUTH_SUCCESS",
    ]

    /// Whether protocol v4 defines this opcode.
    public var isKnown: Bool { Self.names[rawValue] != nil }

    /// The spec's name ("QUERY"), or "0xNN".
    public var description: String { Self.names[rawValue] ?? "0x" + String(rawValue, radix: 16) }
}

/// The header's flags byte (spec section 2.2). Unknown bits are kept as they are.
public struct CQLFrameFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The body is compressed with the algorithm agreed in STARTUP.
    public static let compression = CQLFrameFlags(rawValue: 0x01)
    /// Request: trace this request. Response: the body starts with a tracing id.
    public static let tracing = CQLFrameFlags(rawValue: 0x02)
    /// A [bytes map] custom payload precedes the message body.
    public static let customPayload = CQLFrameFlags(rawValue: 0x04)
    /// Response: a [string list] of warnings precedes the message body.
    public static let warning = CQLFrameFlags(rawValue: 0x08)
    /// The client opts into a beta protocol version (v5 when it was beta). Unused in v4.
    public static let useBeta = CQLFrameFlags(rawValue: 0x10)
}

/// Which way a frame travels: the top bit of the version byte.
public enum CQLDirection: Sendable, Hashable {
    /// Client to server (bit clear).
    case request
    /// Server to client (bit set).
    case response
}

/// The 9-byte header of a protocol v3+ frame.
public struct CQLFrameHeader: Sendable, Hashable {
    /// Size of a v3/v4/v5 header.
    public static let size = 9
    /// The protocol version this module speaks.
    public static let protocolVersion: UInt8 = 4

    /// The protocol version, without the direction bit.
    public var version: UInt8
    public var direction: CQLDirection
    public var flags: CQLFrameFlags
    /// The request's stream; responses echo it. Events use -1.
    public var streamID: Int16
    public var opcode: CQLOpcode
    /// Length of the body that follows the header.
    public var bodyLength: Int32

    public init(
        version: UInt8 = CQLFrameHeader.protocolVersion, direction: CQLDirection, flags: CQLFrameFlags = [],
        streamID: Int16, opcode: CQLOpcode, bodyLength: Int32
    ) {
        self.version = version
        self.direction = direction
        self.flags = flags
        self.streamID = streamID
        self.opcode = opcode
        self.bodyLength = bodyLength
    }

    /// The first byte on the wire: version with the direction bit.
    public var versionByte: UInt8 { version | (direction == .response ? 0x80 : 0) }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(versionByte)
        buffer.writeInteger(flags.rawValue)
        buffer.writeInteger(streamID)
        buffer.writeInteger(opcode.rawValue)
        buffer.writeInteger(bodyLength)
    }

    /// Reads a header without checking the version or the length; `nil` if fewer than 9
    /// bytes are readable.
    public static func read(from buffer: inout ByteBuffer) -> CQLFrameHeader? {
        guard
            let (versionByte, flags, stream, opcode, length) = buffer.readMultipleIntegers(
                as: (UInt8, UInt8, Int16, UInt8, Int32).self)
        else { return nil }
        return CQLFrameHeader(
            version: versionByte & 0x7F, direction: versionByte & 0x80 != 0 ? .response : .request,
            flags: CQLFrameFlags(rawValue: flags), streamID: stream, opcode: CQLOpcode(rawValue: opcode),
            bodyLength: length)
    }
}

/// One whole frame: its header and its body (still compressed if the flag says so).
public struct CQLFrame: Sendable, Hashable {
    public var header: CQLFrameHeader
    public var body: ByteBuffer

    /// `header.bodyLength` is set from `body`.
    public init(header: CQLFrameHeader, body: ByteBuffer) {
        self.header = header
        self.header.bodyLength = Int32(truncatingIfNeeded: body.readableBytes)
        self.body = body
    }

    /// Header and body, ready for a socket.
    public func encoded() -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(CQLFrameHeader.size + body.readableBytes)
        header.encode(into: &out)
        out.writeImmutableBuffer(body)
        return out
    }
}

/// Splits a byte stream into CQL v4 frames.
///
/// Sans-IO: `feed` whatever arrived, in pieces of any size, then call `next()` until it
/// returns `nil`. A frame of another protocol version throws `.unsupportedVersion` as soon as
/// its header is complete (before its body arrives), with the version and stream id a server
/// needs for `CQLProtocolError.unsupportedVersionResponse()`.
public struct CQLFrameDecoder: Sendable {
    /// Spec section 2.5: "currently a frame is limited to 256MB in length".
    public static let defaultMaximumBodyLength = 256 * 1024 * 1024

    /// Bodies longer than this are refused. Defaults to 256 MiB.
    public var maximumBodyLength: Int
    private var buffer: ByteBuffer

    public init(maximumBodyLength: Int = CQLFrameDecoder.defaultMaximumBodyLength) {
        self.maximumBodyLength = maximumBodyLength
        self.buffer = ByteBuffer()
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedBytes: Int { buffer.readableBytes }

    public mutating func feed(_ bytes: ByteBuffer) {
        var bytes = bytes
        buffer.writeBuffer(&bytes)
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        buffer.writeBytes(bytes)
    }

    /// The next complete frame, or `nil` if more input is needed.
    public mutating func next() throws -> CQLFrame? {
        guard let frame = try Self.decodeFrame(from: &buffer, maximumBodyLength: maximumBodyLength) else { return nil }
        // Compact only now and then: discarding after every frame would move the rest of a
        // large read once per frame.
        if buffer.readableBytes == 0 || buffer.readerIndex >= 1 << 16 {
            buffer.discardReadBytes()
        }
        return frame
    }

    /// Reads one frame from the front of `buffer`, or returns `nil` and leaves `buffer` as it
    /// was if the frame is not complete.
    public static func decodeFrame(from buffer: inout ByteBuffer, maximumBodyLength: Int) throws -> CQLFrame? {
        guard let versionByte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        let version = versionByte & 0x7F
        guard version == CQLFrameHeader.protocolVersion else {
            // v1 and v2 headers are 8 bytes with a one-byte stream id; v3 and later are 9 bytes
            // with a [short]. Wait for the stream id so the answer can go to the right stream.
            let stream: Int16?
            if version == 1 || version == 2 {
                stream = buffer.getInteger(at: buffer.readerIndex + 2, as: Int8.self).map(Int16.init)
            } else {
                stream = buffer.getInteger(at: buffer.readerIndex + 2, as: Int16.self)
            }
            guard let stream else { return nil }
            throw CQLProtocolError(
                code: .unsupportedVersion,
                message: "frame of protocol version \(version); only v\(CQLFrameHeader.protocolVersion) is supported",
                opcode: buffer.getInteger(at: buffer.readerIndex + (version < 3 ? 3 : 4), as: UInt8.self).map(CQLOpcode.init),
                protocolVersion: version, streamID: stream)
        }
        var peek = buffer
        guard let header = CQLFrameHeader.read(from: &peek) else { return nil }
        guard header.bodyLength >= 0, Int(header.bodyLength) <= maximumBodyLength else {
            throw CQLProtocolError(
                code: .frameTooLarge, message: "body length \(header.bodyLength) is outside 0...\(maximumBodyLength)",
                opcode: header.opcode, field: "length", streamID: header.streamID)
        }
        guard peek.readableBytes >= Int(header.bodyLength) else { return nil }
        buffer.moveReaderIndex(forwardBy: CQLFrameHeader.size)
        return CQLFrame(header: header, body: buffer.readSlice(length: Int(header.bodyLength))!)
    }
}

/// `CQLFrameDecoder` as a NIO `ByteToMessageDecoder`: emits each `CQLFrame`.
public struct CQLFrameByteToMessageDecoder: ByteToMessageDecoder {
    public typealias InboundOut = CQLFrame

    /// Bodies longer than this are refused. Defaults to 256 MiB.
    public let maximumBodyLength: Int

    public init(maximumBodyLength: Int = CQLFrameDecoder.defaultMaximumBodyLength) {
        self.maximumBodyLength = maximumBodyLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try CQLFrameDecoder.decodeFrame(from: &buffer, maximumBodyLength: maximumBodyLength) else {
            return .needMoreData
        }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
