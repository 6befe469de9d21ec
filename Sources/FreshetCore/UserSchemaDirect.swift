/// The direct path of `UserSchema.row(from:ingestedAt:)`: a well-formed `users_created` message
/// read in one pass over its bytes — no `JSONValue` tree, no key strings, no dictionary lookups
/// — with the same JSON syntax checks as `JSONParser` (its `Cursor` reads every value).
extension UserSchema {
    /// The seed keys as bytes, in `UserCreated.seedKeys` order.
    static let seedKeyBytes: [[UInt8]] = UserCreated.seedKeys.map { Array($0.utf8) }

    /// The seed keys' values as the direct path collects them.
    struct DirectFields {
        var id, firstName, lastName, gender, address, postCode: String?
        var email, username, dob, registered, phone, picture: String?

        mutating func set(_ index: Int, _ value: String) {
            switch index {
            case 0: id = value
            case 1: firstName = value
            case 2: lastName = value
            case 3: gender = value
            case 4: address = value
            case 5: postCode = value
            case 6: email = value
            case 7: username = value
            case 8: dob = value
            case 9: registered = value
            case 10: phone = value
            default: picture = value
            }
        }
    }

    /// The row (or the schema's rejection) of a message that is one JSON object whose keys are
    /// plain (no escapes, ASCII), whose seed keys are all present as strings (`post_code` also as
    /// a number) and whose `nat` is a string or null; nil for anything else, which the general
    /// path then reads (and rejects with its reason). For any input where this returns a result,
    /// the general path returns the same one.
    func directRow(from buffer: UnsafeBufferPointer<UInt8>, ingestedAt: Int64) -> Result<CreatedUserRow, Rejection>? {
        var cursor = JSONParser.Cursor(buffer: buffer)
        var fields = DirectFields()
        var nat: String?
        do {
            cursor.skipWhitespace()
            guard try cursor.peek() == UInt8(ascii: "{") else { return nil }
            cursor.index += 1
            cursor.skipWhitespace()
            if try cursor.peek() == UInt8(ascii: "}") { return nil }  // no keys: missing_field
            while true {
                cursor.skipWhitespace()
                guard try cursor.peek() == UInt8(ascii: "\"") else { return nil }
                guard let key = Self.plainKey(&cursor) else { return nil }
                cursor.skipWhitespace()
                guard try cursor.peek() == UInt8(ascii: ":") else { return nil }
                cursor.index += 1
                cursor.skipWhitespace()
                let first = try cursor.peek()
                switch key {
                case .nat:
                    if first == UInt8(ascii: "\"") {
                        nat = try cursor.parseString()
                    } else if first == UInt8(ascii: "n") {
                        try cursor.expectLiteral("null")
                        nat = nil
                    } else {
                        return nil
                    }
                case .seed(let index):
                    if first == UInt8(ascii: "\"") {
                        fields.set(index, try cursor.parseString())
                    } else if index == 5, first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) {
                        fields.set(index, try cursor.parseNumber())  // Spark reads a numeric post_code as its text.
                    } else {
                        return nil
                    }
                case .other:
                    _ = try cursor.parseValue(depth: 1)
                }
                cursor.skipWhitespace()
                let next = try cursor.peek()
                cursor.index += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "}") { break }
                return nil
            }
            cursor.skipWhitespace()
            guard cursor.index == buffer.count else { return nil }
        } catch {
            return nil
        }
        guard let id = fields.id, let firstName = fields.firstName, let lastName = fields.lastName, let gender = fields.gender,
            let address = fields.address, let postCode = fields.postCode, let email = fields.email, let username = fields.username,
            let dob = fields.dob, let registered = fields.registered, let phone = fields.phone, let picture = fields.picture
        else { return nil }
        return validatedRow(
            id: id, firstName: firstName, lastName: lastName, gender: gender, address: address, postCode: postCode, email: email,
            username: username, dob: dob, registered: registered, phone: phone, picture: picture, nat: nat, ingestedAt: ingestedAt)
    }

    enum DirectKey: Equatable {
        case seed(Int)
        case nat
        case other
    }

    /// Reads a key made of printable ASCII without escapes (the cursor is at its opening quote)
    /// and says which key it is; nil (cursor anywhere) for any other key, left to the general path.
    static func plainKey(_ cursor: inout JSONParser.Cursor) -> DirectKey? {
        let buffer = cursor.buffer
        let start = cursor.index + 1
        var end = start
        while end < buffer.count {
            let byte = buffer[end]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { return nil }
            end += 1
        }
        guard end < buffer.count else { return nil }
        cursor.index = end + 1
        let key = UnsafeBufferPointer(rebasing: buffer[start..<end])
        if key.count == 3, key[0] == UInt8(ascii: "n"), key[1] == UInt8(ascii: "a"), key[2] == UInt8(ascii: "t") { return .nat }
        for index in seedKeyBytes.indices where seedKeyBytes[index].withUnsafeBufferPointer({ same(key, $0) }) {
            return .seed(index)
        }
        return .other
    }

    @inline(__always)
    static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }
}
