import FreshetCore
import FreshetScheduler
import Testing

@Suite struct ScheduleTests {
    static let hourly = try! CronExpression("@hourly")

    struct DueCase: Sendable, CustomTestStringConvertible {
        var name: String
        var schedule: Schedule
        var now: String
        var lastEnd: String?
        /// Expected intervals as "start/end" pairs (HH:MM on 2026-01-01 UTC).
        var expected: [String]
        var testDescription: String { name }
    }

    static func hourlySchedule(start: String = "2026-01-01T00:00:00Z", catchup: Bool) -> Schedule {
        Schedule(.cron(hourly, .utc), startDate: ts(start), catchup: catchup)
    }

    static let dueCases: [DueCase] = [
        DueCase(
            name: "catchup on: every missed hour", schedule: hourlySchedule(catchup: true), now: "2026-01-01T05:30:00Z", lastEnd: nil,
            expected: ["00:00/01:00", "01:00/02:00", "02:00/03:00", "03:00/04:00", "04:00/05:00"]),
        DueCase(
            name: "catchup off: only the latest", schedule: hourlySchedule(catchup: false), now: "2026-01-01T05:30:00Z", lastEnd: nil,
            expected: ["04:00/05:00"]),
        DueCase(
            name: "catchup on: after the last run", schedule: hourlySchedule(catchup: true), now: "2026-01-01T05:30:00Z", lastEnd: "2026-01-01T03:00:00Z",
            expected: ["03:00/04:00", "04:00/05:00"]),
        DueCase(
            name: "catchup off: after the last run, still only the latest", schedule: hourlySchedule(catchup: false), now: "2026-01-01T05:30:00Z",
            lastEnd: "2026-01-01T02:00:00Z",
            expected: ["04:00/05:00"]),
        DueCase(
            name: "nothing due when up to date", schedule: hourlySchedule(catchup: true), now: "2026-01-01T05:30:00Z", lastEnd: "2026-01-01T05:00:00Z",
            expected: []),
        DueCase(
            name: "interval ending exactly now is due", schedule: hourlySchedule(catchup: true), now: "2026-01-01T02:00:00Z", lastEnd: "2026-01-01T01:00:00Z",
            expected: ["01:00/02:00"]),
        DueCase(
            name: "unaligned start date begins at the next boundary", schedule: hourlySchedule(start: "2026-01-01T00:20:00Z", catchup: true),
            now: "2026-01-01T03:10:00Z", lastEnd: nil,
            expected: ["01:00/02:00", "02:00/03:00"]),
        DueCase(
            name: "first interval not complete yet", schedule: hourlySchedule(catchup: false), now: "2026-01-01T00:59:00Z", lastEnd: nil,
            expected: []),
        DueCase(
            name: "every 30m from 00:10 with catchup", schedule: Schedule(.interval(.seconds(1800)), startDate: ts("2026-01-01T00:10:00Z"), catchup: true),
            now: "2026-01-01T01:45:00Z", lastEnd: nil, expected: ["00:10/00:40", "00:40/01:10", "01:10/01:40"]),
        DueCase(
            name: "every 30m without catchup", schedule: Schedule(.interval(.seconds(1800)), startDate: ts("2026-01-01T00:10:00Z")),
            now: "2026-01-01T01:45:00Z", lastEnd: nil, expected: ["01:10/01:40"]),
        DueCase(
            name: "manual never due", schedule: Schedule(.manual, startDate: ts("2026-01-01T00:00:00Z"), catchup: true),
            now: "2026-01-01T05:00:00Z", lastEnd: nil, expected: []),
    ]

    @Test(arguments: dueCases)
    func dueIntervals(_ c: DueCase) {
        let due = c.schedule.dueIntervals(now: ts(c.now), lastIntervalEnd: c.lastEnd.map(ts))
        let text = due.map { i in
            let s = i.start.components
            let e = i.end.components
            func hm(_ c: Timestamp.Components) -> String {
                (c.hour < 10 ? "0" : "") + "\(c.hour):" + (c.minute < 10 ? "0" : "") + "\(c.minute)"
            }
            return "\(hm(s))/\(hm(e))"
        }
        #expect(text == c.expected)
    }

    @Test func catchupOffWithAnOldStartDateFindsTheLatestIntervalOnly() {
        let s = Schedule(.cron(try! CronExpression("*/5 * * * *"), .utc), startDate: ts("2016-01-01T00:00:00Z"))
        let due = s.dueIntervals(now: ts("2026-06-01T10:07:00Z"), lastIntervalEnd: nil)
        #expect(due == [DataInterval(start: ts("2026-06-01T10:00:00Z"), end: ts("2026-06-01T10:05:00Z"))])
    }

    @Test func catchupOnRespectsTheLimit() {
        let due = Self.hourlySchedule(catchup: true).dueIntervals(now: ts("2026-01-02T00:00:00Z"), lastIntervalEnd: nil, limit: 3)
        #expect(due.map(\.start) == [ts("2026-01-01T00:00:00Z"), ts("2026-01-01T01:00:00Z"), ts("2026-01-01T02:00:00Z")])
    }

    struct ParseCase: Sendable, CustomTestStringConvertible {
        var text: String
        var trigger: Schedule.Trigger?
        var testDescription: String { text }
    }

    static let parseCases: [ParseCase] = [
        ParseCase(text: "@daily", trigger: .cron(try! CronExpression("@daily"), .utc)),
        ParseCase(text: "every 30m", trigger: .interval(.seconds(1800))),
        ParseCase(text: " every 1h30m ", trigger: .interval(.seconds(5400))),
        ParseCase(text: "manual", trigger: .manual),
        ParseCase(text: "every soon", trigger: nil),
        ParseCase(text: "every 0s", trigger: nil),
        ParseCase(text: "61 * * * *", trigger: nil),
    ]

    @Test(arguments: parseCases)
    func parseSchedule(_ c: ParseCase) {
        let s = try? Schedule(parsing: c.text, startDate: ts("2026-01-01T00:00:00Z"))
        #expect(s?.trigger == c.trigger)
        #expect(s.map { !$0.catchup && $0.maxActiveRuns == 1 && !$0.isPaused } ?? true, "documented defaults")
    }
}
