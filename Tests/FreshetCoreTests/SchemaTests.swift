import Foundation
import FreshetCore
import FreshetTesting
import Testing

@Suite("users_created schema, validation and transforms")
struct SchemaTests {
    static let good = BadRecords.good

    @Test func transformsAGoodRecord() throws {
        let row = try UserSchema().row(from: Self.good.jsonBytes(), ingestedAt: 1_700_000_000_123).get()
        #expect(row.id == Self.good.id)
        #expect(row.address == Self.good.address)
        #expect(row.postCode == "5440")
        #expect(row.country == "Switzerland")
        #expect(row.year == "2004")
        #expect(row.month == "10")
        #expect(row.day == "2")  // no zero padding, as the seeds store it
        #expect(row.emailDomain == "example.com")
        #expect(row.age == 49)
        #expect(row.nat == "CH")
        #expect(row.ingestedAt == 1_700_000_000_123)
    }

    @Test func postCodeMayBeANumberAndNatMayBeAbsent() throws {
        var text = String(decoding: Self.good.jsonBytes(), as: UTF8.self)
        text = text.replacingOccurrences(of: #""post_code":"5440""#, with: #""post_code":5440"#)
        text = text.replacingOccurrences(of: #","nat":"CH""#, with: "")
        let row = try UserSchema().row(from: Array(text.utf8), ingestedAt: 0).get()
        #expect(row.postCode == "5440")
        #expect(row.nat == nil)
    }

    @Test(arguments: [
        ("Berlin", "Berlin"), ("1 A St, Town, State, ", "Unknown"), ("", "Unknown"), ("1 Rue, Paris, Île-de-France, France", "France"),
    ])
    func country(address: String, expected: String) {
        #expect(UserSchema.country(of: address) == expected)
    }

    @Test("every class of bad record gets its code", arguments: BadRecords.all)
    func rejects(name: String, bytes: [UInt8], code: RejectionCode) {
        switch UserSchema().row(from: bytes, ingestedAt: 0) {
        case .success: Issue.record("\(name) was accepted")
        case .failure(let rejection):
            #expect(rejection.code == code, "\(name): \(rejection)")
            #expect(!rejection.reason.isEmpty)
        }
    }

    /// Messages the direct path reads, and ones it leaves to the general path: both must give
    /// the same row or the same rejection (the general path is the reference).
    static func variants() -> [(String, String)] {
        let good = String(decoding: BadRecords.good.jsonBytes(), as: UTF8.self)
        func replacing(_ a: String, _ b: String) -> String { good.replacingOccurrences(of: a, with: b) }
        return [
            ("good", good),
            ("whitespace", " \n" + replacing(#"":""#, #"" : ""#).replacingOccurrences(of: #"",""#, with: "\" ,\t\"") + "\r\n "),
            ("numeric post_code", replacing(#""post_code":"5440""#, #""post_code":-54.4e1"#)),
            ("nat null", replacing(#""nat":"CH""#, #""nat":null"#)),
            ("nat number", replacing(#""nat":"CH""#, #""nat":1"#)),
            ("no nat", replacing(#","nat":"CH""#, "")),
            ("unknown keys", replacing(#""id":"#, #""extra":{"a":[1,2,{"b":null}],"c":true},"x":"y","id":"#)),
            ("escaped key", replacing(#""email":"#, #""em\u0061il":"#)),
            ("escaped value", replacing(#""first_name":""#, #""first_name":"\u00c9\n"#)),
            ("non-ASCII value", replacing(#""first_name":""#, #""first_name":"Zoë "#)),
            ("duplicate key, last wins", replacing(#""id":"#, #""gender":"other","id":"#)),
            ("duplicate key, bad first", replacing(#""id":"#, #""gender":1,"id":"#)),
            ("gender wrong type", replacing(#""gender":"female""#, #""gender":true"#)),
            ("missing key", replacing(#""phone":"#, #""telephone":"#)),
            ("lower-case email domain", replacing("@Example.COM", "@example.com")),
            ("bad uuid", replacing(BadRecords.good.id, "not-a-uuid")),
            ("trailing data", good + "x"),
            ("truncated", String(good.dropLast())),
            ("empty object", "{}"),
            ("array", "[1]"),
            ("empty", ""),
        ]
    }

    @Test func theDirectPathAgreesWithTheGeneralOne() throws {
        let schema = UserSchema()
        var inputs = Self.variants().map { ($0.0, Array($0.1.utf8)) }
        var invalid = Array(String(decoding: BadRecords.good.jsonBytes(), as: UTF8.self).utf8)
        if let at = invalid.firstIndex(of: UInt8(ascii: "@")) { invalid.insert(0xFF, at: at) }
        inputs.append(("invalid UTF-8", invalid))
        inputs.append(
            (
                "too long",
                Array(
                    String(decoding: BadRecords.good.jsonBytes(), as: UTF8.self).replacingOccurrences(of: "Galgenen", with: String(repeating: "G", count: 2000))
                        .utf8)
            ))
        for (name, bytes) in inputs {
            let direct = schema.row(from: bytes, ingestedAt: 42)
            #expect(direct == schema.generalRow(from: bytes, ingestedAt: 42), "\(name)")
        }
        #expect(try schema.row(from: Array(Self.variants()[0].1.utf8), ingestedAt: 1).get().id == BadRecords.good.id)
    }
}
