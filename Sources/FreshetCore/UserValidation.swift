/// Why a `users_created` record cannot be stored. The raw value is the code written to the
/// dead-letter topic.
public enum RejectionCode: String, Sendable, CaseIterable, Hashable {
    /// The bytes are not JSON.
    case notJSON = "not_json"
    /// A string is not valid UTF-8.
    case invalidUTF8 = "invalid_utf8"
    /// JSON, but not an object.
    case notAnObject = "not_an_object"
    /// A required key is absent.
    case missingField = "missing_field"
    /// A key has the wrong JSON type.
    case wrongType = "wrong_type"
    /// `id` is not a UUID.
    case badUUID = "bad_uuid"
    /// `email` does not have exactly one `@` and a domain.
    case badEmail = "bad_email"
    /// `gender` is not `male` or `female`.
    case badGender = "bad_gender"
    /// `dob` or `registered_date` is not an ISO-8601 instant.
    case badDate = "bad_date"
    /// A field is longer than the limit.
    case fieldTooLong = "field_too_long"
    /// The store refused the record permanently, after retries.
    case storeRejected = "store_rejected"
    /// The record (or a source's person as a message) is larger than the broker accepts.
    case recordTooLarge = "record_too_large"
    /// The record's log timestamp is outside 1970…9999 (a Kafka producer may set any value).
    case badTimestamp = "bad_timestamp"
    /// On an Avro topic: shorter than Confluent's 5-byte header, or without its magic byte 0.
    case notAvro = "not_avro"
    /// On an Avro topic: the schema registry has no schema with the record's id (40403).
    case unknownSchemaID = "unknown_schema_id"
    /// On an Avro topic: the bytes are not a datum of the writer's schema.
    case avroDecodeFailed = "avro_decode_failed"
    /// On an Avro topic: the writer's schema does not parse, or cannot be read as the
    /// `users_created` reader schema (Avro's resolution rules).
    case avroSchemaMismatch = "avro_schema_mismatch"
}

/// A rejected record's code and a reason a person can act on.
public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: RejectionCode
    public var reason: String

    public init(_ code: RejectionCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}

/// The explicit schema of `users_created`, its validation and the transforms that make a
/// `created_users` row — the seeds' Spark job (`from_json` with a `StructType`, then the
/// Grafana variant's derived columns), with stricter checks.
public struct UserSchema: Sendable {
    /// Longest accepted field, in UTF-8 bytes. Defaults to 1024.
    public var maxFieldBytes: Int

    public init(maxFieldBytes: Int = 1024) {
        self.maxFieldBytes = maxFieldBytes
    }

    /// Parses, validates and transforms one record value. `ingestedAt` is the record's log
    /// timestamp (ms since the epoch), stored as `ingested_at`.
    ///
    /// Well-formed messages take a direct path (`directRow`): one pass over the bytes with no
    /// JSON tree, keys matched as bytes. Anything it does not handle — an escaped key, a value of
    /// a wrong type, a missing key, a syntax error — falls back to the general path (a
    /// `JSONValue`, then `row(from: JSONObject)`), so every rejection and its reason is the one
    /// that path gives. Both build the row with the same checks (`validatedRow`), and the fuzz
    /// target `user-schema` checks that both paths agree on every input.
    public func row(from value: some Collection<UInt8>, ingestedAt: Int64) -> Result<CreatedUserRow, Rejection> {
        if let direct = value.withContiguousStorageIfAvailable({ directRow(from: $0, ingestedAt: ingestedAt) }), let result = direct {
            return result
        }
        return generalRow(from: value, ingestedAt: ingestedAt)
    }

    /// The general path of `row(from:ingestedAt:)`: a `JSONValue` tree, then the schema.
    public func generalRow(from value: some Collection<UInt8>, ingestedAt: Int64) -> Result<CreatedUserRow, Rejection> {
        let json: JSONValue
        do {
            json = try JSONParser.parse(value)
        } catch {
            if error.code == .invalidUTF8 { return .failure(Rejection(.invalidUTF8, "a string is not valid UTF-8 (byte \(error.offset))")) }
            return .failure(Rejection(.notJSON, "\(error)"))
        }
        guard case .object(let object) = json else {
            return .failure(Rejection(.notAnObject, "expected a JSON object, found \(json.typeName)"))
        }
        return row(from: object, ingestedAt: ingestedAt)
    }

    public func row(from object: JSONObject, ingestedAt: Int64) -> Result<CreatedUserRow, Rejection> {
        // Every seed key is required; one pass collects them.
        var fields = [String?](repeating: nil, count: UserCreated.seedKeys.count)
        var nat: String?
        for member in object.members {
            if member.key == "nat" {
                switch member.value {
                case .string(let s): nat = s
                case .null: nat = nil
                default: return .failure(Rejection(.wrongType, "nat: expected string, found \(member.value.typeName)"))
                }
                continue
            }
            guard let index = Self.keyIndex[member.key] else { continue }
            switch member.value {
            case .string(let s):
                fields[index] = s
            case .number(let n) where member.key == "post_code":
                fields[index] = n  // Spark's JSON reader reads a numeric post_code as its text.
            default:
                let expected = member.key == "post_code" ? "string or number" : "string"
                return .failure(Rejection(.wrongType, "\(member.key): expected \(expected), found \(member.value.typeName)"))
            }
        }
        for (index, field) in fields.enumerated() where field == nil {
            return .failure(Rejection(.missingField, "\(UserCreated.seedKeys[index]) is missing"))
        }
        let f = fields.map { $0! }
        return validatedRow(
            id: f[0], firstName: f[1], lastName: f[2], gender: f[3], address: f[4], postCode: f[5], email: f[6], username: f[7],
            dob: f[8], registered: f[9], phone: f[10], picture: f[11], nat: nat, ingestedAt: ingestedAt)
    }

    /// Validates and transforms a message already decoded (from Avro): the same checks and
    /// row as for its JSON.
    public func row(from message: UserCreated, ingestedAt: Int64) -> Result<CreatedUserRow, Rejection> {
        validatedRow(
            id: message.id, firstName: message.firstName, lastName: message.lastName, gender: message.gender, address: message.address,
            postCode: message.postCode, email: message.email, username: message.username, dob: message.dob, registered: message.registeredDate,
            phone: message.phone, picture: message.picture, nat: message.nat, ingestedAt: ingestedAt)
    }

    /// The checks and transforms of a message whose seed keys are all present as strings.
    func validatedRow(
        id: String, firstName: String, lastName: String, gender: String, address: String, postCode: String, email: String,
        username: String, dob: String, registered: String, phone: String, picture: String, nat: String?, ingestedAt: Int64
    ) -> Result<CreatedUserRow, Rejection> {
        // The first field (in seed-key order) over the limit is the one named.
        func tooLong(_ field: String, _ index: Int) -> Rejection? {
            let count = field.utf8.count
            return count > maxFieldBytes ? Rejection(.fieldTooLong, "\(UserCreated.seedKeys[index]) is \(count) bytes (limit \(maxFieldBytes))") : nil
        }
        if let rejection = tooLong(id, 0) { return .failure(rejection) }
        if let rejection = tooLong(firstName, 1) { return .failure(rejection) }
        if let rejection = tooLong(lastName, 2) { return .failure(rejection) }
        if let rejection = tooLong(gender, 3) { return .failure(rejection) }
        if let rejection = tooLong(address, 4) { return .failure(rejection) }
        if let rejection = tooLong(postCode, 5) { return .failure(rejection) }
        if let rejection = tooLong(email, 6) { return .failure(rejection) }
        if let rejection = tooLong(username, 7) { return .failure(rejection) }
        if let rejection = tooLong(dob, 8) { return .failure(rejection) }
        if let rejection = tooLong(registered, 9) { return .failure(rejection) }
        if let rejection = tooLong(phone, 10) { return .failure(rejection) }
        if let rejection = tooLong(picture, 11) { return .failure(rejection) }
        if let nat, nat.utf8.count > maxFieldBytes {
            return .failure(Rejection(.fieldTooLong, "nat is \(nat.utf8.count) bytes (limit \(maxFieldBytes))"))
        }
        guard Self.isUUID(id) else { return .failure(Rejection(.badUUID, "id '\(id.prefix(64))' is not a UUID")) }
        guard gender == "male" || gender == "female" else {
            return .failure(Rejection(.badGender, "gender '\(gender.prefix(64))' is not male or female"))
        }
        guard let domain = Self.emailDomain(email) else {
            return .failure(Rejection(.badEmail, "email '\(email.prefix(128))' needs exactly one @ and a domain"))
        }
        guard let dobTime = Timestamp(iso8601: dob) else {
            return .failure(Rejection(.badDate, "dob '\(dob.prefix(64))' is not an ISO-8601 instant"))
        }
        guard let registeredTime = Timestamp(iso8601: registered) else {
            return .failure(Rejection(.badDate, "registered_date '\(registered.prefix(64))' is not an ISO-8601 instant"))
        }
        let r = registeredTime.components
        return .success(
            CreatedUserRow(
                id: id, firstName: firstName, lastName: lastName, gender: gender, address: address, postCode: postCode,
                email: email, username: username, dob: dob, registeredDate: registered, phone: phone, picture: picture,
                year: String(r.year), month: String(r.month), day: String(r.day),
                country: Self.country(of: address),
                emailDomain: domain,
                age: Timestamp.wholeYears(from: dobTime.components, to: r),
                nat: nat,
                ingestedAt: ingestedAt
            ))
    }

    static let keyIndex: [String: Int] = Dictionary(uniqueKeysWithValues: UserCreated.seedKeys.enumerated().map { ($1, $0) })

    /// The seeds' rule: the text after the last ", " of the address; "Unknown" if empty.
    public static func country(of address: String) -> String {
        var bytes = address
        return bytes.withUTF8 { utf8 in
            var i = utf8.count - 2
            while i >= 0 {
                if utf8[i] == UInt8(ascii: ","), utf8[i + 1] == UInt8(ascii: " ") {
                    let tail = UnsafeBufferPointer(rebasing: utf8[(i + 2)...])
                    return tail.isEmpty ? "Unknown" : String(decoding: tail, as: UTF8.self)
                }
                i -= 1
            }
            return utf8.isEmpty ? "Unknown" : address
        }
    }

    /// The lower-cased domain of an address with exactly one `@`, a non-empty local part and
    /// a dotted domain without spaces; nil otherwise.
    public static func emailDomain(_ email: String) -> String? {
        var bytes = email
        return bytes.withUTF8 { utf8 -> String? in
            guard let at = utf8.firstIndex(of: UInt8(ascii: "@")), at != 0 else { return nil }
            let domain = UnsafeBufferPointer(rebasing: utf8[(at + 1)...])
            guard !domain.isEmpty, !domain.contains(UInt8(ascii: "@")), !domain.contains(UInt8(ascii: " ")),
                let dot = domain.firstIndex(of: UInt8(ascii: ".")), dot != 0,
                domain.last != UInt8(ascii: "."),
                !UnsafeBufferPointer(rebasing: utf8[..<at]).contains(UInt8(ascii: " "))
            else { return nil }
            // Already lower-case ASCII (the common case): no second string.
            if !domain.contains(where: { $0 >= 0x80 || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) }) {
                return String(decoding: domain, as: UTF8.self)
            }
            return String(decoding: domain, as: UTF8.self).lowercased()
        }
    }

    /// 8-4-4-4-12 hexadecimal digits.
    public static func isUUID(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            guard utf8.count == 36 else { return false }
            for i in 0..<36 {
                let byte = utf8[i]
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    if byte != UInt8(ascii: "-") { return false }
                } else {
                    switch byte {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): continue
                    default: return false
                    }
                }
            }
            return true
        }
    }
}
