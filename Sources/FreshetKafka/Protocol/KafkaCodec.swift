import NIOCore

/// A Kafka message or embedded structure that can be written to and read from the wire.
///
/// One `code(_:)` function describes the schema for both directions: when the codec encodes,
/// each call writes the field; when it decodes, each call reads into it. Encode and decode can
/// therefore never disagree about field order or version gates.
public protocol KafkaWireStruct: Sendable, Hashable {
    /// A value with every field at its schema default.
    init()
    /// Reads or writes every field, in schema order, for `codec.version`.
    mutating func code(_ codec: inout KafkaCodec) throws
}

/// Reads or writes Kafka primitive types over a `ByteBuffer`.
///
/// In flexible versions strings, bytes and arrays use the compact (unsigned varint) forms and
/// structures end with a tagged-field section. All reads are bounds-checked and throw
/// `KafkaProtocolError` on truncated or malformed input.
public struct KafkaCodec {
    /// The bytes written so far (encoding) or not yet read (decoding).
    public internal(set) var buffer: ByteBuffer
    /// `true` when reading from `buffer`, `false` when writing to it.
    public let isDecoding: Bool
    /// The message version being processed.
    public let version: Int16
    /// Whether `version` uses compact encodings and tagged fields.
    public let flexible: Bool
    /// The API being processed, for error context.
    public let api: ApiKey?

    /// A codec that appends to `buffer`.
    public init(encodingInto buffer: ByteBuffer, version: Int16, flexible: Bool, api: ApiKey? = nil) {
        self.buffer = buffer
        self.isDecoding = false
        self.version = version
        self.flexible = flexible
        self.api = api
    }

    /// A codec that reads from `buffer`'s readable bytes.
    public init(decoding buffer: ByteBuffer, version: Int16, flexible: Bool, api: ApiKey? = nil) {
        self.buffer = buffer
        self.isDecoding = true
        self.version = version
        self.flexible = flexible
        self.api = api
    }

    /// Whether the codec is writing.
    public var isEncoding: Bool { !isDecoding }

    /// Most elements an array decode reserves room for before decoding them; larger arrays
    /// grow as their elements actually arrive.
    static let maximumArrayReservation = 1024

    func error(_ code: KafkaProtocolError.Code, _ message: String, _ field: StaticString) -> KafkaProtocolError {
        KafkaProtocolError(code: code, message: message, api: api, version: version, field: "\(field)")
    }

    // MARK: Fixed-width integers

    mutating func readFixed<T: FixedWidthInteger>(_: T.Type, _ field: StaticString) throws -> T {
        guard let v = buffer.readInteger(as: T.self) else {
            throw error(.truncated, "needs \(MemoryLayout<T>.size) bytes, \(buffer.readableBytes) left", field)
        }
        return v
    }

    mutating func fixed<T: FixedWidthInteger>(_ value: inout T, _ field: StaticString) throws {
        if isDecoding {
            value = try readFixed(T.self, field)
        } else {
            buffer.writeInteger(value)
        }
    }

    public mutating func int8(_ value: inout Int8, _ field: StaticString) throws { try fixed(&value, field) }
    public mutating func int16(_ value: inout Int16, _ field: StaticString) throws { try fixed(&value, field) }
    public mutating func int32(_ value: inout Int32, _ field: StaticString) throws { try fixed(&value, field) }
    public mutating func int64(_ value: inout Int64, _ field: StaticString) throws { try fixed(&value, field) }
    public mutating func uint16(_ value: inout UInt16, _ field: StaticString) throws { try fixed(&value, field) }
    public mutating func uint32(_ value: inout UInt32, _ field: StaticString) throws { try fixed(&value, field) }

    /// A boolean: one byte, 0 is false and anything else is true (as the Java client reads it).
    public mutating func bool(_ value: inout Bool, _ field: StaticString) throws {
        if isDecoding {
            value = try readFixed(UInt8.self, field) != 0
        } else {
            buffer.writeInteger(UInt8(value ? 1 : 0))
        }
    }

    public mutating func uuid(_ value: inout KafkaUUID, _ field: StaticString) throws {
        try fixed(&value.high, field)
        try fixed(&value.low, field)
    }

    // MARK: Varints

    /// Unsigned LEB128 varint (at most 5 bytes).
    public mutating func unsignedVarint(_ value: inout UInt32, _ field: StaticString) throws {
        if isDecoding {
            value = try readUnsignedVarint(field)
        } else {
            buffer.writeKafkaUnsignedVarint(value)
        }
    }

    /// Zigzag-encoded signed 32-bit varint.
    public mutating func varint(_ value: inout Int32, _ field: StaticString) throws {
        if isDecoding {
            let raw = try readUnsignedVarint(field)
            value = Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        } else {
            buffer.writeKafkaVarint(value)
        }
    }

    /// Zigzag-encoded signed 64-bit varlong.
    public mutating func varlong(_ value: inout Int64, _ field: StaticString) throws {
        if isDecoding {
            let raw = try readUnsignedVarlong(field)
            value = Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        } else {
            buffer.writeKafkaVarlong(value)
        }
    }

    mutating func readUnsignedVarint(_ field: StaticString) throws -> UInt32 {
        var result: UInt32 = 0
        for i in 0..<5 {
            guard let byte = buffer.readInteger(as: UInt8.self) else {
                throw error(.truncated, "varint ends early", field)
            }
            if i == 4 && byte > 0x0F {
                throw error(.invalidValue, "varint is longer than 32 bits", field)
            }
            result |= UInt32(byte & 0x7F) << (7 * UInt32(i))
            if byte & 0x80 == 0 { return result }
        }
        throw error(.invalidValue, "varint is longer than 5 bytes", field)
    }

    mutating func readUnsignedVarlong(_ field: StaticString) throws -> UInt64 {
        var result: UInt64 = 0
        for i in 0..<10 {
            guard let byte = buffer.readInteger(as: UInt8.self) else {
                throw error(.truncated, "varlong ends early", field)
            }
            if i == 9 && byte > 0x01 {
                throw error(.invalidValue, "varlong is longer than 64 bits", field)
            }
            result |= UInt64(byte & 0x7F) << (7 * UInt64(i))
            if byte & 0x80 == 0 { return result }
        }
        throw error(.invalidValue, "varlong is longer than 10 bytes", field)
    }

    // MARK: Lengths

    /// Reads a length prefix in the current (compact or classic) form; `nil` means null.
    /// `classicWidth` is 2 for strings and 4 for bytes and arrays.
    mutating func readLength(classicWidth: Int, nullable: Bool, _ field: StaticString) throws -> Int? {
        let length: Int
        if flexible {
            length = Int(try readUnsignedVarint(field)) - 1
        } else if classicWidth == 2 {
            length = Int(try readFixed(Int16.self, field))
        } else {
            length = Int(try readFixed(Int32.self, field))
        }
        if length < 0 {
            guard nullable, length == -1 else {
                throw error(.invalidLength, "length \(length) is not allowed here", field)
            }
            return nil
        }
        return length
    }

    mutating func writeLength(_ length: Int?, classicWidth: Int, _ field: StaticString) throws {
        let limit = classicWidth == 2 ? Int(Int16.max) : Int(Int32.max) - 1
        if let length, length > limit {
            throw error(.invalidValue, "length \(length) is above \(limit)", field)
        }
        if flexible {
            buffer.writeKafkaUnsignedVarint(UInt32((length ?? -1) + 1))
        } else if classicWidth == 2 {
            buffer.writeInteger(Int16(length ?? -1))
        } else {
            buffer.writeInteger(Int32(length ?? -1))
        }
    }

    // MARK: Strings and bytes

    public mutating func string(_ value: inout String, _ field: StaticString) throws {
        var optional: String? = value
        try string(&optional, nullable: false, field)
        value = optional ?? ""
    }

    public mutating func nullableString(_ value: inout String?, _ field: StaticString) throws {
        try string(&value, nullable: true, field)
    }

    mutating func string(_ value: inout String?, nullable: Bool, _ field: StaticString) throws {
        if isDecoding {
            guard let length = try readLength(classicWidth: 2, nullable: nullable, field) else {
                value = nil
                return
            }
            guard let s = buffer.readString(length: length) else {
                throw error(.truncated, "string of \(length) bytes, \(buffer.readableBytes) left", field)
            }
            value = s
        } else {
            guard let value else {
                guard nullable else { throw error(.invalidValue, "null in a non-nullable string", field) }
                try writeLength(nil, classicWidth: 2, field)
                return
            }
            try writeLength(value.utf8.count, classicWidth: 2, field)
            buffer.writeString(value)
        }
    }

    public mutating func bytes(_ value: inout ByteBuffer, _ field: StaticString) throws {
        var optional: ByteBuffer? = value
        try bytes(&optional, nullable: false, field)
        value = optional ?? ByteBuffer()
    }

    public mutating func nullableBytes(_ value: inout ByteBuffer?, _ field: StaticString) throws {
        try bytes(&value, nullable: true, field)
    }

    mutating func bytes(_ value: inout ByteBuffer?, nullable: Bool, _ field: StaticString) throws {
        if isDecoding {
            guard let length = try readLength(classicWidth: 4, nullable: nullable, field) else {
                value = nil
                return
            }
            guard let slice = buffer.readSlice(length: length) else {
                throw error(.truncated, "bytes of length \(length), \(buffer.readableBytes) left", field)
            }
            value = slice
        } else {
            guard let value else {
                guard nullable else { throw error(.invalidValue, "null in non-nullable bytes", field) }
                try writeLength(nil, classicWidth: 4, field)
                return
            }
            try writeLength(value.readableBytes, classicWidth: 4, field)
            buffer.writeImmutableBuffer(value)
        }
    }

    // MARK: Arrays

    /// An array whose elements are processed by `element`; `blank` seeds each decoded element.
    public mutating func array<T>(
        _ value: inout [T]?, nullable: Bool, _ field: StaticString, blank: T,
        _ element: (inout KafkaCodec, inout T) throws -> Void
    ) throws {
        if isDecoding {
            guard let count = try readLength(classicWidth: 4, nullable: nullable, field) else {
                value = nil
                return
            }
            // Every element takes at least one byte: refuse counts the input cannot hold
            // before allocating anything.
            guard count <= buffer.readableBytes else {
                throw error(.truncated, "array of \(count) elements, \(buffer.readableBytes) bytes left", field)
            }
            // An element may be far larger in memory than its shortest wire form (an empty
            // struct of several arrays is 1 byte in flexible versions), so reserve only a
            // little up front and let what actually decodes grow the array.
            var result: [T] = []
            result.reserveCapacity(Swift.min(count, Self.maximumArrayReservation))
            for index in 0..<count {
                let before = buffer.readerIndex
                var item = blank
                try element(&self, &item)
                // An element that consumed nothing could be repeated `count` times for free.
                guard buffer.readerIndex > before else {
                    throw error(.invalidValue, "element \(index) of \(count) takes no bytes", field)
                }
                result.append(item)
            }
            value = result
        } else {
            guard var items = value else {
                guard nullable else { throw error(.invalidValue, "null in a non-nullable array", field) }
                try writeLength(nil, classicWidth: 4, field)
                return
            }
            try writeLength(items.count, classicWidth: 4, field)
            for i in items.indices {
                try element(&self, &items[i])
            }
        }
    }

    public mutating func array<T: KafkaWireStruct>(_ value: inout [T], _ field: StaticString) throws {
        var optional: [T]? = value
        try array(&optional, nullable: false, field, blank: T()) { c, item in try item.code(&c) }
        value = optional ?? []
    }

    public mutating func nullableArray<T: KafkaWireStruct>(_ value: inout [T]?, _ field: StaticString) throws {
        try array(&value, nullable: true, field, blank: T()) { c, item in try item.code(&c) }
    }

    public mutating func int32Array(_ value: inout [Int32], _ field: StaticString) throws {
        var optional: [Int32]? = value
        try array(&optional, nullable: false, field, blank: 0) { c, item in try c.int32(&item, field) }
        value = optional ?? []
    }

    public mutating func int64Array(_ value: inout [Int64], _ field: StaticString) throws {
        var optional: [Int64]? = value
        try array(&optional, nullable: false, field, blank: 0) { c, item in try c.int64(&item, field) }
        value = optional ?? []
    }

    public mutating func stringArray(_ value: inout [String], _ field: StaticString) throws {
        var optional: [String]? = value
        try array(&optional, nullable: false, field, blank: "") { c, item in try c.string(&item, field) }
        value = optional ?? []
    }

    // MARK: Tagged fields

    /// The tagged-field section of a structure with no tags this module uses: writes an empty
    /// section, or reads and skips every tag. Does nothing in non-flexible versions.
    public mutating func emptyTaggedFields() throws {
        guard flexible else { return }
        if isDecoding {
            try readTaggedFields { _, _ in false }
        } else {
            buffer.writeKafkaUnsignedVarint(0)
        }
    }

    /// Reads a tagged-field section. `known` gets each tag with a codec over exactly that
    /// tag's bytes and returns `false` for tags it does not know, which are skipped.
    public mutating func readTaggedFields(_ known: (inout KafkaCodec, UInt32) throws -> Bool) throws {
        let count = try readUnsignedVarint("TaggedFields")
        guard count <= buffer.readableBytes else {
            throw error(.truncated, "\(count) tagged fields, \(buffer.readableBytes) bytes left", "TaggedFields")
        }
        var previous: UInt32? = nil
        for _ in 0..<count {
            let tag = try readUnsignedVarint("TaggedFields")
            if let previous, tag <= previous {
                throw error(.invalidValue, "tag \(tag) follows tag \(previous)", "TaggedFields")
            }
            previous = tag
            let size = Int(try readUnsignedVarint("TaggedFields"))
            guard let slice = buffer.readSlice(length: size) else {
                throw error(.truncated, "tag \(tag) of \(size) bytes, \(buffer.readableBytes) left", "TaggedFields")
            }
            var sub = KafkaCodec(decoding: slice, version: version, flexible: flexible, api: api)
            if try known(&sub, tag), sub.buffer.readableBytes != 0 {
                throw error(.invalidLength, "tag \(tag) has \(sub.buffer.readableBytes) unread bytes", "TaggedFields")
            }
        }
    }

    /// Starts a tagged-field section of `count` fields; follow with `count` calls of
    /// `writeTaggedField`, in ascending tag order.
    public mutating func writeTaggedFieldCount(_ count: Int) {
        buffer.writeKafkaUnsignedVarint(UInt32(count))
    }

    /// Writes one tagged field: its tag, its size and the bytes `body` encodes.
    public mutating func writeTaggedField(_ tag: UInt32, _ body: (inout KafkaCodec) throws -> Void) throws {
        var sub = KafkaCodec(encodingInto: ByteBuffer(), version: version, flexible: flexible, api: api)
        try body(&sub)
        buffer.writeKafkaUnsignedVarint(tag)
        buffer.writeKafkaUnsignedVarint(UInt32(sub.buffer.readableBytes))
        buffer.writeImmutableBuffer(sub.buffer)
    }
}

extension ByteBuffer {
    /// Writes an unsigned LEB128 varint.
    public mutating func writeKafkaUnsignedVarint(_ value: UInt32) {
        var v = value
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(v))
    }

    /// Writes a zigzag-encoded signed varint (Kafka's record fields).
    public mutating func writeKafkaVarint(_ value: Int32) {
        writeKafkaUnsignedVarint(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    /// Writes a zigzag-encoded signed varlong.
    public mutating func writeKafkaVarlong(_ value: Int64) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(v))
    }
}

extension KafkaWireStruct {
    /// Encodes `self` at `version` into a new buffer.
    public func encoded(version: Int16, flexible: Bool, api: ApiKey? = nil) throws -> ByteBuffer {
        var copy = self
        var codec = KafkaCodec(encodingInto: ByteBuffer(), version: version, flexible: flexible, api: api)
        try copy.code(&codec)
        return codec.buffer
    }

    /// Decodes a value at `version` from `buffer`, which must hold exactly one value.
    public init(decoding buffer: ByteBuffer, version: Int16, flexible: Bool, api: ApiKey? = nil) throws {
        var codec = KafkaCodec(decoding: buffer, version: version, flexible: flexible, api: api)
        var value = Self()
        try value.code(&codec)
        guard codec.buffer.readableBytes == 0 else {
            throw KafkaProtocolError(
                code: .trailingBytes, message: "\(codec.buffer.readableBytes) bytes left after the message",
                api: api, version: version)
        }
        self = value
    }
}
