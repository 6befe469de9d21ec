import FreshetCore
import FreshetSource
import FreshetTesting
import Testing

/// Per-nationality formats. Each regex is first checked against every real fixture person of
/// that nationality (so it describes reality), then against generated people.
struct NatShape: Sendable, CustomTestStringConvertible {
    var nat: Nationality
    var postcodeIsNumber: Bool
    var postcode: String
    var phone: String
    var cell: String
    var idName: String
    var idValue: String?  // nil: null
    var testDescription: String { nat.rawValue }
}

let natShapes: [NatShape] = [
    .init(nat: .au, postcodeIsNumber: true, postcode: #"\d{4}"#, phone: #"0\d-\d{4}-\d{4}"#, cell: #"04\d\d-\d{3}-\d{3}"#, idName: "TFN", idValue: #"\d{9}"#),
    .init(
        nat: .br, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"\(\d\d\) \d{4}-\d{4}"#, cell: #"\(\d\d\) \d{4}-\d{4}"#, idName: "CPF",
        idValue: #"\d{3}\.\d{3}\.\d{3}-\d\d"#),
    .init(
        nat: .ca, postcodeIsNumber: false, postcode: #"[A-Z]\d[A-Z] \d[A-Z]\d"#, phone: #"[A-Z]\d\d [A-Z]\d\d-\d{4}"#, cell: #"[A-Z]\d\d [A-Z]\d\d-\d{4}"#,
        idName: "SIN", idValue: #"\d{9}"#),
    .init(
        nat: .ch, postcodeIsNumber: true, postcode: #"\d{4}"#, phone: #"07\d \d{3} \d\d \d\d"#, cell: #"07\d \d{3} \d\d \d\d"#, idName: "AVS",
        idValue: #"756\.\d{4}\.\d{4}\.\d\d"#),
    .init(
        nat: .de, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"0\d{3}-\d{7}"#, cell: #"017\d-\d{7}"#, idName: "SVNR",
        idValue: #"\d\d \d{6} [A-Z] \d{3}"#),
    .init(nat: .dk, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"\d{8}"#, cell: #"\d{8}"#, idName: "CPR", idValue: #"\d{6}-\d{4}"#),
    .init(
        nat: .es, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"9\d\d-\d{3}-\d{3}"#, cell: #"6\d\d-\d{3}-\d{3}"#, idName: "DNI",
        idValue: #"\d{8}-[A-Z]"#),
    .init(
        nat: .fi, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"0\d-\d{3}-\d{3}"#, cell: #"04\d-\d{3}-\d\d-\d\d"#, idName: "HETU",
        idValue: #"NaNNA\d{3}undefined"#),
    .init(
        nat: .fr, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"0\d-\d\d-\d\d-\d\d-\d\d"#, cell: #"06-\d\d-\d\d-\d\d-\d\d"#, idName: "INSEE",
        idValue: #"[12]\d{12} \d\d"#),
    .init(
        nat: .gb, postcodeIsNumber: false, postcode: #"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}"#, phone: #"01\d{3,4} \d{5}|02\d \d{4} \d{4}"#, cell: #"07\d{3} \d{6}"#,
        idName: "NINO", idValue: #"[A-Z]{2} \d\d \d\d \d\d [A-Z]"#),
    .init(nat: .ie, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"0\d1-\d{3}-\d{4}"#, cell: #"081-\d{3}-\d{4}"#, idName: "PPS", idValue: #"\d{7}T"#),
    .init(nat: .in, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"\d{10}"#, cell: #"\d{10}"#, idName: "UIDAI", idValue: #"\d{12}"#),
    .init(nat: .ir, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"0\d\d-\d{8}"#, cell: #"09\d\d-\d{3}-\d{4}"#, idName: "", idValue: nil),
    .init(
        nat: .mx, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"\(\d{3}\) \d{3} \d{4}"#, cell: #"\(\d{3}\) \d{3} \d{4}"#, idName: "NSS",
        idValue: #"\d\d \d\d \d\d \d{4} \d"#),
    .init(
        nat: .nl, postcodeIsNumber: false, postcode: #"\d{4} [A-Z]{2}"#, phone: #"\(0\d{2,3}\) \d{6,7}"#, cell: #"\(06\) \d{8}"#, idName: "BSN",
        idValue: #"\d{8}"#),
    .init(nat: .no, postcodeIsNumber: false, postcode: #"\d{4}"#, phone: #"\d{8}"#, cell: #"[49]\d{7}"#, idName: "FN", idValue: #"\d{11}"#),
    .init(nat: .nz, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"\(\d{3}\)-\d{3}-\d{4}"#, cell: #"\(\d{3}\)-\d{3}-\d{4}"#, idName: "", idValue: nil),
    .init(nat: .rs, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"0\d\d-\d{4}-\d{3}"#, cell: #"06\d-\d{4}-\d{3}"#, idName: "SID", idValue: #"\d{9}"#),
    .init(nat: .tr, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"\(\d{3}\)-\d{3}-\d{4}"#, cell: #"\(\d{3}\)-\d{3}-\d{4}"#, idName: "", idValue: nil),
    .init(
        nat: .ua, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"\(09\d\) [A-Z]\d\d-\d{4}"#, cell: #"\(09\d\) [A-Z]\d\d-\d{4}"#, idName: "", idValue: nil
    ),
    .init(
        nat: .us, postcodeIsNumber: true, postcode: #"\d{5}"#, phone: #"\(\d{3}\) \d{3}-\d{4}"#, cell: #"\(\d{3}\) \d{3}-\d{4}"#, idName: "SSN",
        idValue: #"\d{3}-\d\d-\d{4}"#),
]

/// The JSON "shape" of a value: keys and types, recursively.
func shape(_ value: JSONValue) -> String {
    switch value {
    case .object(let o): "{" + o.members.map { "\($0.key):\(shape($0.value))" }.joined(separator: ",") + "}"
    case .array(let a): "[" + (a.first.map(shape) ?? "") + "]"
    default: value.typeName
    }
}

@Suite("Offline generator")
struct GeneratorTests {
    static let reference = Timestamp(year: 2026, month: 11, day: 22)
    let generator = RandomUserGenerator(referenceDate: GeneratorTests.reference)

    static let fixturePeople: [(user: RandomUser, raw: JSONValue)] = {
        var result: [(RandomUser, JSONValue)] = []
        for file in (try? Fixtures.randomUserFiles()) ?? [] {
            guard let bytes = try? Fixtures.bytes(file), let json = try? JSONParser.parse(bytes),
                let response = try? RandomUserResponse.decode(json), let raws = json.objectValue?["results"]?.arrayValue
            else { continue }
            result += zip(response.results, raws).map { ($0, $1) }
        }
        return result
    }()

    @Test func sameSeedAndPageGiveTheSamePeople() {
        let a = generator.page(seed: "freshet", page: 3, results: 50)
        let b = RandomUserGenerator(referenceDate: Self.reference).page(seed: "freshet", page: 3, results: 50)
        #expect(a == b)
        #expect(a != generator.page(seed: "freshet", page: 4, results: 50))
        #expect(a != generator.page(seed: "freshet2", page: 3, results: 50))
        // A shorter page is a prefix of a longer one.
        #expect(Array(a.prefix(10)) == generator.page(seed: "freshet", page: 3, results: 10))
    }

    @Test func idsAreDistinctUUIDv4s() throws {
        let people = generator.page(seed: "ids", page: 1, results: 20_000)
        #expect(Set(people.map(\.login.uuid)).count == 20_000)
        let uuid = try Regex(#"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"#)
        for p in people.prefix(500) { #expect(p.login.uuid.wholeMatch(of: uuid) != nil, "\(p.login.uuid)") }
    }

    @Test func everyNationalityAppearsAndGenderIsMixed() {
        let people = generator.page(seed: "mix", page: 1, results: 3000)
        #expect(Set(people.map(\.nat)) == Set(Nationality.allCases.map(\.rawValue)))
        let males = people.count { $0.gender == "male" }
        #expect((1300...1700).contains(males))
        #expect(generator.page(seed: "g", page: 1, results: 200, gender: "female").allSatisfy { $0.gender == "female" })
    }

    @Test("per-nationality shapes match the real API", arguments: natShapes)
    func nationalityShape(expected: NatShape) throws {
        let postcode = try Regex(expected.postcode)
        let phone = try Regex(expected.phone)
        let cell = try Regex(expected.cell)
        let idValue = try expected.idValue.map { try Regex($0) }

        func check(_ u: RandomUser, origin: String) {
            let context = "\(origin) \(u.nat) \(u.name.first) \(u.name.last)"
            switch u.location.postcode {
            case .number(let n):
                #expect(expected.postcodeIsNumber, "\(context): numeric postcode")
                #expect(String(n).wholeMatch(of: postcode) != nil, "\(context): postcode \(n)")
            case .string(let s):
                #expect(!expected.postcodeIsNumber, "\(context): string postcode")
                #expect(s.wholeMatch(of: postcode) != nil, "\(context): postcode \(s)")
            }
            #expect(u.phone.wholeMatch(of: phone) != nil, "\(context): phone \(u.phone)")
            #expect(u.cell.wholeMatch(of: cell) != nil, "\(context): cell \(u.cell)")
            #expect(u.id.name == expected.idName, "\(context): id name")
            if let idValue {
                #expect(u.id.value?.wholeMatch(of: idValue) != nil, "\(context): id \(u.id.value ?? "null")")
            } else {
                #expect(u.id.value == nil, "\(context): id value must be null")
            }
        }

        let real = Self.fixturePeople.filter { $0.user.nat == expected.nat.rawValue }
        #expect(!real.isEmpty, "fixtures have \(expected.nat.rawValue)")
        for person in real { check(person.user, origin: "fixture") }

        let generated = generator.page(seed: "shape-\(expected.nat.rawValue)", page: 1, results: 400, nationalities: [expected.nat])
        #expect(generated.allSatisfy { $0.nat == expected.nat.rawValue })
        for person in generated { check(person, origin: "generated") }

        // Same keys and JSON types as a real person of that nationality, secrets included.
        let realShape = shape(real[0].raw)
        for (index, person) in generated.prefix(50).enumerated() {
            var writer = JSONWriter()
            person.encodeAPI(into: &writer, secrets: generator.secrets(seedHash: 1, page: 1, index: index))
            #expect(shape(try JSONParser.parse(writer.bytes)) == realShape)
        }

        // Titles, as the API uses them per nationality.
        let titles = Set(generated.map(\.name.title))
        if expected.nat == .ch {
            #expect(titles.isSubset(of: ["Monsieur", "Madame", "Mademoiselle"]))
            #expect(titles.contains("Monsieur") && titles.contains("Madame") && titles.contains("Mademoiselle"))
        } else {
            #expect(titles.isSubset(of: ["Mr", "Ms", "Mrs", "Miss"]))
        }
        for p in generated {
            #expect(p.gender == "male" ? ["Mr", "Monsieur"].contains(p.name.title) : !["Mr", "Monsieur"].contains(p.name.title))
            #expect(p.location.country == real[0].user.location.country)
        }
    }

    @Test func emailsUsernamesDatesAndPictures() throws {
        let username = try Regex(#"[a-z]+[a-z]+\d{3}"#)
        let picture = try Regex(#"https://randomuser\.me/api/portraits/(med/|thumb/)?(men|women)/\d{1,2}\.jpg"#)
        let email = try Regex(#"[a-z0-9\-]+\.[a-z0-9\-]+@example\.com"#)
        for p in generator.page(seed: "fields", page: 1, results: 2000) {
            #expect(p.email.wholeMatch(of: email) != nil, "\(p.email)")
            #expect(p.email == Transliteration.emailLocalPart(p.name.first) + "." + Transliteration.emailLocalPart(p.name.last) + "@example.com")
            #expect(p.login.username.wholeMatch(of: username) != nil)
            let dob = try #require(Timestamp(iso8601: p.dob.date))
            let registered = try #require(Timestamp(iso8601: p.registered.date))
            #expect(dob.iso8601 == p.dob.date)
            #expect((1944...2001).contains(dob.components.year))
            #expect((2002...2022).contains(registered.components.year))
            #expect(p.dob.age == dob.wholeYears(until: Self.reference))
            #expect(p.registered.age == registered.wholeYears(until: Self.reference))
            for url in [p.picture.large, p.picture.medium, p.picture.thumbnail] { #expect(url.wholeMatch(of: picture) != nil) }
            #expect(p.picture.medium.contains(p.gender == "male" ? "/med/men/" : "/med/women/"))
            let lat = try #require(Double(p.location.latitude))
            let lon = try #require(Double(p.location.longitude))
            #expect(abs(lat) <= 90 && abs(lon) <= 180)
            #expect(!p.location.street.name.isEmpty && (1...9999).contains(p.location.street.number))
        }
    }

    /// The ingest path writes a person's message without making the message first: the same bytes.
    @Test func aPersonsMessageIsTheSameBytesWrittenDirectly() {
        var people = generator.page(seed: "direct", page: 1, results: 300) + Self.fixturePeople.map(\.user)
        var odd = people[0]
        odd.location.street.number = -12
        odd.location.city = "Qu\"o\\te\n\u{1}"
        odd.location.postcode = .number(0)
        people.append(odd)
        for person in people {
            var writer = JSONWriter()
            UserCreated.encode(person, into: &writer)
            #expect(writer.bytes == UserCreated(person).jsonBytes())
        }
    }
}
