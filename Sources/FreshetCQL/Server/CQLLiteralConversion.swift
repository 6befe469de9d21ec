/// Turns literals and bound bytes into typed values for a column.
package enum CQLLiteralConversion {
    static func invalid(_ message: String) -> CQLServerError { CQLServerError(code: .invalid, message: message) }

    /// The value of `literal` for a column of `type`; `nil` for `null`.
    static func value(_ literal: CQLLiteral, for type: CQLType, column: String) throws(CQLServerError) -> CQLValue? {
        func mismatch() -> CQLServerError {
            invalid("Invalid \(describe(literal)) for \"\(column)\" of type \(type)")
        }
        if case .null = literal { return nil }
        switch (type, literal) {
        case (.varchar, .string(let s)): return .text(s)
        // Freshet keeps ids as text; accept the unquoted UUID a Cassandra `uuid` id would take.
        case (.varchar, .uuid(let u)): return .text(u.description)
        case (.ascii, .string(let s)):
            guard s.utf8.allSatisfy({ $0 < 0x80 }) else { throw invalid("Invalid ASCII character in string literal for \"\(column)\"") }
            return .ascii(s)
        case (.int, .integer(let s)):
            guard let v = Int32(s) else { throw invalid("Invalid integer \(s.prefix(40)) for \"\(column)\" of type int (out of range)") }
            return .int(v)
        case (.bigint, .integer(let s)), (.counter, .integer(let s)):
            guard let v = Int64(s) else { throw invalid("Invalid integer \(s.prefix(40)) for \"\(column)\" of type \(type) (out of range)") }
            return type == .bigint ? .bigint(v) : .counter(v)
        case (.smallint, .integer(let s)):
            guard let v = Int16(s) else { throw invalid("Invalid integer \(s.prefix(40)) for \"\(column)\" of type smallint (out of range)") }
            return .smallint(v)
        case (.tinyint, .integer(let s)):
            guard let v = Int8(s) else { throw invalid("Invalid integer \(s.prefix(40)) for \"\(column)\" of type tinyint (out of range)") }
            return .tinyint(v)
        case (.varint, .integer(let s)):
            guard let v = Int64(s) else { throw invalid("varint literal \(s.prefix(40)) is beyond 64 bits, which Freshet does not parse") }
            return .varint(CQLVarint(v))
        case (.double, .integer(let s)), (.double, .float(let s)):
            guard let v = Double(s) else { throw mismatch() }
            return .double(v)
        case (.float, .integer(let s)), (.float, .float(let s)):
            guard let v = Float(s) else { throw mismatch() }
            return .float(v)
        case (.boolean, .boolean(let b)): return .boolean(b)
        case (.uuid, .uuid(let u)): return .uuid(u)
        case (.timeuuid, .uuid(let u)): return .timeuuid(u)
        case (.uuid, .string(let s)), (.timeuuid, .string(let s)):
            guard let u = CQLUUID(s) else { throw mismatch() }
            return type == .uuid ? .uuid(u) : .timeuuid(u)
        case (.blob, .blob(let b)): return .blob(b)
        case (.timestamp, .integer(let s)):
            guard let v = Int64(s) else { throw mismatch() }
            return .timestamp(v)
        case (.timestamp, .string(let s)):
            guard let ms = parseTimestamp(s) else {
                throw invalid(
                    "Unable to parse a date/time from '\(s.prefix(64))' for \"\(column)\" (use yyyy-mm-dd[Thh:mm[:ss[.fff]]][Z|+hhmm] or milliseconds)")
            }
            return .timestamp(ms)
        case (.inet, .string(let s)):
            guard let a = CQLInetAddress(s) else { throw mismatch() }
            return .inet(a)
        case (.list(let element), .collection(let items)), (.set(let element), .collection(let items)):
            var values: [CQLValue] = []
            for item in items {
                guard let v = try value(item, for: element, column: column) else { throw invalid("null is not allowed inside a collection") }
                values.append(v)
            }
            if case .list = type { return .list(values) }
            return .set(values)
        case (.map(let keyType, let valueType), .map(let pairs)):
            var entries: [CQLMapEntry] = []
            for pair in pairs {
                guard let k = try value(pair.key, for: keyType, column: column), let v = try value(pair.value, for: valueType, column: column) else {
                    throw invalid("null is not allowed inside a map")
                }
                entries.append(CQLMapEntry(key: k, value: v))
            }
            return .map(entries)
        default:
            throw mismatch()
        }
    }

    static func describe(_ literal: CQLLiteral) -> String {
        switch literal {
        case .string(let s): "string literal '\(s.prefix(40))'"
        case .integer(let s): "integer literal \(s.prefix(40))"
        case .float(let s): "float literal \(s.prefix(40))"
        case .boolean(let b): "boolean literal \(b)"
        case .uuid(let u): "UUID literal \(u)"
        case .blob: "blob literal"
        case .null: "null"
        case .map: "map literal"
        case .collection: "collection literal"
        }
    }

    /// Bound bytes decoded for a column; `nil` for null.
    static func value(_ bytes: CQLBindValue, for type: CQLType, column: String) throws(CQLServerError) -> CQLValue? {
        switch bytes {
        case .null: return nil
        case .unset: throw invalid("Invalid unset value for column \(column)")
        case .bytes(let buffer):
            do {
                return try CQLValue(decoding: buffer, as: type)
            } catch {
                throw invalid("Invalid value for column \(column) of type \(type): \(error.cqlMessage)")
            }
        }
    }

    /// `yyyy-mm-dd`, optionally with `[T ]hh:mm[:ss[.f…]]` (1 to 9 fractional digits, cut to
    /// milliseconds) and a zone (`Z`, `+hh`, `+hh:mm`, `+hhmm`, up to ±18:00); no zone means
    /// UTC. Milliseconds since the epoch, or `nil` for anything else (a day past the month's
    /// end, an hour of 24, more than 9 fractional digits...). Never traps: every field has a
    /// fixed number of digits, so the arithmetic below stays far inside `Int64`.
    package static func parseTimestamp(_ text: String) -> Int64? {
        let b = Array(text.utf8.prefix(64))
        guard text.utf8.count <= 64 else { return nil }
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var v = 0
            for k in 0..<count {
                let c = b[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += count
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")), let day = number(2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var millis = 0
        var offsetMinutes = 0
        if i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: " ") {
            i += 1
            guard let h = number(2), expect(UInt8(ascii: ":")), let m = number(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if expect(UInt8(ascii: ":")) {
                guard let s = number(2), s < 60 else { return nil }
                second = s
                if expect(UInt8(ascii: ".")) {
                    var digits = 0
                    var fraction = 0
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                        guard digits < 9 else { return nil }
                        if digits < 3 { fraction = fraction * 10 + Int(b[i] - 0x30) }
                        digits += 1
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    // ".5" is 500 ms, ".05" 50 ms; digits past the third are cut.
                    var scale = digits
                    while scale < 3 {
                        fraction *= 10
                        scale += 1
                    }
                    millis = fraction
                }
            }
        }
        if i < b.count, b[i] == UInt8(ascii: " ") { i += 1 }
        if i < b.count {
            if expect(UInt8(ascii: "Z")) || expect(UInt8(ascii: "z")) {
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let h = number(2) else { return nil }
                var m = 0
                if i < b.count {
                    _ = expect(UInt8(ascii: ":"))
                    guard let minutes = number(2) else { return nil }
                    m = minutes
                }
                guard m < 60, h * 60 + m <= 18 * 60 else { return nil }
                offsetMinutes = sign * (h * 60 + m)
            } else {
                return nil
            }
        }
        guard i == b.count else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm); year is 0...9999.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millis)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension Error {
    /// A short message for a client: a CQL error's own message, or the description.
    var cqlMessage: String {
        if let e = self as? CQLProtocolError { return e.message }
        if let e = self as? CQLServerError { return e.message }
        return String(describing: self)
    }
}
