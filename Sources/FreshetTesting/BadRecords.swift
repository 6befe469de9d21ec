import FreshetCore

/// One good `users_created` message and a bad record of every class the schema rejects,
/// shared by the schema tests, the processor tests and the end-to-end tests.
public enum BadRecords {
    public static let good = UserCreated(
        id: "55d52592-02d2-4ffc-85b5-522e726444c5", firstName: "Friedrich", lastName: "Garcia", gender: "male",
        address: "3551 Esplanade du 9 Novembre 1989, Galgenen, Schaffhausen, Switzerland", postCode: "5440",
        email: "Friedrich.Garcia@Example.COM", username: "redfrog436", dob: "1955-04-14T06:38:21.191Z",
        registeredDate: "2004-10-02T03:59:38.072Z", phone: "075 332 27 39",
        picture: "https://randomuser.me/api/portraits/med/men/91.jpg", nat: "CH")

    public static func mutated(_ body: (inout [String: String]) -> Void) -> [UInt8] {
        var fields: [String: String] = [
            "id": good.id, "first_name": good.firstName, "last_name": good.lastName, "gender": good.gender,
            "address": good.address, "post_code": good.postCode, "email": good.email, "username": good.username,
            "dob": good.dob, "registered_date": good.registeredDate, "phone": good.phone, "picture": good.picture,
        ]
        body(&fields)
        var w = JSONWriter()
        w.byte(UInt8(ascii: "{"))
        for (i, (k, v)) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.string(k)
            w.byte(UInt8(ascii: ":"))
            if v.hasPrefix("#raw:") { w.bytes.append(contentsOf: v.dropFirst(5).utf8) } else { w.string(v) }
        }
        w.byte(UInt8(ascii: "}"))
        return w.bytes
    }

    /// (name, bytes, expected code) for every class of bad record.
    public static let all: [(String, [UInt8], RejectionCode)] = [
        ("not JSON", Array("hello, world".utf8), .notJSON),
        ("truncated JSON", Array(#"{"id":"#.utf8), .notJSON),
        ("an array", Array("[1,2]".utf8), .notAnObject),
        ("missing id", mutated { $0["id"] = nil }, .missingField),
        ("missing email", mutated { $0["email"] = nil }, .missingField),
        ("number name", mutated { $0["first_name"] = "#raw:42" }, .wrongType),
        ("null gender", mutated { $0["gender"] = "#raw:null" }, .wrongType),
        ("object post_code", mutated { $0["post_code"] = "#raw:{}" }, .wrongType),
        ("bad uuid", mutated { $0["id"] = "not-a-uuid" }, .badUUID),
        ("uuid with a bad digit", mutated { $0["id"] = "55d52592-02d2-4ffc-85b5-522e726444cz" }, .badUUID),
        ("two @", mutated { $0["email"] = "a@b@example.com" }, .badEmail),
        ("no domain", mutated { $0["email"] = "someone@" }, .badEmail),
        ("no @", mutated { $0["email"] = "someone.example.com" }, .badEmail),
        ("gender", mutated { $0["gender"] = "robot" }, .badGender),
        ("bad dob", mutated { $0["dob"] = "yesterday" }, .badDate),
        ("impossible date", mutated { $0["registered_date"] = "2004-02-30T00:00:00.000Z" }, .badDate),
        ("oversized field", mutated { $0["address"] = String(repeating: "x", count: 5000) }, .fieldTooLong),
        ("invalid UTF-8", Array(#"{"id":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8), .invalidUTF8),
    ]

}
