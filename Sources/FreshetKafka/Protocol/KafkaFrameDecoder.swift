import NIOCore

/// Splits a byte stream into Kafka frames (a 4-byte big-endian size, then that many bytes).
///
/// Sans-IO: feed whatever arrived, in pieces of any size, then call `next()` until it
/// returns `nil`.
public struct KafkaFrameDecoder: Sendable {
    /// Frames larger than this are refused. Defaults to 100 MiB (Kafka's
    /// `socket.request.max.bytes`).
    public var maximumFrameSize: Int
    private var buffer: ByteBuffer

    public init(maximumFrameSize: Int = 100 * 1024 * 1024) {
        self.maximumFrameSize = maximumFrameSize
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

    /// The next complete frame without its size prefix, or `nil` if more input is needed.
    public mutating func next() throws -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard size >= 0, Int(size) <= maximumFrameSize else {
            throw KafkaProtocolError(
                code: .frameTooLarge, message: "frame size \(size) is outside 0...\(maximumFrameSize)", field: "Size")
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let frame = buffer.readSlice(length: Int(size)) else { return nil }
        // Compact only now and then: discarding after every frame would move the rest of a
        // large read once per frame.
        if buffer.readableBytes == 0 || buffer.readerIndex >= 1 << 16 {
            buffer.discardReadBytes()
        }
        return frame
    }
}

/// `KafkaFrameDecoder` as a NIO `ByteToMessageDecoder`: emits each frame (without its size
/// prefix) as a `ByteBuffer`.
public struct KafkaFrameByteToMessageDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// Frames larger than this are refused. Defaults to 100 MiB.
    public let maximumFrameSize: Int

    public init(maximumFrameSize: Int = 100 * 1024 * 1024) {
        self.maximumFrameSize = maximumFrameSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= 0, Int(size) <= maximumFrameSize else {
            throw KafkaProtocolError(
                code: .frameTooLarge, message: "frame size \(size) is outside 0...\(maximumFrameSize)", field: "Size")
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let frame = buffer.readSlice(length: Int(size)) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
