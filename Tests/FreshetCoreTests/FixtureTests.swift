import Foundation
import FreshetCore
import FreshetTesting
import Testing

@Suite("Real randomuser.me responses")
struct FixtureTests {
    static let files = (try? Fixtures.randomUserFiles()) ?? ["<fixtures missing>"]

    @Test("every fixture decodes", arguments: files)
    func decodes(file: String) throws {
        let response = try RandomUserResponse.decode(try Fixtures.bytes(file))
        let info = try #require(response.info)
        #expect(info.version == "1.4")
        #expect(info.results == response.results.count)
        #expect(!response.results.isEmpty)
    }

    @Test func sample1EveryField() throws {
        let response = try RandomUserResponse.decode(try Fixtures.bytes("sample-1.json"))
        #expect(response.info == .init(seed: "7738aae0942104f5", results: 1, page: 1, version: "1.4"))
        let u = try #require(response.results.first)
        #expect(u.gender == "male")
        #expect(u.name == .init(title: "Monsieur", first: "Friedrich", last: "Garcia"))
        #expect(u.location.street == .init(number: 3551, name: "Esplanade du 9 Novembre 1989"))
        #expect(u.location.city == "Galgenen")
        #expect(u.location.state == "Schaffhausen")
        #expect(u.location.country == "Switzerland")
        #expect(u.location.postcode == .number(5440))
        #expect(u.location.latitude == "-64.2481")
        #expect(u.location.longitude == "-64.3509")
        #expect(u.location.timezoneOffset == "+9:00")
        #expect(u.location.timezoneDescription == "Tokyo, Seoul, Osaka, Sapporo, Yakutsk")
        #expect(u.email == "friedrich.garcia@example.com")
        #expect(u.login == .init(uuid: "55d52592-02d2-4ffc-85b5-522e726444c5", username: "redfrog436"))
        #expect(u.dob == .init(date: "1955-04-14T06:38:21.191Z", age: 69))
        #expect(u.registered == .init(date: "2004-10-12T03:59:38.072Z", age: 20))
        #expect(u.phone == "075 332 27 39")
        #expect(u.cell == "076 590 62 83")
        #expect(u.id == .init(name: "AVS", value: "756.1899.3159.60"))
        #expect(
            u.picture
                == .init(
                    large: "https://randomuser.me/api/portraits/men/91.jpg",
                    medium: "https://randomuser.me/api/portraits/med/men/91.jpg",
                    thumbnail: "https://randomuser.me/api/portraits/thumb/men/91.jpg"))
        #expect(u.nat == "CH")

        let m = UserCreated(u)
        #expect(m.id == "55d52592-02d2-4ffc-85b5-522e726444c5")
        #expect(m.firstName == "Friedrich")
        #expect(m.lastName == "Garcia")
        #expect(m.gender == "male")
        #expect(m.address == "3551 Esplanade du 9 Novembre 1989, Galgenen, Schaffhausen, Switzerland")
        #expect(m.postCode == "5440")
        #expect(m.email == "friedrich.garcia@example.com")
        #expect(m.username == "redfrog436")
        #expect(m.dob == "1955-04-14T06:38:21.191Z")
        #expect(m.registeredDate == "2004-10-12T03:59:38.072Z")
        #expect(m.phone == "075 332 27 39")
        #expect(m.picture == "https://randomuser.me/api/portraits/med/men/91.jpg")
        #expect(m.nat == "CH")
    }

    @Test func sample2NonASCIIStreetAndNumericPostcode() throws {
        let u = try #require(try RandomUserResponse.decode(try Fixtures.bytes("sample-2.json")).results.first)
        #expect(u.nat == "DK")
        #expect(u.location.postcode == .number(62067))
        #expect(u.location.street.name == "Grønnegade")
        let m = UserCreated(u)
        #expect(m.postCode == "62067")
        #expect(m.address.hasPrefix("\(u.location.street.number) Grønnegade, "))
    }

    @Test func sample5StringPostcodesNullIdentifiersAndScripts() throws {
        let results = try RandomUserResponse.decode(try Fixtures.bytes("sample-5.json")).results
        #expect(results.count == 111)
        #expect(Set(results.map(\.nat)) == Set(Nationality.allCases.map(\.rawValue)))
        let strings = results.filter { if case .string = $0.location.postcode { true } else { false } }
        #expect(strings.count == 22)
        #expect(results.count { $0.id.value == nil } == 14)
        for u in results where u.id.value == nil {
            #expect(["IR", "NZ", "TR", "UA"].contains(u.nat))
            #expect(u.id.name == "")
        }
        let gb = try #require(results.first { $0.location.postcode == .string("CU12 8SH") })
        #expect(gb.nat == "GB")
        #expect(UserCreated(gb).postCode == "CU12 8SH")
        let no = try #require(results.first { $0.location.postcode == .string("1659") })
        #expect(UserCreated(no).postCode == "1659")
        let ir = try #require(results.first { $0.nat == "IR" })
        #expect(ir.name.first.unicodeScalars.allSatisfy { $0.value > 0x600 || $0 == " " })
        #expect(UserCreated(ir).address.hasSuffix(", Iran"))
    }

    @Test("messages keep the seed keys, in order, and round-trip exactly", arguments: files)
    func messagesRoundTrip(file: String) throws {
        for user in try RandomUserResponse.decode(try Fixtures.bytes(file)).results {
            let message = UserCreated(user)
            let bytes = message.jsonBytes()
            // Our own reader.
            #expect(try UserCreated.decode(bytes) == message)
            guard case .object(let object) = try JSONParser.parse(bytes) else {
                Issue.record("not an object")
                continue
            }
            #expect(object.keys == UserCreated.seedKeys + ["nat"])
            for member in object.members { #expect(member.value.stringValue != nil, "\(member.key) is not a string") }
            // Any other JSON parser: Foundation's.
            let foundation = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String])
            #expect(foundation["address"] == message.address)
            #expect(foundation["post_code"] == message.postCode)
            #expect(foundation["first_name"] == user.name.first)
            // Re-encoding what was read gives the same bytes.
            #expect(try UserCreated.decode(bytes).jsonBytes() == bytes)
        }
    }

    @Test("no secret field survives decoding", arguments: files)
    func secretsAreDropped(file: String) throws {
        let raw = try Fixtures.bytes(file)
        let json = try JSONParser.parse(raw)
        let response = try RandomUserResponse.decode(raw)
        let rawResults = try #require(json.objectValue?["results"]?.arrayValue)
        for (user, rawUser) in zip(response.results, rawResults) {
            let login = try #require(rawUser.objectValue?["login"]?.objectValue)
            let secrets = ["password", "salt", "md5", "sha1", "sha256"].compactMap { login[$0]?.stringValue }
            #expect(secrets.count == 5, "fixture has the secrets to drop")
            // Everything we keep or forward, as text.
            var api = JSONWriter()
            user.encodeAPI(into: &api)
            let outputs = [String(decoding: UserCreated(user).jsonBytes(), as: UTF8.self), String(decoding: api.bytes, as: UTF8.self), "\(user)"]
            for output in outputs {
                for key in ["password", "salt", "md5", "sha1", "sha256"] { #expect(!output.contains("\"\(key)\"")) }
                for secret in secrets where secret.count >= 6 { #expect(!output.contains(secret), "secret leaked into \(output.prefix(60))") }
            }
        }
    }

    @Test func emailsFollowTheTransliterationRule() throws {
        var checked = 0
        for file in try Fixtures.randomUserFiles() {
            for u in try RandomUserResponse.decode(try Fixtures.bytes(file)).results {
                let expected = Transliteration.emailLocalPart(u.name.first) + "." + Transliteration.emailLocalPart(u.name.last) + "@example.com"
                #expect(u.email == expected, "\(u.nat) \(u.name.first) \(u.name.last)")
                checked += 1
            }
        }
        #expect(checked == 113)
    }

    @Test func agesMatchTheirDates() throws {
        // Each response's ages were computed on the day it was fetched: one day must fit all.
        for file in try Fixtures.randomUserFiles() {
            let results = try RandomUserResponse.decode(try Fixtures.bytes(file)).results
            for u in results {
                let dob = try #require(Timestamp(iso8601: u.dob.date))
                let registered = try #require(Timestamp(iso8601: u.registered.date))
                #expect((1944...2001).contains(dob.components.year))
                #expect((2002...2022).contains(registered.components.year))
                #expect(abs((2023 + 1 - dob.components.year) - u.dob.age) <= 2)
            }
        }
    }

    @Test func decodingErrorsNameThePath() throws {
        var raw = String(decoding: try Fixtures.bytes("sample-1.json"), as: UTF8.self)
        raw = raw.replacingOccurrences(of: "\"postcode\": 5440", with: "\"postcode\": true")
        #expect(throws: RandomUserDecodingError(path: "results[0].location.postcode", message: "expected number or string, found boolean")) {
            try RandomUserResponse.decode(Array(raw.utf8))
        }
        #expect(throws: RandomUserDecodingError(path: "results", message: "missing")) {
            try RandomUserResponse.decode(Array(#"{"info":{}}"#.utf8))
        }
    }
}
