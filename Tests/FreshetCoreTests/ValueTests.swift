import FreshetCore
import Testing

@Suite("Timestamps, durations, nationalities, transliteration")
struct ValueTests {
    @Test(arguments: [
        "1955-04-14T06:38:21.191Z", "2000-02-29T23:59:59.999Z", "1970-01-01T00:00:00.000Z", "1944-01-01T00:00:00.000Z",
    ])
    func iso8601RoundTrips(text: String) throws {
        let t = try #require(Timestamp(iso8601: text))
        #expect(t.iso8601 == text)
    }

    @Test func iso8601Semantics() throws {
        #expect(Timestamp(iso8601: "1970-01-01T00:00:00Z")?.millisecondsSinceEpoch == 0)
        #expect(Timestamp(iso8601: "1970-01-01T01:00:00+01:00")?.millisecondsSinceEpoch == 0)
        #expect(Timestamp(iso8601: "2004-10-12T03:59:38.072Z")?.millisecondsSinceEpoch == 1_097_553_578_072)
        for bad in [
            "2001-02-29T00:00:00Z", "2001-13-01T00:00:00Z", "2001-01-01 00:00:00Z", "2001-01-01T00:00:00", "yesterday", "2001-01-01T24:00:00Z",
            "2001-01-01T00:00:00.Z",
        ] {
            #expect(Timestamp(iso8601: bad) == nil, "\(bad)")
        }
    }

    @Test func wholeYears() throws {
        let birth = try #require(Timestamp(iso8601: "1990-06-15T12:00:00.000Z"))
        #expect(birth.wholeYears(until: try #require(Timestamp(iso8601: "2020-06-15T11:59:59.999Z"))) == 29)
        #expect(birth.wholeYears(until: try #require(Timestamp(iso8601: "2020-06-15T12:00:00.000Z"))) == 30)
    }

    @Test func durations() {
        #expect(DurationText.parse("60s") == .seconds(60))
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("1m30s") == .seconds(90))
        #expect(DurationText.parse("2h") == .seconds(7200))
        #expect(DurationText.parse("1.5s") == .milliseconds(1500))
        #expect(DurationText.parse("10") == .seconds(10))
        for bad in ["", "s", "10x", "-1s", "1s-"] { #expect(DurationText.parse(bad) == nil, "\(bad)") }
        #expect(DurationText.format(.milliseconds(250)) == "250ms")
        #expect(DurationText.format(.seconds(60)) == "1.0m")
    }

    @Test func nationalityLists() {
        #expect(Nationality.allCases.count == 21)
        #expect(Nationality.parseList("gb, Fr,XX,gb") == [.gb, .fr])
        #expect(Nationality.parseList("zz").isEmpty)
    }

    @Test(arguments: [
        ("Horst-Günter", "horst-gunter"), ("Van Andel", "vanandel"), ("Sørensen", "sorensen"), ("Kulaksızoğlu", "kulaksizoglu"),
        ("کامروا", "khmrw"), ("آرمین", "armyn"), ("Ljubiša", "ljubisa"), ("O'Neil", "oneil"), ("Strauß", "strauss"),
    ])
    func transliteration(input: String, expected: String) {
        #expect(Transliteration.emailLocalPart(input) == expected)
    }
}
