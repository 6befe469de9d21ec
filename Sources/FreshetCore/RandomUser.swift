/// One person as the Random User API (v1.3/v1.4) returns it, minus the secrets.
///
/// `login.password`, `salt`, `md5`, `sha1` and `sha256` are not fields of this type:
/// decoding skips them, so they can never be stored, logged or forwarded.
public struct RandomUser: Sendable, Equatable {
    public struct Name: Sendable, Equatable {
        public var title: String
        public var first: String
        public var last: String
        public init(title: String, first: String, last: String) {
            self.title = title
            self.first = first
            self.last = last
        }
    }

    public struct Street: Sendable, Equatable {
        public var number: Int
        public var name: String
        public init(number: Int, name: String) {
            self.number = number
            self.name = name
        }
    }

    /// `location.postcode`: a JSON number for some nationalities, a string for others.
    public enum Postcode: Sendable, Equatable {
        case number(Int)
        case string(String)

        /// The postcode as text: a numeric postcode becomes its digits.
        public var text: String {
            switch self {
            case .number(let n): String(n)
            case .string(let s): s
            }
        }
    }

    public struct Location: Sendable, Equatable {
        public var street: Street
        public var city: String
        public var state: String
        public var country: String
        public var postcode: Postcode
        public var latitude: String
        public var longitude: String
        public var timezoneOffset: String
        public var timezoneDescription: String
        public init(
            street: Street, city: String, state: String, country: String, postcode: Postcode,
            latitude: String, longitude: String, timezoneOffset: String, timezoneDescription: String
        ) {
            self.street = street
            self.city = city
            self.state = state
            self.country = country
            self.postcode = postcode
            self.latitude = latitude
            self.longitude = longitude
            self.timezoneOffset = timezoneOffset
            self.timezoneDescription = timezoneDescription
        }
    }

    /// `login` without its secret members.
    public struct Login: Sendable, Equatable {
        public var uuid: String
        public var username: String
        public init(uuid: String, username: String) {
            self.uuid = uuid
            self.username = username
        }
    }

    /// `dob` and `registered`: the API's ISO-8601 string and the age on the day it answered.
    public struct DatedAge: Sendable, Equatable {
        public var date: String
        public var age: Int
        public init(date: String, age: Int) {
            self.date = date
            self.age = age
        }
    }

    /// A national identifier. `name` may be "" and `value` null (IR, NZ, TR, UA).
    public struct Identifier: Sendable, Equatable {
        public var name: String
        public var value: String?
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public struct Picture: Sendable, Equatable {
        public var large: String
        public var medium: String
        public var thumbnail: String
        public init(large: String, medium: String, thumbnail: String) {
            self.large = large
            self.medium = medium
            self.thumbnail = thumbnail
        }
    }

    public var gender: String
    public var name: Name
    public var location: Location
    public var email: String
    public var login: Login
    public var dob: DatedAge
    public var registered: DatedAge
    public var phone: String
    public var cell: String
    public var id: Identifier
    public var picture: Picture
    public var nat: String

    public init(
        gender: String, name: Name, location: Location, email: String, login: Login,
        dob: DatedAge, registered: DatedAge, phone: String, cell: String, id: Identifier,
        picture: Picture, nat: String
    ) {
        self.gender = gender
        self.name = name
        self.location = location
        self.email = email
        self.login = login
        self.dob = dob
        self.registered = registered
        self.phone = phone
        self.cell = cell
        self.id = id
        self.picture = picture
        self.nat = nat
    }
}

/// A whole API response: `results[]` and, unless `noinfo` was asked for, `info`.
public struct RandomUserResponse: Sendable, Equatable {
    public struct Info: Sendable, Equatable {
        public var seed: String
        public var results: Int
        public var page: Int
        public var version: String
        public init(seed: String, results: Int, page: Int, version: String) {
            self.seed = seed
            self.results = results
            self.page = page
            self.version = version
        }
    }

    public var results: [RandomUser]
    public var info: Info?

    public init(results: [RandomUser], info: Info?) {
        self.results = results
        self.info = info
    }
}

/// A response that parses as JSON but does not have the API's shape.
/// `path` names the offending member, e.g. `results[3].location.postcode`.
public struct RandomUserDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

extension RandomUserResponse {
    /// Decodes an API response body. Secret `login` members are skipped, never copied.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> RandomUserResponse {
        let json = try JSONParser.parse(bytes)
        return try decode(json)
    }

    public static func decode(_ json: JSONValue) throws(RandomUserDecodingError) -> RandomUserResponse {
        let reader = Reader(path: "")
        let root = try reader.object(json)
        let resultsValue = try reader.member(root, "results")
        guard case .array(let elements) = resultsValue else {
            throw RandomUserDecodingError(path: "results", message: "expected array, found \(resultsValue.typeName)")
        }
        var results: [RandomUser] = []
        results.reserveCapacity(elements.count)
        for (i, element) in elements.enumerated() {
            results.append(try RandomUser.decode(element, path: "results[\(i)]"))
        }
        var info: Info?
        if let infoValue = root["info"] {
            let r = Reader(path: "info")
            let o = try r.object(infoValue)
            info = Info(
                seed: try r.string(o, "seed"),
                results: try r.int(o, "results"),
                page: try r.int(o, "page"),
                version: try r.string(o, "version")
            )
        }
        return RandomUserResponse(results: results, info: info)
    }
}

extension RandomUser {
    public static func decode(_ json: JSONValue, path: String = "") throws(RandomUserDecodingError) -> RandomUser {
        let r = Reader(path: path)
        let o = try r.object(json)

        let name = try r.nested(o, "name")
        let location = try r.nested(o, "location")
        let street = try r.nested(location.value, "street", under: location.path)
        let coordinates = try r.nested(location.value, "coordinates", under: location.path)
        let timezone = try r.nested(location.value, "timezone", under: location.path)
        let login = try r.nested(o, "login")
        let dob = try r.nested(o, "dob")
        let registered = try r.nested(o, "registered")
        let id = try r.nested(o, "id")
        let picture = try r.nested(o, "picture")

        let postcodeValue = try r.member(location.value, "postcode", under: location.path)
        let postcode: Postcode
        switch postcodeValue {
        case .number(let text):
            guard let n = Int(text) else {
                throw RandomUserDecodingError(path: location.path + ".postcode", message: "expected an integer, found \(text)")
            }
            postcode = .number(n)
        case .string(let s):
            postcode = .string(s)
        default:
            throw RandomUserDecodingError(path: location.path + ".postcode", message: "expected number or string, found \(postcodeValue.typeName)")
        }

        let idValue = try r.member(id.value, "value", under: id.path)
        let identifierValue: String?
        switch idValue {
        case .null: identifierValue = nil
        case .string(let s): identifierValue = s
        default:
            throw RandomUserDecodingError(path: id.path + ".value", message: "expected string or null, found \(idValue.typeName)")
        }

        return RandomUser(
            gender: try r.string(o, "gender"),
            name: Name(
                title: try r.string(name.value, "title", under: name.path),
                first: try r.string(name.value, "first", under: name.path),
                last: try r.string(name.value, "last", under: name.path)
            ),
            location: Location(
                street: Street(
                    number: try r.int(street.value, "number", under: street.path),
                    name: try r.string(street.value, "name", under: street.path)
                ),
                city: try r.string(location.value, "city", under: location.path),
                state: try r.string(location.value, "state", under: location.path),
                country: try r.string(location.value, "country", under: location.path),
                postcode: postcode,
                latitude: try r.string(coordinates.value, "latitude", under: coordinates.path),
                longitude: try r.string(coordinates.value, "longitude", under: coordinates.path),
                timezoneOffset: try r.string(timezone.value, "offset", under: timezone.path),
                timezoneDescription: try r.string(timezone.value, "description", under: timezone.path)
            ),
            email: try r.string(o, "email"),
            // Only uuid and username are read: password, salt, md5, sha1 and sha256 are dropped here.
            login: Login(
                uuid: try r.string(login.value, "uuid", under: login.path),
                username: try r.string(login.value, "username", under: login.path)
            ),
            dob: DatedAge(
                date: try r.string(dob.value, "date", under: dob.path),
                age: try r.int(dob.value, "age", under: dob.path)
            ),
            registered: DatedAge(
                date: try r.string(registered.value, "date", under: registered.path),
                age: try r.int(registered.value, "age", under: registered.path)
            ),
            phone: try r.string(o, "phone"),
            cell: try r.string(o, "cell"),
            id: Identifier(name: try r.string(id.value, "name", under: id.path), value: identifierValue),
            picture: Picture(
                large: try r.string(picture.value, "large", under: picture.path),
                medium: try r.string(picture.value, "medium", under: picture.path),
                thumbnail: try r.string(picture.value, "thumbnail", under: picture.path)
            ),
            nat: try r.string(o, "nat")
        )
    }
}

/// Typed member access with error paths.
struct Reader {
    var path: String

    func join(_ base: String, _ key: String) -> String {
        base.isEmpty ? key : base + "." + key
    }

    func object(_ value: JSONValue) throws(RandomUserDecodingError) -> JSONObject {
        guard case .object(let o) = value else {
            throw RandomUserDecodingError(path: path.isEmpty ? "$" : path, message: "expected object, found \(value.typeName)")
        }
        return o
    }

    func member(_ o: JSONObject, _ key: String, under base: String? = nil) throws(RandomUserDecodingError) -> JSONValue {
        guard let value = o[key] else {
            throw RandomUserDecodingError(path: join(base ?? path, key), message: "missing")
        }
        return value
    }

    func nested(_ o: JSONObject, _ key: String, under base: String? = nil) throws(RandomUserDecodingError) -> (value: JSONObject, path: String) {
        let p = join(base ?? path, key)
        let value = try member(o, key, under: base)
        guard case .object(let inner) = value else {
            throw RandomUserDecodingError(path: p, message: "expected object, found \(value.typeName)")
        }
        return (inner, p)
    }

    func string(_ o: JSONObject, _ key: String, under base: String? = nil) throws(RandomUserDecodingError) -> String {
        let value = try member(o, key, under: base)
        guard case .string(let s) = value else {
            throw RandomUserDecodingError(path: join(base ?? path, key), message: "expected string, found \(value.typeName)")
        }
        return s
    }

    func int(_ o: JSONObject, _ key: String, under base: String? = nil) throws(RandomUserDecodingError) -> Int {
        let value = try member(o, key, under: base)
        guard case .number(let text) = value, let n = Int(text) else {
            throw RandomUserDecodingError(path: join(base ?? path, key), message: "expected integer, found \(value.typeName)")
        }
        return n
    }
}
