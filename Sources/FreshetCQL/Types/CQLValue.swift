import NIOCore

/// A typed CQL value and its serialization (spec section 6). `nil`/`null` is represented
/// outside: a column value is a `CQLValue?`, a bound value a `CQLBindValue`.
///
/// `serialized()` writes the value without a length prefix; `init(decoding:as:)` reads the
/// bytes of one [bytes] cell given the column's type.
public indirect enum CQLValue: Sendable, Hashable {
    case ascii(String)
    case bigint(Int64)
    case blob([UInt8])
    case boolean(Bool)
    case counter(Int64)
    case decimal(CQLDecimal)
    case double(Double)
    case float(Float)
    case int(Int32)
    /// Milliseconds since the Unix epoch.
    case timestamp(Int64)
    case uuid(CQLUUID)
    /// `text`/`varchar`.
    case text(String)
    case varint(CQLVarint)
    case timeuuid(CQLUUID)
    case inet(CQLInetAddress)
    case date(CQLDate)
    /// Nanoseconds since midnight, 0...86_399_999_999_999.
    case time(Int64)
    case smallint(Int16)
    case tinyint(Int8)
    case duration(CQLDuration)
    case list([CQLValue])
    case set([CQLValue])
    /// Entries in wire order.
    case map([CQLMapEntry])
    /// One value per component; `nil` is a null component.
    case tuple([CQLValue?])
    /// One value per field, in the type's field order; a UDT value may have fewer values
    /// than the type has fields.
    case udt([CQLValue?])
    /// The raw bytes of a custom type.
    case custom([UInt8])

    /// The value's bytes, without a length prefix.
    public func serialized() -> ByteBuffer {
        var buffer = ByteBuffer()
        encode(into: &buffer)
        return buffer
    }

    /// How many bytes `serialized()` has, without serializing.
    public var serializedSize: Int {
        switch self {
        case .ascii(let s), .text(let s): s.utf8.count
        case .bigint, .counter, .timestamp, .time, .double: 8
        case .blob(let b), .custom(let b): b.count
        case .boolean, .tinyint: 1
        case .decimal(let d): 4 + d.unscaled.bytes.count
        case .float, .int, .date: 4
        case .uuid, .timeuuid: 16
        case .varint(let v): v.bytes.count
        case .inet(let a): a.bytes.count
        case .smallint: 2
        case .duration(let d): Self.vintSize(Int64(d.months)) + Self.vintSize(Int64(d.days)) + Self.vintSize(d.nanoseconds)
        case .list(let es), .set(let es): es.reduce(4) { $0 + 4 + $1.serializedSize }
        case .map(let entries): entries.reduce(4) { $0 + 8 + $1.key.serializedSize + $1.value.serializedSize }
        case .tuple(let es), .udt(let es): es.reduce(0) { $0 + 4 + ($1?.serializedSize ?? 0) }
        }
    }

    static func vintSize(_ value: Int64) -> Int {
        let zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        return (639 - (zigzag | 1).leadingZeroBitCount * 9) >> 6
    }

    /// Appends the value's bytes, without a length prefix.
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .ascii(let s), .text(let s): buffer.writeString(s)
        case .bigint(let v), .counter(let v), .timestamp(let v), .time(let v): buffer.writeInteger(v)
        case .blob(let b), .custom(let b): buffer.writeBytes(b)
        case .boolean(let v): buffer.writeInteger(UInt8(v ? 1 : 0))
        case .decimal(let d):
            buffer.writeInteger(d.scale)
            buffer.writeBytes(d.unscaled.bytes)
        case .double(let v): buffer.writeInteger(v.bitPattern)
        case .float(let v): buffer.writeInteger(v.bitPattern)
        case .int(let v): buffer.writeInteger(v)
        case .uuid(let u), .timeuuid(let u): buffer.writeCQLUUID(u)
        case .varint(let v): buffer.writeBytes(v.bytes)
        case .inet(let a): buffer.writeBytes(a.bytes)
        case .date(let d): buffer.writeInteger(d.rawValue)
        case .smallint(let v): buffer.writeInteger(v)
        case .tinyint(let v): buffer.writeInteger(v)
        case .duration(let d):
            buffer.writeCQLVInt(Int64(d.months))
            buffer.writeCQLVInt(Int64(d.days))
            buffer.writeCQLVInt(d.nanoseconds)
        case .list(let es), .set(let es):
            buffer.writeInteger(Int32(truncatingIfNeeded: es.count))
            for e in es { Self.writeElement(e, into: &buffer) }
        case .map(let entries):
            buffer.writeInteger(Int32(truncatingIfNeeded: entries.count))
            for e in entries {
                Self.writeElement(e.key, into: &buffer)
                Self.writeElement(e.value, into: &buffer)
            }
        case .tuple(let es), .udt(let es):
            for e in es { Self.writeElement(e, into: &buffer) }
        }
    }

    static func writeElement(_ value: CQLValue?, into buffer: inout ByteBuffer) {
        guard let value else {
            buffer.writeInteger(Int32(-1))
            return
        }
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        value.encode(into: &buffer)
        buffer.setInteger(Int32(truncatingIfNeeded: buffer.writerIndex - lengthIndex - 4), at: lengthIndex)
    }

    /// Values (the cell and the elements of its collections, tuples and UDTs) one cell may
    /// decode to: an element can take 4 bytes of input and tens of bytes of memory.
    public static let maximumValuesPerCell = 1 << 20

    /// Decodes the bytes of one cell of type `type`; every byte of `buffer` must belong to it.
    public init(decoding buffer: ByteBuffer, as type: CQLType) throws {
        var copy = buffer
        var budget = Self.maximumValuesPerCell
        self = try Self.decode(&copy, as: type, depth: 0, budget: &budget)
    }

    /// Decodes a column value: `nil` bytes (a null cell) give `nil`.
    public static func decode(_ bytes: ByteBuffer?, as type: CQLType) throws -> CQLValue? {
        guard let bytes else { return nil }
        return try CQLValue(decoding: bytes, as: type)
    }

    static func invalid(_ message: String) -> CQLProtocolError {
        CQLProtocolError(code: .invalidValue, message: message, field: "value")
    }

    static func fixed<T: FixedWidthInteger>(_ buffer: inout ByteBuffer, _: T.Type, _ type: CQLType) throws -> T {
        guard buffer.readableBytes == MemoryLayout<T>.size, let v = buffer.readInteger(as: T.self) else {
            throw invalid("\(type) takes \(MemoryLayout<T>.size) bytes, got \(buffer.readableBytes)")
        }
        return v
    }

    /// Decodes one value, counting it and each element against `budget`.
    static func decode(_ buffer: inout ByteBuffer, as type: CQLType, depth: Int, budget: inout Int) throws -> CQLValue {
        guard depth < CQLType.maximumDepth else {
            throw CQLProtocolError(code: .nestingTooDeep, message: "value nests deeper than \(CQLType.maximumDepth) levels", field: "value")
        }
        guard budget > 0 else {
            throw CQLProtocolError(code: .invalidLength, message: "more values than the decoder's limit", field: "value")
        }
        budget -= 1
        switch type {
        case .ascii:
            let bytes = buffer.readBytes(length: buffer.readableBytes)!
            guard bytes.allSatisfy({ $0 < 0x80 }) else { throw invalid("ascii value has a byte above 127") }
            return .ascii(String(decoding: bytes, as: UTF8.self))
        case .varchar:
            guard let s = String(validating: buffer.readableBytesView, as: UTF8.self) else {
                throw invalid("text value is not valid UTF-8")
            }
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .text(s)
        case .bigint: return .bigint(try fixed(&buffer, Int64.self, type))
        case .counter: return .counter(try fixed(&buffer, Int64.self, type))
        case .timestamp: return .timestamp(try fixed(&buffer, Int64.self, type))
        case .time:
            let ns = try fixed(&buffer, Int64.self, type)
            guard (0...86_399_999_999_999).contains(ns) else { throw invalid("time \(ns) is outside a day") }
            return .time(ns)
        case .blob: return .blob(buffer.readBytes(length: buffer.readableBytes)!)
        case .custom(let name) where name == CQLType.durationClassName:
            return try decode(&buffer, as: .duration, depth: depth, budget: &budget)
        case .custom: return .custom(buffer.readBytes(length: buffer.readableBytes)!)
        case .boolean: return .boolean(try fixed(&buffer, UInt8.self, type) != 0)
        case .int: return .int(try fixed(&buffer, Int32.self, type))
        case .smallint: return .smallint(try fixed(&buffer, Int16.self, type))
        case .tinyint: return .tinyint(try fixed(&buffer, Int8.self, type))
        case .double: return .double(Double(bitPattern: try fixed(&buffer, UInt64.self, type)))
        case .float: return .float(Float(bitPattern: try fixed(&buffer, UInt32.self, type)))
        case .date: return .date(CQLDate(rawValue: try fixed(&buffer, UInt32.self, type)))
        case .uuid, .timeuuid:
            guard buffer.readableBytes == 16 else { throw invalid("\(type) takes 16 bytes, got \(buffer.readableBytes)") }
            let u = try buffer.readCQLUUID("value")
            return type == .uuid ? .uuid(u) : .timeuuid(u)
        case .inet:
            guard let a = CQLInetAddress(bytes: buffer.readBytes(length: buffer.readableBytes)!) else {
                throw invalid("inet value must have 4 or 16 bytes")
            }
            return .inet(a)
        case .varint:
            guard buffer.readableBytes > 0 else { throw invalid("varint value is empty") }
            return .varint(CQLVarint(bytes: buffer.readBytes(length: buffer.readableBytes)!))
        case .decimal:
            guard buffer.readableBytes > 4 else { throw invalid("decimal value needs a scale and at least one byte") }
            let scale = try buffer.readCQLInt("value")
            return .decimal(CQLDecimal(unscaled: CQLVarint(bytes: buffer.readBytes(length: buffer.readableBytes)!), scale: scale))
        case .duration:
            let months = try buffer.readCQLVInt("value")
            let days = try buffer.readCQLVInt("value")
            let nanoseconds = try buffer.readCQLVInt("value")
            guard buffer.readableBytes == 0, let m = Int32(exactly: months), let d = Int32(exactly: days) else {
                throw invalid("duration value is malformed")
            }
            return .duration(CQLDuration(months: m, days: d, nanoseconds: nanoseconds))
        case .list(let element), .set(let element):
            let count = Int(try buffer.readCQLInt("value"))
            try buffer.checkCQLCount(count, minimumSize: 4, "value")
            var out: [CQLValue] = []
            out.reserveCapacity(count)
            for _ in 0..<count { out.append(try readElement(&buffer, as: element, depth: depth, budget: &budget)) }
            try expectEnd(buffer, type)
            return type == .list(element) ? .list(out) : .set(out)
        case .map(let keyType, let valueType):
            let count = Int(try buffer.readCQLInt("value"))
            try buffer.checkCQLCount(count, minimumSize: 8, "value")
            var out: [CQLMapEntry] = []
            out.reserveCapacity(count)
            for _ in 0..<count {
                let key = try readElement(&buffer, as: keyType, depth: depth, budget: &budget)
                out.append(CQLMapEntry(key: key, value: try readElement(&buffer, as: valueType, depth: depth, budget: &budget)))
            }
            try expectEnd(buffer, type)
            return .map(out)
        case .tuple(let types):
            var out: [CQLValue?] = []
            for t in types { out.append(try readNullableElement(&buffer, as: t, depth: depth, budget: &budget)) }
            try expectEnd(buffer, type)
            return .tuple(out)
        case .udt(let udt):
            var out: [CQLValue?] = []
            for field in udt.fields where buffer.readableBytes > 0 {
                out.append(try readNullableElement(&buffer, as: field.type, depth: depth, budget: &budget))
            }
            try expectEnd(buffer, type)
            return .udt(out)
        }
    }

    static func expectEnd(_ buffer: ByteBuffer, _ type: CQLType) throws {
        guard buffer.readableBytes == 0 else { throw invalid("\(buffer.readableBytes) bytes left after a \(type) value") }
    }

    static func readNullableElement(_ buffer: inout ByteBuffer, as type: CQLType, depth: Int, budget: inout Int) throws -> CQLValue? {
        guard var bytes = try buffer.readCQLBytes("value") else { return nil }
        return try decode(&bytes, as: type, depth: depth + 1, budget: &budget)
    }

    static func readElement(_ buffer: inout ByteBuffer, as type: CQLType, depth: Int, budget: inout Int) throws -> CQLValue {
        guard let value = try readNullableElement(&buffer, as: type, depth: depth, budget: &budget) else {
            throw invalid("null element in a collection")
        }
        return value
    }
}

/// One entry of a `map` value.
public struct CQLMapEntry: Sendable, Hashable {
    public var key: CQLValue
    public var value: CQLValue

    public init(key: CQLValue, value: CQLValue) {
        self.key = key
        self.value = value
    }
}

/// An arbitrary-precision integer in two's complement, big-endian (the `varint` type).
public struct CQLVarint: Sendable, Hashable, CustomStringConvertible {
    /// Two's complement, big-endian; never empty.
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes.isEmpty ? [0] : bytes
    }

    /// The shortest encoding of `value` (spec 6.23: 128 is 0x0080, -129 is 0xFF7F).
    public init(_ value: Int64) {
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * Int64($0))) }
        // Drop a leading byte while the next one carries the same sign.
        while bytes.count > 1,
            (bytes[0] == 0x00 && bytes[1] & 0x80 == 0) || (bytes[0] == 0xFF && bytes[1] & 0x80 != 0)
        {
            bytes.removeFirst()
        }
        self.bytes = bytes
    }

    /// The value, if it fits in 64 bits.
    public var int64Value: Int64? {
        let negative = bytes[0] & 0x80 != 0
        var significant = bytes[...]
        while significant.count > 8, significant.first == (negative ? 0xFF : 0x00) { significant = significant.dropFirst() }
        guard significant.count <= 8 else { return nil }
        var v: Int64 = negative ? -1 : 0
        for b in significant { v = v << 8 | Int64(b) }
        guard (v < 0) == negative else { return nil }
        return v
    }

    public var description: String { int64Value.map(String.init) ?? "0x" + bytes.map { String($0, radix: 16) }.joined() }
}

/// `unscaled × 10^-scale` (the `decimal` type).
public struct CQLDecimal: Sendable, Hashable {
    public var unscaled: CQLVarint
    public var scale: Int32

    public init(unscaled: CQLVarint, scale: Int32) {
        self.unscaled = unscaled
        self.scale = scale
    }
}

/// A day: the `date` type, whose wire form is an unsigned day number with the Unix epoch at 2^31.
public struct CQLDate: Sendable, Hashable {
    /// The wire value: `daysSinceEpoch + 2^31`.
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(daysSinceEpoch: Int32) {
        self.rawValue = UInt32(bitPattern: daysSinceEpoch) ^ 0x8000_0000
    }

    /// Days since 1970-01-01; negative before it.
    public var daysSinceEpoch: Int32 { Int32(bitPattern: rawValue ^ 0x8000_0000) }
}

/// The `duration` type: months, days and nanoseconds, each with its own sign.
public struct CQLDuration: Sendable, Hashable {
    public var months: Int32
    public var days: Int32
    public var nanoseconds: Int64

    public init(months: Int32, days: Int32, nanoseconds: Int64) {
        self.months = months
        self.days = days
        self.nanoseconds = nanoseconds
    }
}

extension ByteBuffer {
    /// Cassandra's signed vint (`VIntCoding`): zigzag, then a first byte whose leading one
    /// bits count the extra bytes, then the value big-endian.
    mutating func writeCQLVInt(_ value: Int64) {
        let zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        let size = (639 - (zigzag | 1).leadingZeroBitCount * 9) >> 6  // 1...9
        guard size > 1 else {
            writeInteger(UInt8(zigzag))
            return
        }
        let extra = size - 1
        if size == 9 {
            writeInteger(UInt8(0xFF))
            writeInteger(zigzag)
            return
        }
        let mask = UInt8(truncatingIfNeeded: 0xFF00 >> extra)
        for i in 0..<size {
            var byte = UInt8(truncatingIfNeeded: zigzag >> (8 * UInt64(size - 1 - i)))
            if i == 0 { byte |= mask }
            writeInteger(byte)
        }
    }

    mutating func readCQLVInt(_ field: StaticString) throws -> Int64 {
        let first = try readCQLByte(field)
        let extra = (~first).leadingZeroBitCount
        var value = UInt64(first & (extra >= 8 ? 0 : 0xFF >> extra))
        for _ in 0..<extra {
            value = value << 8 | UInt64(try readCQLByte(field))
        }
        return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }
}
