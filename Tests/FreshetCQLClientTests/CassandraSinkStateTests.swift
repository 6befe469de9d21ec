import FreshetCassandra
import FreshetCore
import FreshetTesting
import Testing

/// The pure part of the Cassandra sink: its timestamps, its blobs and what counting does.
@Suite("Cassandra sink: state and counting")
struct CassandraSinkStateTests {
    static func row(_ id: String, country: String = "Norway", ingestedAt: Int64 = 0) -> CreatedUserRow {
        var generator = RowGenerator(seed: 1)
        var row = generator.row(idPool: 10, ingestedAt: ingestedAt)
        row.id = id
        row.country = country
        return row
    }

    @Test func laterWritesHaveLaterTimestamps() {
        // Per partition row: window < state < position at one offset, and every one of them
        // later at a later offset.
        for offset: Int64 in [0, 1, 99, 1 << 40] {
            let a = [CassandraWriteTime.window(asOf: offset), CassandraWriteTime.state(countedOffset: offset), CassandraWriteTime.position(nextOffset: offset)]
            #expect(a == a.sorted() && Set(a).count == 3)
            #expect(CassandraWriteTime.state(countedOffset: offset) < CassandraWriteTime.state(countedOffset: offset + 1))
        }
        // Rows: later offsets win; two partitions never tie; an upsert is just above what it replaces.
        #expect(CassandraWriteTime.row(offset: 5, partition: 3) < CassandraWriteTime.row(offset: 6, partition: 0))
        #expect(CassandraWriteTime.row(offset: 5, partition: 3) != CassandraWriteTime.row(offset: 5, partition: 4))
        let stored = CassandraWriteTime.row(offset: 5, partition: 3)
        let upsert = CassandraWriteTime.upsert(after: stored)
        #expect(upsert > stored && upsert % 2 == 1 && upsert < CassandraWriteTime.row(offset: 6, partition: 0))
        #expect(CassandraWriteTime.upsert(after: upsert) == upsert + 2)
        #expect(CassandraWriteTime.upsert(after: nil) == 1)
    }

    @Test func blobsRoundTripAndRefuseWhatTheyDidNotWrite() throws {
        var counts = CassandraCounts()
        counts.add(CassandraCell("country", "Åland"), 3)
        counts.add(CassandraCell("country", "africa"), -2)
        counts.add(CassandraCell("total", ""), 1)
        counts.add(CassandraCell("total", ""), -1)  // zero: gone
        #expect(counts.counts.count == 2)
        #expect(try CassandraCounts(decoding: counts.encoded()) == counts)
        // Canonical: the same counts, added in another order, are the same bytes.
        var other = CassandraCounts()
        other.add(CassandraCell("country", "africa"), -2)
        other.add(CassandraCell("country", "Åland"), 3)
        #expect(other.encoded() == counts.encoded())

        var recent = CassandraRecentUsers()
        for i in 0..<150 { recent.note(Self.row("u\(i)", ingestedAt: Int64(i % 40))) }
        recent.note(Self.row("u3", ingestedAt: 1_000))
        #expect(recent.entries.count == CassandraRecentUsers.capacity)
        #expect(recent.entries.first?.id == "u3")
        #expect(recent.entries.filter { $0.id == "u3" }.count == 1)
        #expect(try CassandraRecentUsers(decoding: recent.encoded()) == recent)

        let pending = [
            CassandraRowVersion(row: Self.row("p"), writeTime: 7),
            CassandraRowVersion(
                row: {
                    var r = Self.row("q")
                    r.nat = nil
                    return r
                }(), writeTime: 9),
        ]
        #expect(try CassandraStreamState.decode(pending: CassandraStreamState.encode(pending: pending)) == pending)

        for bytes: [UInt8] in [[0xff, 0xff, 0xff, 0xff], [0, 0, 0, 1, 0, 0, 0, 9], Array(counts.encoded().dropLast())] {
            #expect(throws: CassandraSinkStateError.self) { try CassandraCounts(decoding: bytes) }
        }
        for bytes: [UInt8] in [[0xff, 0xff, 0xff, 0xff], [0, 0, 0, 1, 0, 0, 0, 9], Array(recent.encoded().dropLast())] {
            #expect(throws: CassandraSinkStateError.self) { try CassandraRecentUsers(decoding: bytes) }
        }
        #expect(throws: CassandraSinkStateError.self) {
            try CassandraStreamState.decode(pending: Array(CassandraStreamState.encode(pending: pending).dropLast()))
        }
    }

    /// Counting follows last write wins: a record whose row loses to a newer stored version
    /// (another partition's) changes no counter, but still counts in its window.
    @Test func countingFollowsTheRowsThatWin() {
        let old = CassandraRowVersion(row: Self.row("a", country: "France"), writeTime: CassandraWriteTime.row(offset: 3, partition: 0))
        let newer = CassandraRowVersion(row: Self.row("b", country: "Spain"), writeTime: CassandraWriteTime.row(offset: 50, partition: 1))
        var state = CassandraStreamState(countedOffset: 10)
        state.counters.add(CassandraCell("total", ""), 2)
        state.counters.add(CassandraCell("country", "France"), 1)
        state.counters.add(CassandraCell("country", "Spain"), 1)
        let records = [
            SinkRecord(offset: 10, row: Self.row("a", country: "Iran"), windowStart: 0),
            SinkRecord(offset: 11, row: Self.row("b", country: "India"), windowStart: 60_000),  // loses to offset 50 of partition 1
            SinkRecord(offset: 12, row: Self.row("a", country: "Canada"), windowStart: nil),
            SinkRecord(offset: 13, row: Self.row("c", country: "Norway"), windowStart: 0),
        ]
        let plan = CassandraCountingPlan.count(records, partition: 0, into: state, end: 20, stored: ["a": old, "b": newer])
        #expect(plan.state.countedOffset == 20)
        #expect(plan.state.counters[CassandraCell("total", "")] == 3)
        #expect(plan.state.counters[CassandraCell("country", "France")] == 0)
        #expect(plan.state.counters[CassandraCell("country", "Iran")] == 0)
        #expect(plan.state.counters[CassandraCell("country", "Canada")] == 1)
        #expect(plan.state.counters[CassandraCell("country", "Spain")] == 1)
        #expect(plan.state.counters[CassandraCell("country", "India")] == 0)
        #expect(plan.rows.map(\.row.id) == ["a", "c"])
        #expect(plan.rows.first?.row.country == "Canada")
        #expect(plan.rows.first?.writeTime == CassandraWriteTime.row(offset: 12, partition: 0))
        #expect(plan.windowRecords[0]?.map(\.offset) == [10, 13])
        #expect(plan.windowRecords[60_000]?.map(\.offset) == [11])

        // Windows: records at or beyond both the counted offset and the row's as_of are added.
        let fresh = plan.window(0, stored: nil, countedFrom: 10, end: 20)
        #expect(fresh?.asOf == 20 && fresh?.cells[CassandraCell("total", "")] == 2)
        var partial = CassandraCounts()
        partial.add(CassandraCell("total", ""), 5)
        let ahead = plan.window(0, stored: CassandraWindow(asOf: 12, cells: partial), countedFrom: 10, end: 20)
        #expect(ahead?.cells[CassandraCell("total", "")] == 6)  // offset 13 only
        #expect(plan.window(0, stored: CassandraWindow(asOf: 20, cells: partial), countedFrom: 10, end: 20) == nil)
    }
}
