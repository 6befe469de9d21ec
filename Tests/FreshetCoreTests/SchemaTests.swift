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
}
