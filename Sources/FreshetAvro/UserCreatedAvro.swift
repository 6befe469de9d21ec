import FreshetCore

/// The `users_created` message in Avro (docs/pipeline.md, "Avro on the topic"): the record
/// `freshet.UserCreated` with the seeds' twelve string fields and `nat` as `["null","string"]`
/// defaulting to null. The source writes with this schema; the processor reads every writer's
/// schema *into* it (Avro's resolution), so a producer that added an optional field with a
/// default, reordered fields, or named its record `users_created` still flows.
public enum UserCreatedAvro {
    /// The schema as registered under `<topic>-value`.
    public static let schemaJSON: String = {
        var fields = UserCreated.seedKeys.map { #"{"name":"\#($0)","type":"string"}"# }
        fields.append(#"{"name":"nat","type":["null","string"],"default":null}"#)
        return #"{"type":"record","name":"UserCreated","namespace":"freshet","aliases":["users_created"],"#
            + #""doc":"A person as the source produces it to users_created.","fields":["# + fields.joined(separator: ",") + "]}"
    }()

    /// `schemaJSON`, parsed (a test checks that parsing `schemaJSON` gives this value).
    public static let schema: AvroSchema = {
        var fields = UserCreated.seedKeys.map { AvroField(name: $0, type: .string(nil)) }
        fields.append(AvroField(name: "nat", type: .union([.null, .string(nil)]), defaultValue: .null))
        let record = AvroType.record(
            AvroRecordSchema(
                name: AvroName(name: "UserCreated", namespace: "freshet"), aliases: ["freshet.users_created"],
                doc: "A person as the source produces it to users_created.", fields: fields))
        return AvroSchema(root: record, namedTypes: ["freshet.UserCreated": record])
    }()

    /// The Avro binary encoding of `message` as a datum of `schema` (no framing). Written
    /// directly, field by field: the source's hot path builds no `AvroValue`.
    public static func encode(_ message: UserCreated, into out: inout [UInt8]) {
        func string(_ s: String) {
            AvroBinary.writeLong(Int64(s.utf8.count), to: &out)
            out.append(contentsOf: s.utf8)
        }
        string(message.id)
        string(message.firstName)
        string(message.lastName)
        string(message.gender)
        string(message.address)
        string(message.postCode)
        string(message.email)
        string(message.username)
        string(message.dob)
        string(message.registeredDate)
        string(message.phone)
        string(message.picture)
        if let nat = message.nat {
            out.append(2)  // union branch 1, zig-zag
            string(nat)
        } else {
            out.append(0)  // union branch 0: null
        }
    }

    public static func encode(_ message: UserCreated) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(384)
        encode(message, into: &out)
        return out
    }

    /// The message in a value of `schema` (what a decoder resolving to `schema` returns).
    /// Nil when the value does not have that shape.
    public static func message(from value: AvroValue) -> UserCreated? {
        guard case .record(let fields) = value, fields.count == UserCreated.seedKeys.count + 1 else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(UserCreated.seedKeys.count)
        for field in fields.prefix(UserCreated.seedKeys.count) {
            guard case .string(let s) = field.value else { return nil }
            strings.append(s)
        }
        let nat: String?
        switch fields[UserCreated.seedKeys.count].value {
        case .union(_, .null), .null: nat = nil
        case .union(_, .string(let s)), .string(let s): nat = s
        default: return nil
        }
        return UserCreated(
            id: strings[0], firstName: strings[1], lastName: strings[2], gender: strings[3], address: strings[4], postCode: strings[5],
            email: strings[6], username: strings[7], dob: strings[8], registeredDate: strings[9], phone: strings[10], picture: strings[11],
            nat: nat)
    }

    /// The message as a value of `schema`.
    public static func value(of message: UserCreated) -> AvroValue {
        let strings = [
            message.id, message.firstName, message.lastName, message.gender, message.address, message.postCode, message.email,
            message.username, message.dob, message.registeredDate, message.phone, message.picture,
        ]
        var fields = zip(UserCreated.seedKeys, strings).map { AvroValue.Field($0, .string($1)) }
        fields.append(.init("nat", message.nat.map { .union(branch: 1, .string($0)) } ?? .union(branch: 0, .null)))
        return .record(fields)
    }
}
