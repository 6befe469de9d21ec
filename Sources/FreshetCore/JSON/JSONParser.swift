/// Why a byte sequence is not acceptable JSON, with the byte offset where it went wrong.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unexpectedEnd = "unexpected_end"
        case unexpectedByte = "unexpected_byte"
        case invalidNumber = "invalid_number"
        case invalidEscape = "invalid_escape"
        case invalidUTF8 = "invalid_utf8"
        case controlCharacterInString = "control_character_in_string"
        case tooDeep = "too_deep"
        case trailingData = "trailing_data"
    }

    public var code: Code
    public var offset: Int

    public init(code: Code, offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String {
        "invalid JSON (\(code.rawValue)) at byte \(offset)"
    }
}

/// A strict RFC 8259 parser over UTF-8 bytes.
///
/// Purpose-built for Freshet's hot path: no Foundation, one pass, strings
/// validated as UTF-8 (invalid UTF-8 is an error, never silently replaced).
public struct JSONParser {
    /// Nesting limit that protects the stack from hostile input. Defaults to 64.
    public static let maxDepth = 64

    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(buffer: buffer) }
        }
        if let contiguous { return try contiguous.get() }
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(buffer: buffer) }
        }.get()
    }

    public static func parse(_ string: String) throws(JSONParseError) -> JSONValue {
        var copy = string
        return try copy.withUTF8 { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(buffer: buffer) }
        }.get()
    }

    public static func parse(buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = Cursor(buffer: buffer)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index != buffer.count {
            throw JSONParseError(code: .trailingData, offset: parser.index)
        }
        return value
    }

    struct Cursor {
        let buffer: UnsafeBufferPointer<UInt8>
        var index = 0

        init(buffer: UnsafeBufferPointer<UInt8>) {
            self.buffer = buffer
        }

        @inline(__always)
        mutating func skipWhitespace() {
            while index < buffer.count {
                switch buffer[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        @inline(__always)
        func peek() throws(JSONParseError) -> UInt8 {
            guard index < buffer.count else { throw JSONParseError(code: .unexpectedEnd, offset: index) }
            return buffer[index]
        }

        mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
            switch try peek() {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default: throw JSONParseError(code: .unexpectedByte, offset: index)
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
            let count = literal.utf8CodeUnitCount
            guard index + count <= buffer.count else { throw JSONParseError(code: .unexpectedEnd, offset: buffer.count) }
            let start = literal.utf8Start
            for i in 0..<count where buffer[index + i] != start[i] {
                throw JSONParseError(code: .unexpectedByte, offset: index + i)
            }
            index += count
        }

        mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth <= JSONParser.maxDepth else { throw JSONParseError(code: .tooDeep, offset: index) }
            index += 1  // {
            var members: [JSONObject.Member] = []
            skipWhitespace()
            if try peek() == UInt8(ascii: "}") {
                index += 1
                return .object(JSONObject(members))
            }
            members.reserveCapacity(12)
            while true {
                skipWhitespace()
                guard try peek() == UInt8(ascii: "\"") else { throw JSONParseError(code: .unexpectedByte, offset: index) }
                let key = try parseString()
                skipWhitespace()
                guard try peek() == UInt8(ascii: ":") else { throw JSONParseError(code: .unexpectedByte, offset: index) }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth)
                members.append(.init(key: key, value: value))
                skipWhitespace()
                let next = try peek()
                index += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "}") { return .object(JSONObject(members)) }
                throw JSONParseError(code: .unexpectedByte, offset: index - 1)
            }
        }

        mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth <= JSONParser.maxDepth else { throw JSONParseError(code: .tooDeep, offset: index) }
            index += 1  // [
            var elements: [JSONValue] = []
            skipWhitespace()
            if try peek() == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth))
                skipWhitespace()
                let next = try peek()
                index += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "]") { return .array(elements) }
                throw JSONParseError(code: .unexpectedByte, offset: index - 1)
            }
        }

        mutating func parseNumber() throws(JSONParseError) -> String {
            let start = index
            if buffer[index] == UInt8(ascii: "-") { index += 1 }
            guard index < buffer.count else { throw JSONParseError(code: .invalidNumber, offset: start) }
            if buffer[index] == UInt8(ascii: "0") {
                index += 1
            } else if isDigit(buffer[index]) {
                while index < buffer.count, isDigit(buffer[index]) { index += 1 }
            } else {
                throw JSONParseError(code: .invalidNumber, offset: start)
            }
            if index < buffer.count, buffer[index] == UInt8(ascii: ".") {
                index += 1
                guard index < buffer.count, isDigit(buffer[index]) else { throw JSONParseError(code: .invalidNumber, offset: start) }
                while index < buffer.count, isDigit(buffer[index]) { index += 1 }
            }
            if index < buffer.count, buffer[index] == UInt8(ascii: "e") || buffer[index] == UInt8(ascii: "E") {
                index += 1
                if index < buffer.count, buffer[index] == UInt8(ascii: "+") || buffer[index] == UInt8(ascii: "-") { index += 1 }
                guard index < buffer.count, isDigit(buffer[index]) else { throw JSONParseError(code: .invalidNumber, offset: start) }
                while index < buffer.count, isDigit(buffer[index]) { index += 1 }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)
        }

        @inline(__always)
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        mutating func parseString() throws(JSONParseError) -> String {
            let quote = index
            index += 1
            let start = index
            // Fast path: no escapes.
            var high: UInt8 = 0  // any byte ≥ 0x80 sets its top bit
            while index < buffer.count {
                let byte = buffer[index]
                if byte == UInt8(ascii: "\"") {
                    let slice = UnsafeBufferPointer(rebasing: buffer[start..<index])
                    index += 1
                    // ASCII needs no validation (and `String(validating:)` is not specialized:
                    // it looks up generic metadata on every call).
                    if high < 0x80 { return String(decoding: slice, as: UTF8.self) }
                    guard let string = String(validating: slice, as: UTF8.self) else {
                        throw JSONParseError(code: .invalidUTF8, offset: start)
                    }
                    return string
                }
                high |= byte
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw JSONParseError(code: .controlCharacterInString, offset: index) }
                index += 1
            }
            guard index < buffer.count else { throw JSONParseError(code: .unexpectedEnd, offset: quote) }
            // Slow path: unescape into a byte buffer.
            var bytes = [UInt8](UnsafeBufferPointer(rebasing: buffer[start..<index]))
            while true {
                guard index < buffer.count else { throw JSONParseError(code: .unexpectedEnd, offset: quote) }
                let byte = buffer[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    guard let string = String(validating: bytes, as: UTF8.self) else {
                        throw JSONParseError(code: .invalidUTF8, offset: start)
                    }
                    return string
                }
                if byte < 0x20 { throw JSONParseError(code: .controlCharacterInString, offset: index) }
                if byte != UInt8(ascii: "\\") {
                    bytes.append(byte)
                    index += 1
                    continue
                }
                index += 1
                guard index < buffer.count else { throw JSONParseError(code: .unexpectedEnd, offset: quote) }
                let escaped = buffer[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard index + 1 < buffer.count, buffer[index] == UInt8(ascii: "\\"), buffer[index + 1] == UInt8(ascii: "u") else {
                            throw JSONParseError(code: .invalidEscape, offset: index)
                        }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError(code: .invalidEscape, offset: index - 4) }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw JSONParseError(code: .invalidEscape, offset: index - 4)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw JSONParseError(code: .invalidEscape, offset: index - 4) }
                    bytes.append(contentsOf: UTF8.encode(unicode)!)
                default:
                    throw JSONParseError(code: .invalidEscape, offset: index - 1)
                }
            }
        }

        mutating func parseHex4() throws(JSONParseError) -> UInt32 {
            guard index + 4 <= buffer.count else { throw JSONParseError(code: .unexpectedEnd, offset: index) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = buffer[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 0x30)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 0x61 + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 0x41 + 10)
                default: throw JSONParseError(code: .invalidEscape, offset: index)
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }
    }
}
