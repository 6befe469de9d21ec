/// The top-level members of an API result, for the `inc` and `exc` parameters.
public enum RandomUserField: String, Sendable, CaseIterable {
    case gender, name, location, email, login, registered, dob, phone, cell, id, picture, nat
}

/// The secret `login` members the real API sends. They exist only to make a compatible
/// server's answers complete; `RandomUser` itself never holds them.
public struct LoginSecrets: Sendable, Equatable {
    public var password: String
    public var salt: String
    public var md5: String
    public var sha1: String
    public var sha256: String
    public init(password: String, salt: String, md5: String, sha1: String, sha256: String) {
        self.password = password
        self.salt = salt
        self.md5 = md5
        self.sha1 = sha1
        self.sha256 = sha256
    }
}

extension RandomUser {
    /// Writes the person in the API's JSON shape and member order.
    public func encodeAPI(into w: inout JSONWriter, fields: Set<RandomUserField> = Set(RandomUserField.allCases), secrets: LoginSecrets? = nil) {
        w.byte(UInt8(ascii: "{"))
        var first = true
        func separator(_ w: inout JSONWriter) {
            if first { first = false } else { w.byte(UInt8(ascii: ",")) }
        }
        if fields.contains(.gender) {
            separator(&w)
            w.key("gender")
            w.string(gender)
        }
        if fields.contains(.name) {
            separator(&w)
            w.key("name")
            w.raw("{")
            w.key("title")
            w.string(name.title)
            w.raw(",")
            w.key("first")
            w.string(name.first)
            w.raw(",")
            w.key("last")
            w.string(name.last)
            w.raw("}")
        }
        if fields.contains(.location) {
            separator(&w)
            w.key("location")
            w.raw("{")
            w.key("street")
            w.raw("{")
            w.key("number")
            w.int(location.street.number)
            w.raw(",")
            w.key("name")
            w.string(location.street.name)
            w.raw("},")
            w.key("city")
            w.string(location.city)
            w.raw(",")
            w.key("state")
            w.string(location.state)
            w.raw(",")
            w.key("country")
            w.string(location.country)
            w.raw(",")
            w.key("postcode")
            switch location.postcode {
            case .number(let n): w.int(n)
            case .string(let s): w.string(s)
            }
            w.raw(",")
            w.key("coordinates")
            w.raw("{")
            w.key("latitude")
            w.string(location.latitude)
            w.raw(",")
            w.key("longitude")
            w.string(location.longitude)
            w.raw("},")
            w.key("timezone")
            w.raw("{")
            w.key("offset")
            w.string(location.timezoneOffset)
            w.raw(",")
            w.key("description")
            w.string(location.timezoneDescription)
            w.raw("}}")
        }
        if fields.contains(.email) {
            separator(&w)
            w.key("email")
            w.string(email)
        }
        if fields.contains(.login) {
            separator(&w)
            w.key("login")
            w.raw("{")
            w.key("uuid")
            w.string(login.uuid)
            w.raw(",")
            w.key("username")
            w.string(login.username)
            if let secrets {
                w.raw(",")
                w.key("password")
                w.string(secrets.password)
                w.raw(",")
                w.key("salt")
                w.string(secrets.salt)
                w.raw(",")
                w.key("md5")
                w.string(secrets.md5)
                w.raw(",")
                w.key("sha1")
                w.string(secrets.sha1)
                w.raw(",")
                w.key("sha256")
                w.string(secrets.sha256)
            }
            w.raw("}")
        }
        if fields.contains(.dob) {
            separator(&w)
            w.key("dob")
            w.raw("{")
            w.key("date")
            w.string(dob.date)
            w.raw(",")
            w.key("age")
            w.int(dob.age)
            w.raw("}")
        }
        if fields.contains(.registered) {
            separator(&w)
            w.key("registered")
            w.raw("{")
            w.key("date")
            w.string(registered.date)
            w.raw(",")
            w.key("age")
            w.int(registered.age)
            w.raw("}")
        }
        if fields.contains(.phone) {
            separator(&w)
            w.key("phone")
            w.string(phone)
        }
        if fields.contains(.cell) {
            separator(&w)
            w.key("cell")
            w.string(cell)
        }
        if fields.contains(.id) {
            separator(&w)
            w.key("id")
            w.raw("{")
            w.key("name")
            w.string(id.name)
            w.raw(",")
            w.key("value")
            w.optionalString(id.value)
            w.raw("}")
        }
        if fields.contains(.picture) {
            separator(&w)
            w.key("picture")
            w.raw("{")
            w.key("large")
            w.string(picture.large)
            w.raw(",")
            w.key("medium")
            w.string(picture.medium)
            w.raw(",")
            w.key("thumbnail")
            w.string(picture.thumbnail)
            w.raw("}")
        }
        if fields.contains(.nat) {
            separator(&w)
            w.key("nat")
            w.string(nat)
        }
        w.byte(UInt8(ascii: "}"))
    }
}

extension RandomUserResponse.Info {
    public func encode(into w: inout JSONWriter) {
        w.raw("{")
        w.key("seed")
        w.string(seed)
        w.raw(",")
        w.key("results")
        w.int(results)
        w.raw(",")
        w.key("page")
        w.int(page)
        w.raw(",")
        w.key("version")
        w.string(version)
        w.raw("}")
    }
}
