/// An error decoding or encoding Kafka record batches or their compressed payloads.
///
/// `code` says what went wrong, `message` says it in words a user can act on, and the
/// context fields say where: the batch's base offset, the codec, the byte position.
public struct KafkaRecordsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable, Hashable {
            case truncated, corruptBatch, crcMismatch, unsupportedMagic, legacyMessageFormat
            case unsupportedCompression, corruptCompressedData, malformedVarint, invalidRecord
            case encodingLimit
        }
        fileprivate let base: Base
        public var description: String { base.rawValue }

        /// The input ends inside a structure that claimed to be longer.
        public static let truncated = Code(base: .truncated)
        /// A batch header or record is internally inconsistent (bad length, count, delta).
        public static let corruptBatch = Code(base: .corruptBatch)
        /// The CRC-32C stored in a batch does not match its bytes.
        public static let crcMismatch = Code(base: .crcMismatch)
        /// The batch's magic byte is not 0, 1 or 2.
        public static let unsupportedMagic = Code(base: .unsupportedMagic)
        /// A legacy message set (magic 0 or 1), which Freshet does not decode.
        public static let legacyMessageFormat = Code(base: .legacyMessageFormat)
        /// The batch's attributes name a compression codec id Kafka doesn't define (5–7).
        public static let unsupportedCompression = Code(base: .unsupportedCompression)
        /// The compressed payload is malformed (bad frame, checksum, or block).
        public static let corruptCompressedData = Code(base: .corruptCompressedData)
        /// A varint is longer than its type allows.
        public static let malformedVarint = Code(base: .malformedVarint)
        /// A record inside a batch is malformed (bad length, header key not UTF-8, …).
        public static let invalidRecord = Code(base: .invalidRecord)
        /// The input cannot be represented (more than Int32.max bytes or records).
        public static let encodingLimit = Code(base: .encodingLimit)
    }

    /// What went wrong.
    public var code: Code
    /// A sentence a user can act on.
    public var message: String
    /// The base offset of the batch being decoded, when known.
    public var baseOffset: Int64?
    /// The compression codec involved, when relevant.
    public var codec: KafkaCompression?
    /// Byte position in the input where the problem was found, when known.
    public var position: Int?
    /// The batch or record field holding the bad value (`"BaseOffset"`, `"OffsetDelta"`, …),
    /// when one does.
    public var field: String?

    public init(
        _ code: Code, _ message: String, baseOffset: Int64? = nil, codec: KafkaCompression? = nil, position: Int? = nil,
        field: String? = nil
    ) {
        self.code = code
        self.message = message
        self.baseOffset = baseOffset
        self.codec = codec
        self.position = position
        self.field = field
    }

    public var description: String {
        var context: [String] = []
        if let baseOffset { context.append("base offset \(baseOffset)") }
        if let codec { context.append("codec \(codec)") }
        if let position { context.append("byte \(position)") }
        if let field { context.append("field \(field)") }
        return "KafkaRecordsError.\(code): \(message)" + (context.isEmpty ? "" : " (\(context.joined(separator: ", ")))")
    }
}
