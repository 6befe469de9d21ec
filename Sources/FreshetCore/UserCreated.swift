/// The `users_created` message: the seeds' twelve keys with their meaning, plus `nat`.
///
/// - `id` is `login.uuid`, so a replay overwrites instead of duplicating.
/// - `address` is `"{street.number} {street.name}, {city}, {state}, {country}"`.
/// - `post_code` is always a string; a numeric postcode becomes its digits.
/// - `dob` and `registered_date` are the API's ISO-8601 strings; `picture` is the medium URL.
public struct UserCreated: Sendable, Equatable, Hashable {
    public var id: String
    public var firstName: String
    public var lastName: String
    public var gender: String
    public var address: String
    public var postCode: String
    public var email: String
    public var username: String
    public var dob: String
    public var registeredDate: String
    public var phone: String
    public var picture: String
    /// Not a seed key; follows them when present.
    public var nat: String?

    public init(
        id: String, firstName: String, lastName: String, gender: String, address: String,
        postCode: String, email: String, username: String, dob: String, registeredDate: String,
        phone: String, picture: String, nat: String?
    ) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.gender = gender
        self.address = address
        self.postCode = postCode
        self.email = email
        self.username = username
        self.dob = dob
        self.registeredDate = registeredDate
        self.phone = phone
        self.picture = picture
        self.nat = nat
    }

    /// Formats a person the way the seeds' `format_data` did, with a stable id.
    public init(_ user: RandomUser) {
        let street = user.location.street
        var address = String(street.number)
        address.reserveCapacity(96)
        address += " "
        address += street.name
        address += ", "
        address += user.location.city
        address += ", "
        address += user.location.state
        address += ", "
        address += user.location.country
        self.init(
            id: user.login.uuid,
            firstName: user.name.first,
            lastName: user.name.last,
            gender: user.gender,
            address: address,
            postCode: user.location.postcode.text,
            email: user.email,
            username: user.login.username,
            dob: user.dob.date,
            registeredDate: user.registered.date,
            phone: user.phone,
            picture: user.picture.medium,
            nat: user.nat
        )
    }

    /// The message keys, in the order they are written.
    public static let seedKeys = [
        "id", "first_name", "last_name", "gender", "address", "post_code", "email",
        "username", "dob", "registered_date", "phone", "picture",
    ]
}

extension UserCreated {
    /// Appends the message as one compact JSON object.
    public func encode(into writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "{"))
        writer.key("id")
        writer.string(id)
        writer.byte(UInt8(ascii: ","))
        writer.key("first_name")
        writer.string(firstName)
        writer.byte(UInt8(ascii: ","))
        writer.key("last_name")
        writer.string(lastName)
        writer.byte(UInt8(ascii: ","))
        writer.key("gender")
        writer.string(gender)
        writer.byte(UInt8(ascii: ","))
        writer.key("address")
        writer.string(address)
        writer.byte(UInt8(ascii: ","))
        writer.key("post_code")
        writer.string(postCode)
        writer.byte(UInt8(ascii: ","))
        writer.key("email")
        writer.string(email)
        writer.byte(UInt8(ascii: ","))
        writer.key("username")
        writer.string(username)
        writer.byte(UInt8(ascii: ","))
        writer.key("dob")
        writer.string(dob)
        writer.byte(UInt8(ascii: ","))
        writer.key("registered_date")
        writer.string(registeredDate)
        writer.byte(UInt8(ascii: ","))
        writer.key("phone")
        writer.string(phone)
        writer.byte(UInt8(ascii: ","))
        writer.key("picture")
        writer.string(picture)
        if let nat {
            writer.byte(UInt8(ascii: ","))
            writer.key("nat")
            writer.string(nat)
        }
        writer.byte(UInt8(ascii: "}"))
    }

    /// Appends the message of `user` — the same bytes as `UserCreated(user).encode(into:)` —
    /// without making the message's strings first (the ingest hot path): the address is written
    /// in pieces, a numeric postcode as its digits.
    public static func encode(_ user: RandomUser, into writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "{"))
        writer.key("id")
        writer.string(user.login.uuid)
        writer.byte(UInt8(ascii: ","))
        writer.key("first_name")
        writer.string(user.name.first)
        writer.byte(UInt8(ascii: ","))
        writer.key("last_name")
        writer.string(user.name.last)
        writer.byte(UInt8(ascii: ","))
        writer.key("gender")
        writer.string(user.gender)
        writer.byte(UInt8(ascii: ","))
        writer.key("address")
        writer.byte(UInt8(ascii: "\""))
        writer.int(user.location.street.number)
        writer.byte(UInt8(ascii: " "))
        writer.stringContent(user.location.street.name)
        writer.raw(", ")
        writer.stringContent(user.location.city)
        writer.raw(", ")
        writer.stringContent(user.location.state)
        writer.raw(", ")
        writer.stringContent(user.location.country)
        writer.byte(UInt8(ascii: "\""))
        writer.byte(UInt8(ascii: ","))
        writer.key("post_code")
        switch user.location.postcode {
        case .number(let n):
            writer.byte(UInt8(ascii: "\""))
            writer.int(n)
            writer.byte(UInt8(ascii: "\""))
        case .string(let s):
            writer.string(s)
        }
        writer.byte(UInt8(ascii: ","))
        writer.key("email")
        writer.string(user.email)
        writer.byte(UInt8(ascii: ","))
        writer.key("username")
        writer.string(user.login.username)
        writer.byte(UInt8(ascii: ","))
        writer.key("dob")
        writer.string(user.dob.date)
        writer.byte(UInt8(ascii: ","))
        writer.key("registered_date")
        writer.string(user.registered.date)
        writer.byte(UInt8(ascii: ","))
        writer.key("phone")
        writer.string(user.phone)
        writer.byte(UInt8(ascii: ","))
        writer.key("picture")
        writer.string(user.picture.medium)
        writer.byte(UInt8(ascii: ","))
        writer.key("nat")
        writer.string(user.nat)
        writer.byte(UInt8(ascii: "}"))
    }

    /// The message as compact JSON bytes.
    public func jsonBytes() -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        encode(into: &writer)
        return writer.bytes
    }

    public func jsonString() -> String {
        String(decoding: jsonBytes(), as: UTF8.self)
    }

    /// Reads a message back. All seed keys are required strings; `post_code` may also be
    /// a JSON number (as Spark's JSON reader accepts it); unknown keys are ignored.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> UserCreated {
        try decode(JSONParser.parse(bytes))
    }

    public static func decode(_ json: JSONValue) throws(RandomUserDecodingError) -> UserCreated {
        let r = Reader(path: "")
        let o = try r.object(json)
        let postCode: String
        switch try r.member(o, "post_code") {
        case .string(let s): postCode = s
        case .number(let n): postCode = n
        case let other: throw RandomUserDecodingError(path: "post_code", message: "expected string or number, found \(other.typeName)")
        }
        var nat: String?
        if let natValue = o["nat"], !natValue.isNull {
            guard case .string(let s) = natValue else {
                throw RandomUserDecodingError(path: "nat", message: "expected string, found \(natValue.typeName)")
            }
            nat = s
        }
        return UserCreated(
            id: try r.string(o, "id"),
            firstName: try r.string(o, "first_name"),
            lastName: try r.string(o, "last_name"),
            gender: try r.string(o, "gender"),
            address: try r.string(o, "address"),
            postCode: postCode,
            email: try r.string(o, "email"),
            username: try r.string(o, "username"),
            dob: try r.string(o, "dob"),
            registeredDate: try r.string(o, "registered_date"),
            phone: try r.string(o, "phone"),
            picture: try r.string(o, "picture"),
            nat: nat
        )
    }
}
