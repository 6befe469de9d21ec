import FreshetContracts
import FreshetStream
import Testing

/// Windows and lateness by plain calls: no clock, no processor.
@Suite struct WatermarksTests {
    let p0 = TopicPartition("users_created", 0)
    let p1 = TopicPartition("users_created", 1)

    @Test func aRecordCountsInTheMinuteOfItsTimestamp() {
        var marks = Watermarks(window: .seconds(60), allowedLateness: .seconds(60))
        #expect(marks.window(of: 120_000, partition: p0) == 120_000)
        #expect(marks.window(of: 179_999, partition: p0) == 120_000)
        #expect(marks.window(of: 180_000, partition: p0) == 180_000)
    }

    @Test func aRecordBehindItsPartitionsWatermarkIsLateAndOthersAreNot() {
        var marks = Watermarks(window: .seconds(60), allowedLateness: .seconds(30))
        #expect(marks.window(of: 600_000, partition: p0) == 600_000)
        // Window [540 000, 600 000) ended at 600 000, which is after the watermark 570 000: counts.
        #expect(marks.window(of: 545_000, partition: p0) == 540_000)
        // The partition moves on to 630 000: its watermark is 600 000 and that window is closed.
        #expect(marks.window(of: 630_000, partition: p0) == 600_000)
        #expect(marks.window(of: 545_000, partition: p0) == nil)
        // Another partition has its own watermark: the same timestamp still counts there.
        #expect(marks.window(of: 545_000, partition: p1) == 540_000)
        #expect(marks.newest == [p0: 630_000, p1: 545_000])
    }

    @Test func anyConfigurationIsClampedAndNeverTraps() {
        var huge = Watermarks(window: .seconds(Int64.max / 2), allowedLateness: .seconds(Int64.max / 2))
        #expect(huge.windowMillis == 366 * 86_400 * 1000 && huge.latenessMillis == 366 * 86_400 * 1000)
        #expect(huge.window(of: 253_402_300_799_999, partition: p0) != nil)
        var tiny = Watermarks(window: .zero, allowedLateness: .seconds(-5))
        #expect(tiny.windowMillis == 1 && tiny.latenessMillis == 0)
        #expect(tiny.window(of: 0, partition: p0) == 0)
        #expect(tiny.window(of: 5, partition: p0) == 5)
        #expect(tiny.window(of: 3, partition: p0) == nil)
    }
}
