import FreshetCore
import FreshetScheduler
import Testing

func ts(_ text: String) -> Timestamp {
    guard let t = Timestamp(iso8601: text) else { fatalError("bad timestamp \(text)") }
    return t
}

struct CronCase: Sendable, CustomTestStringConvertible {
    var expression: String
    var zone: String
    var after: String
    var expected: String
    var note: String
    init(_ expression: String, _ zone: String = "UTC", after: String, _ expected: String, _ note: String) {
        self.expression = expression
        self.zone = zone
        self.after = after
        self.expected = expected
        self.note = note
    }
    var testDescription: String { "\(expression) [\(zone)] after \(after): \(note)" }
}

@Suite struct CronTests {
    static let cases: [CronCase] = [
        CronCase("@daily", after: "2026-03-10T13:45:00Z", "2026-03-11T00:00:00Z", "@daily is midnight"),
        CronCase("@midnight", after: "2026-03-11T00:00:00Z", "2026-03-12T00:00:00Z", "strictly after"),
        CronCase("@hourly", after: "2026-03-10T13:00:00.001Z", "2026-03-10T14:00:00Z", "next hour"),
        CronCase("@weekly", after: "2026-03-10T00:00:00Z", "2026-03-15T00:00:00Z", "Sunday midnight"),
        CronCase("@monthly", after: "2026-01-31T12:00:00Z", "2026-02-01T00:00:00Z", "first of month"),
        CronCase("@yearly", after: "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z", "new year"),
        CronCase("@annually", after: "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z", "alias of yearly"),
        CronCase("*/15 * * * *", after: "2026-03-10T13:45:00Z", "2026-03-10T14:00:00Z", "quarter hours"),
        CronCase("*/15 * * * *", after: "2026-03-10T13:44:59Z", "2026-03-10T13:45:00Z", "seconds ignored"),
        CronCase("1-5/2 * * * *", after: "2026-03-10T10:03:00Z", "2026-03-10T10:05:00Z", "stepped range"),
        CronCase("1-5/2 * * * *", after: "2026-03-10T10:05:00Z", "2026-03-10T11:01:00Z", "stepped range wraps hour"),
        CronCase("10/20 * * * *", after: "2026-03-10T10:31:00Z", "2026-03-10T10:50:00Z", "a/n means a-max/n"),
        CronCase("0 9 * * MON-FRI", after: "2026-03-13T09:00:00Z", "2026-03-16T09:00:00Z", "Friday to Monday"),
        CronCase("0 9 * * mon-fri", after: "2026-03-14T10:00:00Z", "2026-03-16T09:00:00Z", "names case-insensitive"),
        CronCase("0 12 * * 7", after: "2026-03-10T00:00:00Z", "2026-03-15T12:00:00Z", "7 is Sunday"),
        CronCase("0 0 1,15 * *", after: "2026-03-02T00:00:00Z", "2026-03-15T00:00:00Z", "list"),
        CronCase("0 0 * JUL *", after: "2026-03-02T00:00:00Z", "2026-07-01T00:00:00Z", "month name"),
        CronCase("0 0 31 * *", after: "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "31st skips February"),
        CronCase("0 0 31 * *", after: "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "31st skips April"),
        CronCase("0 0 29 2 *", after: "2025-01-01T00:00:00Z", "2028-02-29T00:00:00Z", "next leap year"),
        CronCase("0 0 29 2 *", after: "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z", "2100 is not a leap year"),
        CronCase("0 0 13 * FRI", after: "2026-03-01T00:00:00Z", "2026-03-06T00:00:00Z", "Vixie OR: any Friday"),
        CronCase("0 0 13 * FRI", after: "2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z", "Vixie OR: the 13th (also a Friday)"),
        CronCase("0 0 2 * FRI", after: "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "Vixie OR: the 2nd, a Monday"),
        CronCase("0 0 */10 * FRI", after: "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z", "*/10 dom counts as star: AND, first Friday on 1/11/21/31"),
        // Europe/Berlin 2026: spring forward 03-29 02:00 CET -> 03:00 CEST (01:00Z); fall back 10-25 03:00 CEST -> 02:00 CET (01:00Z).
        CronCase("30 2 * * *", "Europe/Berlin", after: "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z", "skipped 02:30 fires once at the jump (03:00 CEST)"),
        CronCase("30 2 * * *", "Europe/Berlin", after: "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "next day 02:30 CEST"),
        CronCase("0 9 * * *", "Europe/Berlin", after: "2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "09:00 CET then 09:00 CEST"),
        CronCase("*/15 * * * *", "Europe/Berlin", after: "2026-03-29T00:50:00Z", "2026-03-29T01:00:00Z", "whole skipped hour fires once at the jump"),
        CronCase("*/15 * * * *", "Europe/Berlin", after: "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "then 03:15 CEST"),
        CronCase("30 2 * * *", "Europe/Berlin", after: "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z", "repeated 02:30: first occurrence (CEST)"),
        CronCase("30 2 * * *", "Europe/Berlin", after: "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "repeated 02:30 does not fire again"),
        CronCase("0 * * * *", "Europe/Berlin", after: "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "hourly fires the repeated 02:00 once"),
        // America/New_York 2026: spring forward 03-08 02:00 EST -> 03:00 EDT (07:00Z); fall back 11-01 02:00 EDT -> 01:00 EST (06:00Z).
        CronCase("30 2 * * *", "America/New_York", after: "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z", "skipped 02:30 fires at 03:00 EDT"),
        CronCase("30 2 * * *", "America/New_York", after: "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "next day 02:30 EDT"),
        CronCase("30 1 * * *", "America/New_York", after: "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z", "repeated 01:30: first occurrence (EDT)"),
        CronCase("30 1 * * *", "America/New_York", after: "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", "repeated 01:30 does not fire again"),
        CronCase("0 0 * * *", "America/New_York", after: "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", "midnight EST after fall back"),
    ]

    @Test(arguments: cases)
    func nextFireTime(_ c: CronCase) throws {
        let cron = try CronExpression(c.expression)
        let zone = try SchedulerTimeZone(c.zone)
        let next = cron.next(after: ts(c.after), in: zone)
        #expect(next?.iso8601 == ts(c.expected).iso8601)
    }

    @Test func aDayOfHourlyInBerlinHas23FiresInSpringAnd24InAutumn() throws {
        let cron = try CronExpression("@hourly")
        let berlin = try SchedulerTimeZone("Europe/Berlin")
        func count(from: String, to: String) -> Int {
            var n = 0
            var t = ts(from)
            while let next = cron.next(after: t, in: berlin), next < ts(to) {
                n += 1
                t = next
            }
            return n
        }
        // Local midnight to midnight: 23 wall-clock hours exist in spring, 25 hours (24 distinct
        // readings) in autumn.
        #expect(count(from: "2026-03-28T22:59:00Z", to: "2026-03-29T22:00:00Z") == 23)
        #expect(count(from: "2026-10-24T21:59:00Z", to: "2026-10-25T23:00:00Z") == 24)
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var expression: String
        var field: String?
        var token: String
        var testDescription: String { "'\(expression)' → \(field ?? "-") '\(token)'" }
    }

    static let bad: [BadCase] = [
        BadCase(expression: "60 * * * *", field: "minute", token: "60"),
        BadCase(expression: "* 24 * * *", field: "hour", token: "24"),
        BadCase(expression: "* * 0 * *", field: "day-of-month", token: "0"),
        BadCase(expression: "* * 32 * *", field: "day-of-month", token: "32"),
        BadCase(expression: "* * * 13 *", field: "month", token: "13"),
        BadCase(expression: "* * * FOO *", field: "month", token: "FOO"),
        BadCase(expression: "* * * * MON-FOO", field: "day-of-week", token: "MON-FOO"),
        BadCase(expression: "* * * * 8", field: "day-of-week", token: "8"),
        BadCase(expression: "*/0 * * * *", field: "minute", token: "*/0"),
        BadCase(expression: "5-1 * * * *", field: "minute", token: "5-1"),
        BadCase(expression: "1,,2 * * * *", field: "minute", token: "1,,2"),
        BadCase(expression: "1/2/3 * * * *", field: "minute", token: "1/2/3"),
        BadCase(expression: "0 0 30 2 *", field: "day-of-month", token: "30"),
        BadCase(expression: "* * * *", field: nil, token: "* * * *"),
        BadCase(expression: "0 0 * * * *", field: nil, token: "0 0 * * * *"),
        BadCase(expression: "@fortnightly", field: nil, token: "@fortnightly"),
    ]

    @Test(arguments: bad)
    func badExpressionNamesFieldAndToken(_ c: BadCase) {
        #expect {
            _ = try CronExpression(c.expression)
        } throws: { error in
            guard let e = error as? SchedulerError else { return false }
            return e.code == .invalidCron && e.field == c.field && e.token == c.token
                && e.message.contains(c.token) && (c.field.map { e.message.contains($0) } ?? true)
        }
    }

    @Test func unknownTimeZoneIsNamed() {
        #expect(throws: SchedulerError.self) { _ = try SchedulerTimeZone("Mars/Olympus_Mons") }
        do {
            _ = try SchedulerTimeZone("Mars/Olympus_Mons")
        } catch {
            #expect(error.code == .unknownTimeZone)
            #expect(error.message.contains("Mars/Olympus_Mons"))
        }
    }
}
