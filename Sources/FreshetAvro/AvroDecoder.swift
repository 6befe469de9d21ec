/// Limits on one decoded datum, so that hostile bytes are an error, never a trap, an unbounded
/// recursion or an allocation the input does not justify.
public struct AvroDecodingLimits: Sendable, Equatable {
    /// Nesting of values (records, arrays, maps, unions). Defaults to 64.
    public var maxDepth: Int
    /// Array items and map entries in one datum, all collections together. Defaults to 1,048,576.
    public var maxItems: Int
    /// What one datum may make the decoder allocate: the bytes of its strings, bytes and fixed
    /// values plus 32 bytes for every value. Values skipped during schema resolution count too,
    /// so that a writer-only array of a million nulls cannot keep the decoder busy for free.
    /// Defaults to 64 MiB.
    public var maxAllocatedBytes: Int

    public init(maxDepth: Int = 64, maxItems: Int = 1 << 20, maxAllocatedBytes: Int = 64 << 20) {
        self.maxDepth = maxDepth
        self.maxItems = maxItems
        self.maxAllocatedBytes = maxAllocatedBytes
    }
}

/// Why bytes are not a datum of the writer's schema (or cannot be read as the reader's).
public struct AvroDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case truncated
        case varintTooLong = "varint_too_long"
        case intOutOfRange = "int_out_of_range"
        case negativeLength = "negative_length"
        case lengthPastEnd = "length_past_end"
        case invalidBoolean = "invalid_boolean"
        case invalidUTF8 = "invalid_utf8"
        case invalidUnionBranch = "invalid_union_branch"
        case invalidEnumIndex = "invalid_enum_index"
        case invalidBlock = "invalid_block"
        case tooDeep = "too_deep"
        case tooManyItems = "too_many_items"
        case tooLarge = "too_large"
        case trailingBytes = "trailing_bytes"
        /// Schema resolution: the writer wrote a union branch or enum symbol the reader cannot take.
        case unresolvable
    }

    public var code: Code
    /// The field, like `address.lines[2]`; empty for the top-level value.
    public var path: String
    /// Byte offset in the input where decoding stopped.
    public var offset: Int
    public var message: String

    public init(_ code: Code, path: String, offset: Int, _ message: String) {
        self.code = code
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String {
        "invalid Avro data (\(code.rawValue)) at \(path.isEmpty ? "the top level" : path), byte \(offset): \(message)"
    }
}

/// Decodes Avro binary data written with one schema, optionally into the shape of another
/// (Avro 1.11 "Schema Resolution"). Build one per (writer, reader) pair and reuse it: the
/// resolution is worked out once, in the initializer.
public struct AvroDecoder: Sendable {
    public let writer: AvroSchema
    public let reader: AvroSchema
    public let limits: AvroDecodingLimits
    let plan: ResolutionPlan

    /// Reads data as written: values have the writer's shape.
    public init(schema: AvroSchema, limits: AvroDecodingLimits = AvroDecodingLimits()) {
        self.writer = schema
        self.reader = schema
        self.limits = limits
        var builder = ResolutionPlanBuilder(writer: schema, reader: schema)
        do { self.plan = try builder.build() } catch {
            // Cannot happen for a parsed schema (it resolves against itself); kept an error, not a trap.
            self.plan = ResolutionPlan(root: .failed(error.message), records: builder.records)
        }
    }

    /// Reads data written with `writer` as values of `reader`. Throws when no datum of the
    /// writer's schema could ever be read as the reader's (a reader field with no default that
    /// the writer lacks, types that do not promote); a writer's union branch or enum symbol the
    /// reader cannot take is an error only when a datum holds it.
    public init(writer: AvroSchema, reader: AvroSchema, limits: AvroDecodingLimits = AvroDecodingLimits()) throws(AvroResolutionError) {
        self.writer = writer
        self.reader = reader
        self.limits = limits
        var builder = ResolutionPlanBuilder(writer: writer, reader: reader)
        do { self.plan = try builder.build() } catch {
            throw AvroResolutionError(path: error.pathText, message: error.message)
        }
    }

    /// Decodes one datum that fills `bytes` exactly.
    public func decode(_ bytes: [UInt8]) throws(AvroDecodeError) -> AvroValue {
        try decode(bytes[...])
    }

    /// Decodes one datum that fills `bytes` exactly.
    public func decode(_ bytes: ArraySlice<UInt8>) throws(AvroDecodeError) -> AvroValue {
        var run = PlanRunner(plan: plan, writer: writer, limits: limits, input: AvroByteReader(bytes))
        let value: AvroValue
        do { value = try run.read(plan.root, depth: 0) } catch {
            throw AvroDecodeError(error.code, path: error.pathText, offset: error.offset, error.message)
        }
        guard run.input.remaining == 0 else {
            throw AvroDecodeError(.trailingBytes, path: "", offset: run.input.offset, "\(run.input.remaining) bytes after the datum")
        }
        return value
    }
}

/// Why a reader's schema cannot read what a writer's schema writes.
public struct AvroResolutionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reader's field, like `address.street`; empty for the top level.
    public var path: String
    public var message: String

    public var description: String {
        "Avro schemas do not resolve at \(path.isEmpty ? "the top level" : path): \(message)"
    }
}

// MARK: Reading bytes

struct DecodeFailure: Error {
    var code: AvroDecodeError.Code
    var offset: Int
    var message: String
    var path: [String] = []

    init(_ code: AvroDecodeError.Code, _ offset: Int, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    func within(_ component: String) -> DecodeFailure {
        var copy = self
        copy.path.append(component)
        return copy
    }

    var pathText: String { AvroPath.text(path.reversed()) }
}

/// A cursor over the input. Every length is checked against what is left before it is used.
struct AvroByteReader {
    let bytes: ArraySlice<UInt8>
    private(set) var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - index }
    var offset: Int { index - bytes.startIndex }

    mutating func byte() throws(DecodeFailure) -> UInt8 {
        guard index < bytes.endIndex else { throw DecodeFailure(.truncated, offset, "the data ends early") }
        defer { index += 1 }
        return bytes[index]
    }

    /// A zig-zag varint of at most `maxBytes` bytes (10 for a long, 5 for an int).
    private mutating func varint(maxBytes: Int) throws(DecodeFailure) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        for i in 0..<maxBytes {
            let b = try byte()
            if i == 9, b > 1 { throw DecodeFailure(.varintTooLong, start, "a varint that does not fit 64 bits") }
            result |= UInt64(b & 0x7F) << UInt64(7 * i)
            if b & 0x80 == 0 { return result }
        }
        throw DecodeFailure(.varintTooLong, start, "a varint longer than \(maxBytes) bytes")
    }

    private static func unzigzag(_ n: UInt64) -> Int64 {
        Int64(bitPattern: (n >> 1) ^ (0 &- (n & 1)))
    }

    mutating func long() throws(DecodeFailure) -> Int64 {
        Self.unzigzag(try varint(maxBytes: 10))
    }

    mutating func int() throws(DecodeFailure) -> Int32 {
        let start = offset
        let raw = try varint(maxBytes: 5)
        guard raw <= UInt64(UInt32.max) else { throw DecodeFailure(.intOutOfRange, start, "an int varint past 32 bits") }
        return Int32(truncatingIfNeeded: Self.unzigzag(raw))
    }

    /// A length for bytes or a string: not negative, and no longer than what is left.
    mutating func length() throws(DecodeFailure) -> Int {
        let start = offset
        let n = try long()
        guard n >= 0 else { throw DecodeFailure(.negativeLength, start, "a negative length (\(n))") }
        guard n <= Int64(remaining) else {
            throw DecodeFailure(.lengthPastEnd, start, "a length of \(n) bytes with \(remaining) left")
        }
        return Int(n)
    }

    mutating func take(_ count: Int) throws(DecodeFailure) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw DecodeFailure(.truncated, offset, "\(count) bytes wanted, \(remaining) left") }
        defer { index += count }
        return bytes[index..<(index + count)]
    }

    mutating func littleEndian(_ count: Int) throws(DecodeFailure) -> UInt64 {
        let slice = try take(count)
        var value: UInt64 = 0
        for (i, b) in slice.enumerated() { value |= UInt64(b) << UInt64(8 * i) }
        return value
    }

    /// The item count of the next block of an array or map (0 at the end), after its byte size
    /// when the count is negative.
    mutating func blockCount() throws(DecodeFailure) -> Int {
        try block().count
    }

    /// The next block's item count and, when the writer gave it, its size in bytes.
    mutating func block() throws(DecodeFailure) -> (count: Int, bytes: Int?) {
        let start = offset
        let count = try long()
        if count >= 0 {
            guard count <= Int64(Int32.max) else { throw DecodeFailure(.invalidBlock, start, "a block of \(count) items") }
            return (Int(count), nil)
        }
        guard count >= -Int64(Int32.max) else { throw DecodeFailure(.invalidBlock, start, "a block of \(count) items") }
        let sizeStart = offset
        let size = try long()
        guard size >= 0, size <= Int64(remaining) else {
            throw DecodeFailure(.invalidBlock, sizeStart, "a block of \(size) bytes with \(remaining) left")
        }
        return (Int(-count), Int(size))
    }
}
