import FreshetContracts
import FreshetStream
import Testing

/// The "write the store transaction now?" decision, by plain calls: `now` is time on a clock
/// the test makes up, so the time limit needs no sleep.
@Suite("Store transaction planner")
struct TransactionPlannerTests {
    let limits = TransactionPlanner.Limits(maxRecords: 50_000, maxBytes: 32 << 20, maxTime: .milliseconds(500))

    @Test func aPollThatIsNotFullIsWrittenAtOnce() {
        var planner = TransactionPlanner(limits: limits)
        let flush0 = planner.add(records: 3, bytes: 2_000, full: false, now: .seconds(7))
        #expect(flush0)
        #expect(planner.reason == .caughtUp)
        #expect(planner.records == 3 && planner.polls == 1)
    }

    @Test func fullPollsGatherUntilTheRecordLimit() {
        var planner = TransactionPlanner(limits: limits)
        for poll in 1...9 {
            let flush1 = planner.add(records: 5_000, bytes: 3_000_000, full: true, now: .milliseconds(poll))
            #expect(!flush1, "poll \(poll)")
        }
        #expect(planner.reason == nil && planner.records == 45_000)
        let flush2 = planner.add(records: 5_000, bytes: 3_000_000, full: true, now: .milliseconds(10))
        #expect(flush2)
        #expect(planner.reason == .records && planner.polls == 10)
    }

    @Test func aPollThatIsNotFullEndsAGatheringTransaction() {
        var planner = TransactionPlanner(limits: limits)
        let flush3 = planner.add(records: 5_000, bytes: 1, full: true, now: .zero)
        #expect(!flush3)
        let flush4 = planner.add(records: 5_000, bytes: 1, full: true, now: .milliseconds(1))
        #expect(!flush4)
        let flush5 = planner.add(records: 12, bytes: 1, full: false, now: .milliseconds(2))
        #expect(flush5)
        #expect(planner.reason == .caughtUp && planner.records == 10_012)
    }

    @Test func theByteBudgetEndsATransactionOfLargeRecords() {
        var planner = TransactionPlanner(limits: limits)
        let flush6 = planner.add(records: 5_000, bytes: 16 << 20, full: true, now: .zero)
        #expect(!flush6)
        let flush7 = planner.add(records: 5_000, bytes: 16 << 20, full: true, now: .zero)
        #expect(flush7)
        #expect(planner.reason == .bytes && planner.records == 10_000)
    }

    @Test func theTimeLimitCountsFromTheFirstRecord() {
        var planner = TransactionPlanner(limits: limits)
        let flush8 = planner.add(records: 5_000, bytes: 1, full: true, now: .seconds(100))
        #expect(!flush8)
        #expect(planner.openedAt == .seconds(100))
        let flush9 = planner.add(records: 5_000, bytes: 1, full: true, now: .seconds(100) + .milliseconds(499))
        #expect(!flush9)
        let flush10 = planner.add(records: 5_000, bytes: 1, full: true, now: .seconds(100) + .milliseconds(500))
        #expect(flush10)
        #expect(planner.reason == .time)
    }

    @Test func resetStartsANewTransaction() {
        var planner = TransactionPlanner(limits: limits)
        _ = planner.add(records: 5_000, bytes: 1, full: true, now: .seconds(1))
        #expect(!planner.isEmpty)
        planner.reset()
        #expect(planner.isEmpty && planner.records == 0 && planner.bytes == 0 && planner.openedAt == nil && planner.reason == nil)
        // The time limit counts from the new transaction's first record, not the old one's.
        let flush11 = planner.add(records: 5_000, bytes: 1, full: true, now: .seconds(5))
        #expect(!flush11)
        #expect(planner.openedAt == .seconds(5))
    }

    @Test func hostileValuesNeitherTrapNorStall() {
        // Limits below their minimum are clamped: every full poll is written at once.
        var tiny = TransactionPlanner(limits: .init(maxRecords: Int.min, maxBytes: -5, maxTime: .seconds(-3)))
        #expect(tiny.limits.maxRecords == 1 && tiny.limits.maxBytes == 1 && tiny.limits.maxTime == .zero)
        let flush12 = tiny.add(records: 1, bytes: 0, full: true, now: .zero)
        #expect(flush12)
        // Counts saturate; negative counts add nothing.
        var planner = TransactionPlanner(limits: .init(maxRecords: Int.max, maxBytes: Int.max, maxTime: .seconds(3600)))
        let flush13 = planner.add(records: Int.max - 1, bytes: Int.max - 1, full: true, now: .zero)
        #expect(!flush13)
        let flush14 = planner.add(records: Int.max, bytes: Int.max, full: true, now: .zero)
        #expect(flush14)
        #expect(planner.records == Int.max && planner.bytes == Int.max && planner.reason == .records)
        var negative = TransactionPlanner(limits: limits)
        let flush15 = negative.add(records: -10, bytes: -10, full: true, now: .zero)
        #expect(!flush15)
        #expect(negative.records == 0 && negative.bytes == 0 && negative.openedAt == nil)
    }

    @Test func theDefaults() {
        let defaults = TransactionPlanner.Limits()
        #expect(defaults.maxRecords == 50_000 && defaults.maxBytes == 8 << 20 && defaults.maxTime == .milliseconds(500))
    }
}
