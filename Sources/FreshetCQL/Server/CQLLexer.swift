/// A token of CQL text.
struct CQLToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// An unquoted word; `text` is as written (keywords match it case-insensitively).
        case word
        /// A `"quoted"` identifier; `text` is its exact name.
        case quotedName
        /// A `'string'` or `$$string$$`; `text` is its value.
        case string
        case integer
        case float
        case uuid
        /// `0x…`; `text` is the hex digits.
        case hex
        /// Punctuation: `( ) , ; * = . ? { } [ ] : < > <= >= != + -`.
        case symbol
        case end
    }

    var kind: Kind
    var text: String
    /// 1-based line and column of the first character, for error messages.
    var line: Int
    var column: Int

    /// How the token appears in an error message.
    var quoted: String {
        switch kind {
        case .end: "end of statement"
        case .string: "'\(text.prefix(40))'"
        case .quotedName: "\"\(text.prefix(40))\""
        default: "'\(text.prefix(40))'"
        }
    }

    /// An unquoted word equal to `keyword`, ignoring case.
    func isKeyword(_ keyword: String) -> Bool {
        kind == .word && text.utf8.count == keyword.utf8.count && text.lowercased() == keyword.lowercased()
    }

    func isSymbol(_ symbol: String) -> Bool { kind == .symbol && text == symbol }
}

/// Splits CQL text into tokens. Comments (`-- …`, `// …`, `/* … */`) and whitespace are
/// skipped. Throws a SYNTAX_ERROR for a character that cannot start a token or an unterminated
/// string, quoted name or comment.
struct CQLLexer {
    static func tokenize(_ text: String) throws(CQLServerError) -> [CQLToken] {
        let bytes = Array(text.utf8)
        var tokens: [CQLToken] = []
        var i = 0
        var line = 1
        var lineStart = 0

        func error(_ message: String, at position: Int) -> CQLServerError {
            CQLServerError(code: .syntaxError, message: "line \(line):\(position - lineStart) \(message)")
        }
        func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66) }
        func isWordStart(_ b: UInt8) -> Bool { (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b >= 0x80 }
        func isWordPart(_ b: UInt8) -> Bool { isWordStart(b) || isDigit(b) || b == UInt8(ascii: "_") }
        func uuidLength(at start: Int) -> Int? {
            guard start + 36 <= bytes.count else { return nil }
            for k in 0..<36 {
                let b = bytes[start + k]
                if k == 8 || k == 13 || k == 18 || k == 23 {
                    guard b == UInt8(ascii: "-") else { return nil }
                } else {
                    guard isHex(b) else { return nil }
                }
            }
            if start + 36 < bytes.count, isWordPart(bytes[start + 36]) { return nil }
            return 36
        }

        while i < bytes.count {
            let b = bytes[i]
            let column = i - lineStart + 1
            func add(_ kind: CQLToken.Kind, _ text: String) {
                tokens.append(CQLToken(kind: kind, text: text, line: line, column: column))
            }
            switch b {
            case UInt8(ascii: "\n"):
                i += 1
                line += 1
                lineStart = i
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                i += 1
            case UInt8(ascii: "-") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "-"),
                UInt8(ascii: "/") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "/"):
                while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
            case UInt8(ascii: "/") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "*"):
                let start = i
                i += 2
                while i + 1 < bytes.count && !(bytes[i] == UInt8(ascii: "*") && bytes[i + 1] == UInt8(ascii: "/")) {
                    if bytes[i] == UInt8(ascii: "\n") {
                        line += 1
                        lineStart = i + 1
                    }
                    i += 1
                }
                guard i + 1 < bytes.count else { throw error("unterminated comment", at: start + 1) }
                i += 2
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                let quote = b
                let start = i
                var value: [UInt8] = []
                i += 1
                while true {
                    guard i < bytes.count else {
                        throw error(quote == UInt8(ascii: "'") ? "unterminated string literal" : "unterminated quoted identifier", at: start + 1)
                    }
                    if bytes[i] == quote {
                        if i + 1 < bytes.count && bytes[i + 1] == quote {
                            value.append(quote)
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    if bytes[i] == UInt8(ascii: "\n") {
                        line += 1
                        lineStart = i + 1
                    }
                    value.append(bytes[i])
                    i += 1
                }
                add(quote == UInt8(ascii: "'") ? .string : .quotedName, String(decoding: value, as: UTF8.self))
            case UInt8(ascii: "$") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "$"):
                let start = i
                i += 2
                let bodyStart = i
                while i + 1 < bytes.count && !(bytes[i] == UInt8(ascii: "$") && bytes[i + 1] == UInt8(ascii: "$")) { i += 1 }
                guard i + 1 < bytes.count else { throw error("unterminated $$ string literal", at: start + 1) }
                add(.string, string(bodyStart..<i))
                i += 2
            default:
                if let length = uuidLength(at: i) {
                    add(.uuid, string(i..<(i + length)))
                    i += length
                } else if b == UInt8(ascii: "0"), i + 1 < bytes.count, bytes[i + 1] | 0x20 == UInt8(ascii: "x") {
                    let start = i
                    i += 2
                    while i < bytes.count && isHex(bytes[i]) { i += 1 }
                    add(.hex, string((start + 2)..<i))
                } else if isDigit(b) || (b == UInt8(ascii: "-") && i + 1 < bytes.count && isDigit(bytes[i + 1]) && Self.minusStartsNumber(tokens)) {
                    let start = i
                    i += 1
                    while i < bytes.count && isDigit(bytes[i]) { i += 1 }
                    var isFloat = false
                    if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "."), isDigit(bytes[i + 1]) {
                        isFloat = true
                        i += 1
                        while i < bytes.count && isDigit(bytes[i]) { i += 1 }
                    }
                    if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
                        var j = i + 1
                        if j < bytes.count, bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") { j += 1 }
                        if j < bytes.count, isDigit(bytes[j]) {
                            isFloat = true
                            i = j
                            while i < bytes.count && isDigit(bytes[i]) { i += 1 }
                        }
                    }
                    if i < bytes.count, isWordStart(bytes[i]) {
                        throw error("invalid number '\(string(start..<min(bytes.count, i + 1)).prefix(40))'", at: start + 1)
                    }
                    add(isFloat ? .float : .integer, string(start..<i))
                } else if isWordStart(b) {
                    let start = i
                    while i < bytes.count && isWordPart(bytes[i]) { i += 1 }
                    add(.word, string(start..<i))
                } else {
                    let two = i + 1 < bytes.count ? string(i..<(i + 2)) : ""
                    if ["<=", ">=", "!="].contains(two) {
                        add(.symbol, two)
                        i += 2
                    } else if "(),;*=.?{}[]:<>+-".utf8.contains(b) {
                        add(.symbol, string(i..<(i + 1)))
                        i += 1
                    } else {
                        throw error("unexpected character '\(string(i..<(i + 1)))'", at: i + 1)
                    }
                }
            }
        }
        tokens.append(CQLToken(kind: .end, text: "", line: line, column: bytes.count - lineStart + 1))
        return tokens
    }

    /// A `-` directly before digits is a sign unless it follows a value (where it would be
    /// subtraction, which this parser does not support anyway).
    private static func minusStartsNumber(_ tokens: [CQLToken]) -> Bool {
        guard let last = tokens.last else { return true }
        switch last.kind {
        case .integer, .float, .string, .uuid, .hex, .quotedName: return false
        case .symbol: return last.text != ")" && last.text != "]" && last.text != "}"
        default: return true
        }
    }
}
