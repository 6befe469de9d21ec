import AsyncHTTPClient
import FreshetCore
import FreshetSource
import FreshetTesting
import NIOCore
import NIOHTTP1
import Testing

@Suite("Compatible API server")
struct APIServerTests {
    static let reference = Timestamp(year: 2026, month: 11, day: 22)

    @Test func queryRules() {
        typealias Q = RandomUserAPIServer.Query
        #expect(Q([("results", "5000")]).results == 5000)
        for bad in ["0", "5001", "-3", "ten", ""] { #expect(Q([("results", bad)]).results == 1, "\(bad)") }
        #expect(Q([]).results == 1)
        #expect(Q([("page", "0")]).page == 1)
        #expect(Q([("page", "7")]).page == 7)
        #expect(Q([("nat", "gb,FR,xx")]).nationalities == [.gb, .fr])
        #expect(Q([("nat", "xx")]).nationalities.isEmpty)
        #expect(Q([("gender", "female")]).gender == "female")
        #expect(Q([("gender", "female"), ("seed", "s")]).gender == nil)
        #expect(Q([("gender", "other")]).gender == nil)
        #expect(Q([("inc", "name,nat")]).fields == [.name, .nat])
        #expect(Q([("exc", "login,id")]).fields == Set(RandomUserField.allCases).subtracting([.login, .id]))
        #expect(Q([("noinfo", "")]).noinfo)
        #expect(!Q([]).noinfo)
    }

    func get(_ url: String) async throws -> (status: Int, body: JSONValue?, text: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        let text = String(buffer: body)
        return (Int(response.status.code), try? JSONParser.parse(Array(text.utf8)), text)
    }

    @Test func answersLikeTheRealAPI() async throws {
        try await withRandomUserAPIServer(referenceDate: Self.reference) { base in
            // results, seed, page, info.
            let r = try await get(base + "?results=25&seed=abc&page=2")
            #expect(r.status == 200)
            let response = try RandomUserResponse.decode(try #require(r.body))
            #expect(response.results.count == 25)
            #expect(response.info == .init(seed: "abc", results: 25, page: 2, version: "1.4"))
            let generator = RandomUserGenerator(referenceDate: Self.reference)
            #expect(response.results == generator.page(seed: "abc", page: 2, results: 25))
            // The same query again is the same people; another page is not.
            #expect(try await get(base + "?results=25&seed=abc&page=2").text == r.text)
            #expect(try await get(base + "?results=25&seed=abc&page=3").text != r.text)
            // Versioned path and trailing-slash-less path.
            #expect(try await get(base + "1.4/?results=25&seed=abc&page=2").text == r.text)
            #expect(try await get(String(base.dropLast()) + "?results=25&seed=abc&page=2").text == r.text)
            // The secrets are there, as the real API sends them (clients must drop them).
            let login = try #require(r.body?.objectValue?["results"]?.arrayValue?.first?.objectValue?["login"]?.objectValue)
            #expect(login.keys == ["uuid", "username", "password", "salt", "md5", "sha1", "sha256"])
        }
    }

    @Test func invalidResultsAndRandomSeeds() async throws {
        try await withRandomUserAPIServer { base in
            for bad in ["0", "9999", "abc"] {
                let r = try await get(base + "?results=\(bad)")
                #expect(try RandomUserResponse.decode(try #require(r.body)).results.count == 1)
            }
            let a = try RandomUserResponse.decode(try #require(try await get(base + "?results=3").body))
            let b = try RandomUserResponse.decode(try #require(try await get(base + "?results=3").body))
            #expect(a.info?.seed != b.info?.seed)
            #expect(a.info?.seed.count == 16)
            #expect(a.results != b.results)
            // The seed the server reported reproduces the people.
            let again = try RandomUserResponse.decode(try #require(try await get(base + "?results=3&seed=\(a.info!.seed)").body))
            #expect(again.results.map(\.login.uuid) == a.results.map(\.login.uuid))
        }
    }

    @Test func natGenderIncExcNoinfo() async throws {
        try await withRandomUserAPIServer { base in
            let nat = try RandomUserResponse.decode(try #require(try await get(base + "?results=200&nat=gb,Fr").body))
            #expect(Set(nat.results.map(\.nat)) == ["GB", "FR"])
            let invalid = try RandomUserResponse.decode(try #require(try await get(base + "?results=500&nat=zz").body))
            #expect(Set(invalid.results.map(\.nat)).count > 10)
            let female = try RandomUserResponse.decode(try #require(try await get(base + "?results=100&gender=female").body))
            #expect(female.results.allSatisfy { $0.gender == "female" })
            let seeded = try RandomUserResponse.decode(try #require(try await get(base + "?results=100&gender=female&seed=x").body))
            #expect(seeded.results.contains { $0.gender == "male" })

            let inc = try #require(try await get(base + "?results=2&inc=name,nat").body)
            for person in try #require(inc.objectValue?["results"]?.arrayValue) { #expect(person.objectValue?.keys == ["name", "nat"]) }
            let exc = try #require(try await get(base + "?results=2&exc=login,location").body)
            for person in try #require(exc.objectValue?["results"]?.arrayValue) {
                #expect(person.objectValue?.keys == ["gender", "name", "email", "dob", "registered", "phone", "cell", "id", "picture", "nat"])
            }
            let noinfo = try #require(try await get(base + "?results=2&noinfo").body)
            #expect(noinfo.objectValue?.keys == ["results"])
            #expect(try #require(try await get(base + "?results=2").body).objectValue?.keys == ["results", "info"])
        }
    }

    @Test func injectsScriptedFaults() async throws {
        let faults = FaultInjection(script: [.tooManyRequests, .serverError, .malformed, .empty], retryAfterSeconds: 7)
        try await withRandomUserAPIServer(faults: faults) { base in
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base), timeout: .seconds(5))
            #expect(response.status.code == 429)
            #expect(response.headers.first(name: "Retry-After") == "7")
            #expect(try await get(base).status == 500)
            let malformed = try await get(base)
            #expect(malformed.status == 200 && malformed.body == nil)
            #expect(try await get(base).text == #"{"results":[]}"#)
            #expect(try await get(base).body != nil)
        }
    }
}
