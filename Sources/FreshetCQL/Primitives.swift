import NIOCore

// The notations of section 3 of the v4 spec, read from and written to a `ByteBuffer`.
// Every read is bounds-checked and throws `CQLProtocolError` naming the field; every write
// that can overflow its length prefix throws too.

/// A [value]: the bytes of a bound variable, `null`, or `not set` (leave the column as it is).
public enum CQLBindValue: Sendable, Hashable {
    case bytes(ByteBuffer)
    /// Length -1.
    case null
    /// Length -2: the bound variable changes nothing.
    case unset

    /// The serialized form of `value`; `nil` becomes `.null`.
    public init(_ value: CQLValue?) {
        guard let value else {
            self = .null
            return
        }
        self = .bytes(value.serialized())
    }

    /// The bytes, or `nil` for `null` and `not set`.
    public var buffer: ByteBuffer? {
        if case .bytes(let b) = self { return b }
        return nil
    }
}

/// A map whose entries keep their wire order, so that decoding and re-encoding reproduces
/// the same bytes. Used for [string map], [string multimap] and [bytes map].
public struct CQLOrderedMap<Value: Sendable & Hashable>: Sendable, Hashable, ExpressibleByDictionaryLiteral, Sequence {
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: Value

        public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    /// The entries, in wire order.
    public var entries: [Entry]

    public init(_ entries: [Entry] = []) {
        self.entries = entries
    }

    public init(dictionaryLiteral elements: (String, Value)...) {
        self.entries = elements.map { Entry(key: $0.0, value: $0.1) }
    }

    /// The value of the first entry named `key`; setting replaces it or appends a new entry.
    public subscript(key: String) -> Value? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append(Entry(key: key, value: newValue))
            }
        }
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }
}

/// An IP address without a port: 4 bytes (IPv4) or 16 bytes (IPv6). The [inetaddr] notation
/// and the `inet` CQL type.
public struct CQLInetAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in network byte order; 4 or 16 bytes.
    public let bytes: [UInt8]

    /// `nil` unless `bytes` has 4 or 16 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted IPv4 ("10.0.0.1") or IPv6 ("::1", "fe80::1:2", "::ffff:1.2.3.4").
    public init?(_ text: String) {
        if let v4 = Self.parseIPv4(Substring(text)) {
            self.bytes = v4
        } else if let v6 = Self.parseIPv6(text) {
            self.bytes = v6
        } else {
            return nil
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        // Split on "::" (at most once), parse the groups on either side, fill zeros between.
        let separators = text.ranges(of: "::")
        guard separators.count <= 1 else { return nil }
        let halves = separators.first.map { [String(text[..<$0.lowerBound]), String(text[$0.upperBound...])] } ?? [text]
        func groups(_ s: String, allowIPv4Tail: Bool) -> [UInt8]? {
            if s.isEmpty { return [] }
            var out: [UInt8] = []
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in parts.enumerated() {
                if allowIPv4Tail, i == parts.count - 1, p.contains(".") {
                    guard let v4 = parseIPv4(p) else { return nil }
                    out += v4
                    continue
                }
                guard !p.isEmpty, p.count <= 4, let v = UInt16(p, radix: 16) else { return nil }
                out += [UInt8(v >> 8), UInt8(v & 0xFF)]
            }
            return out
        }
        if halves.count == 1 {
            guard let all = groups(halves[0], allowIPv4Tail: true), all.count == 16 else { return nil }
            return all
        }
        guard let head = groups(halves[0], allowIPv4Tail: false),
            let tail = groups(halves[1], allowIPv4Tail: true), head.count + tail.count <= 14
        else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// Dotted IPv4, or RFC 5952 IPv6 (lowercase, the longest run of zero groups as "::").
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var best: Range<Int>? = nil
        var i = 0
        while i < 8 {
            guard groups[i] == 0 else {
                i += 1
                continue
            }
            var j = i
            while j < 8, groups[j] == 0 { j += 1 }
            if j - i >= 2, (best?.count ?? 0) < j - i { best = i..<j }
            i = j
        }
        func hex(_ r: Range<Int>) -> String { r.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
        guard let best else { return hex(0..<8) }
        return hex(0..<best.lowerBound) + "::" + hex(best.upperBound..<8)
    }
}

/// An [inet]: an address and a port, as in TOPOLOGY_CHANGE and STATUS_CHANGE events.
public struct CQLInet: Sendable, Hashable, CustomStringConvertible {
    public var address: CQLInetAddress
    public var port: Int32

    public init(address: CQLInetAddress, port: Int32) {
        self.address = address
        self.port = port
    }

    public var description: String {
        address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }
}

/// A 16-byte UUID, the [uuid] notation and the `uuid`/`timeuuid` CQL types.
public struct CQLUUID: Sendable, Hashable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public var high: UInt64
    /// The last 8 bytes, big-endian.
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses the canonical form ("8-4-4-4-12" hex digits, either case) or 32 bare hex digits.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        let digits: [UInt8]
        if utf8.count == 36 {
            guard [8, 13, 18, 23].allSatisfy({ utf8[$0] == UInt8(ascii: "-") }) else { return nil }
            digits = utf8.enumerated().filter { ![8, 13, 18, 23].contains($0.offset) }.map(\.element)
        } else if utf8.count == 32 {
            digits = utf8
        } else {
            return nil
        }
        var value: (UInt64, UInt64) = (0, 0)
        for (i, c) in digits.enumerated() {
            let nibble: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if i < 16 { value.0 = value.0 << 4 | UInt64(nibble) } else { value.1 = value.1 << 4 | UInt64(nibble) }
        }
        self.init(high: value.0, low: value.1)
    }

    /// The 16 bytes in wire order.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(b) } else { low = low << 8 | UInt64(b) }
        }
        self.init(high: high, low: low)
    }

    /// The 16 bytes in wire order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    /// Lowercase canonical form, e.g. "550e8400-e29b-41d4-a716-446655440000".
    public var description: String {
        let hex = bytes.map { b -> String in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }
        return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
    }
}

/// A [consistency] level.
public struct CQLConsistency: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let any = CQLConsistency(rawValue: 0x0000)
    public static let one = CQLConsistency(rawValue: 0x0001)
    public static let two = CQLConsistency(rawValue: 0x0002)
    public static let three = CQLConsistency(rawValue: 0x0003)
    public static let quorum = CQLConsistency(rawValue: 0x0004)
    public static let all = CQLConsistency(rawValue: 0x0005)
    public static let localQuorum = CQLConsistency(rawValue: 0x0006)
    public static let eachQuorum = CQLConsistency(rawValue: 0x0007)
    public static let serial = CQLConsistency(rawValue: 0x0008)
    public static let localSerial = CQLConsistency(rawValue: 0x0009)
    public static let localOne = CQLConsistency(rawValue: 0x000A)

    static let names = [
        "ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL",
        "LOCAL_SERIAL", "LOCAL_ONE",
    ]

    /// The spec's name ("LOCAL_QUORUM"), or "0x00NN" for a level this version does not define.
    public var description: String {
        rawValue < Self.names.count ? Self.names[Int(rawValue)] : "0x" + String(rawValue, radix: 16)
    }
}

extension CQLProtocolError {
    static func truncated(_ what: String, needs: Int, has: Int, _ field: StaticString) -> CQLProtocolError {
        CQLProtocolError(code: .truncated, message: "\(what) needs \(needs) bytes, \(has) left", field: "\(field)")
    }
}

extension ByteBuffer {
    // MARK: Fixed width

    mutating func readCQLFixed<T: FixedWidthInteger>(_: T.Type, _ field: StaticString) throws -> T {
        guard let v = readInteger(as: T.self) else {
            throw CQLProtocolError.truncated("\(T.self)", needs: MemoryLayout<T>.size, has: readableBytes, field)
        }
        return v
    }

    /// A [byte].
    public mutating func readCQLByte(_ field: StaticString) throws -> UInt8 { try readCQLFixed(UInt8.self, field) }
    /// A [short] (unsigned).
    public mutating func readCQLShort(_ field: StaticString) throws -> UInt16 { try readCQLFixed(UInt16.self, field) }
    /// An [int].
    public mutating func readCQLInt(_ field: StaticString) throws -> Int32 { try readCQLFixed(Int32.self, field) }
    /// A [long].
    public mutating func readCQLLong(_ field: StaticString) throws -> Int64 { try readCQLFixed(Int64.self, field) }

    public mutating func writeCQLByte(_ value: UInt8) { writeInteger(value) }
    public mutating func writeCQLShort(_ value: UInt16) { writeInteger(value) }
    public mutating func writeCQLInt(_ value: Int32) { writeInteger(value) }
    public mutating func writeCQLLong(_ value: Int64) { writeInteger(value) }

    /// A count written as [short]; throws if it does not fit.
    mutating func writeCQLShortCount(_ count: Int, _ field: StaticString) throws {
        guard count <= Int(UInt16.max) else {
            throw CQLProtocolError(code: .invalidValue, message: "\(count) is above the [short] limit 65535", field: "\(field)")
        }
        writeInteger(UInt16(count))
    }

    /// A length or count written as [int]; throws if it does not fit.
    mutating func writeCQLIntCount(_ count: Int, _ field: StaticString) throws {
        guard count <= Int(Int32.max) else {
            throw CQLProtocolError(code: .invalidValue, message: "\(count) is above the [int] limit", field: "\(field)")
        }
        writeInteger(Int32(count))
    }

    /// Refuses a count of elements that cannot fit in what is left, each taking at least
    /// `minimumSize` bytes, before anything is allocated for it.
    func checkCQLCount(_ count: Int, minimumSize: Int, _ field: StaticString) throws {
        guard count >= 0 else {
            throw CQLProtocolError(code: .invalidLength, message: "negative count \(count)", field: "\(field)")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: minimumSize)
        guard !overflow, needed <= readableBytes else {
            throw CQLProtocolError(
                code: .truncated, message: "\(count) elements cannot fit in \(readableBytes) bytes", field: "\(field)")
        }
    }

    // MARK: Strings

    mutating func readCQLUTF8(length: Int, _ field: StaticString) throws -> String {
        guard let view = readSlice(length: length) else {
            throw CQLProtocolError.truncated("string", needs: length, has: readableBytes, field)
        }
        guard let s = String(validating: view.readableBytesView, as: UTF8.self) else {
            throw CQLProtocolError(code: .invalidValue, message: "string is not valid UTF-8", field: "\(field)")
        }
        return s
    }

    /// A [string]: [short] length, UTF-8 bytes.
    public mutating func readCQLString(_ field: StaticString) throws -> String {
        try readCQLUTF8(length: Int(try readCQLShort(field)), field)
    }

    public mutating func writeCQLString(_ value: String, _ field: StaticString) throws {
        try writeCQLShortCount(value.utf8.count, field)
        writeString(value)
    }

    /// A [long string]: [int] length, UTF-8 bytes.
    public mutating func readCQLLongString(_ field: StaticString) throws -> String {
        let length = try readCQLInt(field)
        guard length >= 0 else {
            throw CQLProtocolError(code: .invalidLength, message: "[long string] of length \(length)", field: "\(field)")
        }
        return try readCQLUTF8(length: Int(length), field)
    }

    public mutating func writeCQLLongString(_ value: String, _ field: StaticString) throws {
        try writeCQLIntCount(value.utf8.count, field)
        writeString(value)
    }

    /// A [string list].
    public mutating func readCQLStringList(_ field: StaticString) throws -> [String] {
        let count = Int(try readCQLShort(field))
        try checkCQLCount(count, minimumSize: 2, field)
        var out: [String] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try readCQLString(field)) }
        return out
    }

    public mutating func writeCQLStringList(_ value: [String], _ field: StaticString) throws {
        try writeCQLShortCount(value.count, field)
        for s in value { try writeCQLString(s, field) }
    }

    // MARK: Bytes

    /// [bytes]: [int] length, then that many bytes; a negative length is `null`.
    public mutating func readCQLBytes(_ field: StaticString) throws -> ByteBuffer? {
        let length = try readCQLInt(field)
        guard length >= 0 else { return nil }
        guard let slice = readSlice(length: Int(length)) else {
            throw CQLProtocolError.truncated("[bytes]", needs: Int(length), has: readableBytes, field)
        }
        return slice
    }

    /// Writes [bytes]; `nil` is written as length -1.
    public mutating func writeCQLBytes(_ value: ByteBuffer?, _ field: StaticString) throws {
        guard let value else {
            writeInteger(Int32(-1))
            return
        }
        try writeCQLIntCount(value.readableBytes, field)
        writeImmutableBuffer(value)
    }

    /// A [value]: like [bytes], with -2 meaning `not set`; below -2 is an error.
    public mutating func readCQLValue(_ field: StaticString) throws -> CQLBindValue {
        let length = try readCQLInt(field)
        switch length {
        case -1: return .null
        case -2: return .unset
        case ..<(-2):
            throw CQLProtocolError(code: .invalidLength, message: "[value] of length \(length)", field: "\(field)")
        default:
            guard let slice = readSlice(length: Int(length)) else {
                throw CQLProtocolError.truncated("[value]", needs: Int(length), has: readableBytes, field)
            }
            return .bytes(slice)
        }
    }

    public mutating func writeCQLValue(_ value: CQLBindValue, _ field: StaticString) throws {
        switch value {
        case .null: writeInteger(Int32(-1))
        case .unset: writeInteger(Int32(-2))
        case .bytes(let b): try writeCQLBytes(b, field)
        }
    }

    /// [short bytes]: [short] length, then that many bytes.
    public mutating func readCQLShortBytes(_ field: StaticString) throws -> ByteBuffer {
        let length = Int(try readCQLShort(field))
        guard let slice = readSlice(length: length) else {
            throw CQLProtocolError.truncated("[short bytes]", needs: length, has: readableBytes, field)
        }
        return slice
    }

    public mutating func writeCQLShortBytes(_ value: ByteBuffer, _ field: StaticString) throws {
        try writeCQLShortCount(value.readableBytes, field)
        writeImmutableBuffer(value)
    }

    // MARK: Maps

    /// A [string map].
    public mutating func readCQLStringMap(_ field: StaticString) throws -> CQLOrderedMap<String> {
        let count = Int(try readCQLShort(field))
        try checkCQLCount(count, minimumSize: 4, field)
        var out = CQLOrderedMap<String>()
        out.entries.reserveCapacity(count)
        for _ in 0..<count {
            let key = try readCQLString(field)
            out.entries.append(.init(key: key, value: try readCQLString(field)))
        }
        return out
    }

    public mutating func writeCQLStringMap(_ value: CQLOrderedMap<String>, _ field: StaticString) throws {
        try writeCQLShortCount(value.count, field)
        for e in value.entries {
            try writeCQLString(e.key, field)
            try writeCQLString(e.value, field)
        }
    }

    /// A [string multimap].
    public mutating func readCQLStringMultimap(_ field: StaticString) throws -> CQLOrderedMap<[String]> {
        let count = Int(try readCQLShort(field))
        try checkCQLCount(count, minimumSize: 4, field)
        var out = CQLOrderedMap<[String]>()
        out.entries.reserveCapacity(count)
        for _ in 0..<count {
            let key = try readCQLString(field)
            out.entries.append(.init(key: key, value: try readCQLStringList(field)))
        }
        return out
    }

    public mutating func writeCQLStringMultimap(_ value: CQLOrderedMap<[String]>, _ field: StaticString) throws {
        try writeCQLShortCount(value.count, field)
        for e in value.entries {
            try writeCQLString(e.key, field)
            try writeCQLStringList(e.value, field)
        }
    }

    /// A [bytes map]; values may be null.
    public mutating func readCQLBytesMap(_ field: StaticString) throws -> CQLOrderedMap<ByteBuffer?> {
        let count = Int(try readCQLShort(field))
        try checkCQLCount(count, minimumSize: 6, field)
        var out = CQLOrderedMap<ByteBuffer?>()
        out.entries.reserveCapacity(count)
        for _ in 0..<count {
            let key = try readCQLString(field)
            out.entries.append(.init(key: key, value: try readCQLBytes(field)))
        }
        return out
    }

    public mutating func writeCQLBytesMap(_ value: CQLOrderedMap<ByteBuffer?>, _ field: StaticString) throws {
        try writeCQLShortCount(value.count, field)
        for e in value.entries {
            try writeCQLString(e.key, field)
            try writeCQLBytes(e.value, field)
        }
    }

    // MARK: Addresses, ids, consistency

    /// An [inetaddr]: a [byte] size (4 or 16), then the address.
    public mutating func readCQLInetAddress(_ field: StaticString) throws -> CQLInetAddress {
        let size = Int(try readCQLByte(field))
        guard size == 4 || size == 16 else {
            throw CQLProtocolError(code: .invalidLength, message: "inet address of \(size) bytes (must be 4 or 16)", field: "\(field)")
        }
        guard let bytes = readBytes(length: size) else {
            throw CQLProtocolError.truncated("inet address", needs: size, has: readableBytes, field)
        }
        return CQLInetAddress(bytes: bytes)!
    }

    public mutating func writeCQLInetAddress(_ value: CQLInetAddress) {
        writeInteger(UInt8(value.bytes.count))
        writeBytes(value.bytes)
    }

    /// An [inet]: an [inetaddr], then an [int] port.
    public mutating func readCQLInet(_ field: StaticString) throws -> CQLInet {
        let address = try readCQLInetAddress(field)
        return CQLInet(address: address, port: try readCQLInt(field))
    }

    public mutating func writeCQLInet(_ value: CQLInet) {
        writeCQLInetAddress(value.address)
        writeInteger(value.port)
    }

    /// A [uuid].
    public mutating func readCQLUUID(_ field: StaticString) throws -> CQLUUID {
        let high = try readCQLFixed(UInt64.self, field)
        return CQLUUID(high: high, low: try readCQLFixed(UInt64.self, field))
    }

    public mutating func writeCQLUUID(_ value: CQLUUID) {
        writeInteger(value.high)
        writeInteger(value.low)
    }

    /// A [consistency].
    public mutating func readCQLConsistency(_ field: StaticString) throws -> CQLConsistency {
        CQLConsistency(rawValue: try readCQLShort(field))
    }

    public mutating func writeCQLConsistency(_ value: CQLConsistency) {
        writeInteger(value.rawValue)
    }
}
