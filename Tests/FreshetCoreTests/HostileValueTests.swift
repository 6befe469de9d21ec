import FreshetCore
import Testing

@Suite("Hostile values")
struct HostileValueTests {
    /// The fuzz target `duration` found a trap: 2.2e21 hours overflowed Duration's seconds.
    @Test(
        "DurationText.parse refuses what it cannot represent, never traps",
        arguments: [
            "1m4m1m0m2222222222222222222222.h2222222222223mm", "1e300", "99999999999999999999d", "3651d",
            "inf", "nan", "-1s", "1e20", String(repeating: "9", count: 10_000) + "s", "1.7976931348623157e308",
            String(repeating: "1s", count: 100), "١٢s", "½s",
        ])
    func durationNeverTraps(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    /// The one Duration → nanoseconds conversion (NIO timeouts, timers, histograms) saturates
    /// instead of trapping, whatever the duration.
    @Test func nanosecondsSaturate() {
        #expect(Duration.milliseconds(1500).saturatingNanoseconds == 1_500_000_000)
        #expect(Duration.nanoseconds(-7).saturatingNanoseconds == -7)
        #expect(Duration.seconds(Int64.max).saturatingNanoseconds == .max)
        #expect(Duration.seconds(Int64.min).saturatingNanoseconds == .min)
        #expect(Duration.seconds(Int64.max / 1_000_000_000).saturatingNanoseconds == Int64.max / 1_000_000_000 * 1_000_000_000)
        #expect((Duration.seconds(Int64.max / 1_000_000_000) + .seconds(1)).saturatingNanoseconds == .max)
    }

    @Test func durationsWithinTheMaximumStillParse() {
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("1m30s") == .seconds(90))
        #expect(DurationText.parse("3650d") == DurationText.maximum)
        #expect(DurationText.parse("60") == .seconds(60))
        #expect(DurationText.format(.seconds(366 * 86_400)) == "366d")
        #expect(DurationText.parse(DurationText.format(.seconds(366 * 86_400))) == .seconds(366 * 86_400))
    }

    @Test func configRangesNameTheRange() {
        #expect(ConfigRange.double("1e20", in: ConfigRange.rate) == nil)
        #expect(ConfigRange.message(ConfigRange.rate, got: "1e20") == "expected a number in 0.001…1000000, got 1e20")
        #expect(ConfigRange.duration("1e300", in: ConfigRange.runDuration) == nil)
        #expect(ConfigRange.int("9223372036854775808", in: 0...10) == nil)
    }

    /// FreshetCore's JSON reader refuses lone surrogates in strings and keys, escaped or not.
    @Test(
        "lone surrogates are invalid escapes",
        arguments: [
            #"{"id":"\uD800\u0041"}"#, #"{"id":"\uD800"}"#, #"{"id":"\uDC00"}"#, #"{"\uD800":1}"#, #"["\uDBFF\uDBFF"]"#,
        ])
    func loneSurrogates(text: String) {
        #expect(throws: JSONParseError.self) { _ = try JSONParser.parse(text) }
    }

    @Test func pairedSurrogatesParse() throws {
        #expect(try JSONParser.parse(#""\uD83D\uDE00""#) == .string("\u{1F600}"))
    }
}
