import FreshetCore
import NIOCore

// The values the Cassandra sink keeps in its tables, and what counting records does to them:
// pure code, so that the write algorithm in `CassandraSink` is only reads, writes and order.

/// The `USING TIMESTAMP` of every write the sink makes: derived from the log offset the write
/// is "as of", so that Cassandra's last write wins keeps the newest state whatever order the
/// writes land in (a zombie's late write loses to a newer one; the same write twice is the same
/// cell).
///
/// | table | timestamp |
/// | --- | --- |
/// | `partition_windows` | as_of × 4 + 1 |
/// | `stream_state` | counted_offset × 4 + 2 |
/// | `stream_positions` | next_offset × 4 + 3 |
/// | `created_users`, from the log | offset × 2²⁰ + partition × 2 (even) |
/// | `created_users`, upserted outside the log | the smallest odd number above the stored row's write time |
///
/// Rows of one id from two partitions (a test does it; Freshet's processor keys records by id,
/// so one id lives in one partition) never tie: the partition is part of the timestamp.
public enum CassandraWriteTime {
    /// Offsets must be below 2⁴³ and partitions below 2¹⁹ for a row's timestamp to fit.
    public static let offsetLimit: Int64 = 1 << 43
    public static let partitionLimit: Int32 = 1 << 19

    public static func window(asOf: Int64) -> Int64 { asOf &* 4 &+ 1 }
    public static func state(countedOffset: Int64) -> Int64 { countedOffset &* 4 &+ 2 }
    public static func position(nextOffset: Int64) -> Int64 { nextOffset &* 4 &+ 3 }

    /// The timestamp of the row a record at `offset` of `partition` writes.
    public static func row(offset: Int64, partition: Int32) -> Int64 { offset << 20 | Int64(partition) << 1 }

    /// The timestamp of a row upserted over a stored one written at `stored` (nil: none, or
    /// unknown): later than it, and odd, so it never ties with a row of the log.
    public static func upsert(after stored: Int64?) -> Int64 {
        guard let stored, stored >= 0 else { return 1 }
        return stored % 2 == 1 ? stored &+ 2 : stored &+ 1
    }
}

/// One counted cell: a dimension and a label, e.g. ("country", "Norway").
public struct CassandraCell: Sendable, Hashable, Comparable {
    public var dimension: String
    public var label: String

    public init(_ dimension: String, _ label: String) {
        self.dimension = dimension
        self.label = label
    }

    /// Byte order of the UTF-8, as SQLite orders text.
    public static func < (a: CassandraCell, b: CassandraCell) -> Bool {
        a.dimension != b.dimension ? a.dimension.utf8.lexicographicallyPrecedes(b.dimension.utf8) : a.label.utf8.lexicographicallyPrecedes(b.label.utf8)
    }
}

/// Counts by cell, kept canonical (sorted, no zeros) so that two writers computing the same
/// counts write the same bytes.
public struct CassandraCounts: Sendable, Equatable {
    public private(set) var counts: [CassandraCell: Int64] = [:]

    public init(_ counts: [CassandraCell: Int64] = [:]) {
        for (cell, count) in counts where count != 0 { self.counts[cell] = count }
    }

    public subscript(_ cell: CassandraCell) -> Int64 { counts[cell] ?? 0 }

    public mutating func add(_ cell: CassandraCell, _ n: Int64) {
        let total = (counts[cell] ?? 0) &+ n
        counts[cell] = total == 0 ? nil : total
    }

    public mutating func add(_ other: CassandraCounts) {
        for (cell, n) in other.counts { add(cell, n) }
    }

    /// The dashboard's cells of a row: total, gender, country, email domain, registration month.
    public static func dashboardCells(of row: CreatedUserRow) -> [CassandraCell] {
        [
            CassandraCell("total", ""), CassandraCell("gender", row.gender), CassandraCell("country", row.country),
            CassandraCell("email_domain", row.emailDomain), CassandraCell("registration_month", String(row.registeredDate.prefix(7))),
        ]
    }

    /// A record's window cells (`SinkRecord.windowCells`).
    public static func windowCells(of row: CreatedUserRow) -> [CassandraCell] {
        SinkRecord.windowCells(of: row).map { CassandraCell($0.dimension, $0.value) }
    }

    /// Sorted, then each cell: dimension, label, count.
    public func encoded() -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(counts.count))
        for (cell, count) in counts.sorted(by: { $0.key < $1.key }) {
            buffer.writeSinkString(cell.dimension)
            buffer.writeSinkString(cell.label)
            buffer.writeInteger(count)
        }
        return Array(buffer.readableBytesView)
    }

    public init(decoding bytes: [UInt8]) throws(CassandraSinkStateError) {
        var buffer = ByteBuffer(bytes: bytes)
        let count = try buffer.readSinkCount(minimumSize: 16, "counts")
        for _ in 0..<count {
            let dimension = try buffer.readSinkString("dimension")
            let label = try buffer.readSinkString("label")
            guard let n = buffer.readInteger(as: Int64.self) else { throw CassandraSinkStateError("a count is truncated") }
            add(CassandraCell(dimension, label), n)
        }
    }
}

/// A partition's most recently ingested users (id and `ingested_at`), for the dashboard's
/// recent list: newest first, an id at most once, at most `capacity`.
public struct CassandraRecentUsers: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var id: String
        public var ingestedAt: Int64
    }

    public static let capacity = 100
    public private(set) var entries: [Entry] = []

    public init() {}

    static func newer(_ a: Entry, _ b: Entry) -> Bool {
        a.ingestedAt != b.ingestedAt ? a.ingestedAt > b.ingestedAt : a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
    }

    /// The row now stored under its id.
    public mutating func note(_ row: CreatedUserRow) {
        entries.removeAll { $0.id == row.id }
        let entry = Entry(id: row.id, ingestedAt: row.ingestedAt)
        let index = entries.firstIndex { Self.newer(entry, $0) } ?? entries.endIndex
        entries.insert(entry, at: index)
        if entries.count > Self.capacity { entries.removeLast(entries.count - Self.capacity) }
    }

    public func encoded() -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(entries.count))
        for entry in entries {
            buffer.writeSinkString(entry.id)
            buffer.writeInteger(entry.ingestedAt)
        }
        return Array(buffer.readableBytesView)
    }

    public init(decoding bytes: [UInt8]) throws(CassandraSinkStateError) {
        var buffer = ByteBuffer(bytes: bytes)
        let count = try buffer.readSinkCount(minimumSize: 12, "recent users")
        for _ in 0..<count {
            let id = try buffer.readSinkString("id")
            guard let ingestedAt = buffer.readInteger(as: Int64.self) else { throw CassandraSinkStateError("a recent user is truncated") }
            entries.append(Entry(id: id, ingestedAt: ingestedAt))
        }
    }
}

/// A row and the timestamp it is (or will be) written with.
public struct CassandraRowVersion: Sendable, Equatable {
    public var row: CreatedUserRow
    /// `nil`: unknown (a row the sink did not write).
    public var writeTime: Int64?

    public init(row: CreatedUserRow, writeTime: Int64?) {
        self.row = row
        self.writeTime = writeTime
    }
}

/// A partition's row of `stream_state`: the dashboard counters and recent users as of
/// `countedOffset` (every record below it counted, once). The upserts' row also keeps the rows
/// of the last upsert (`pending`) until the next one has written them for sure.
public struct CassandraStreamState: Sendable, Equatable {
    public var countedOffset: Int64
    public var counters: CassandraCounts
    public var recent: CassandraRecentUsers
    public var pending: [CassandraRowVersion]

    public init(
        countedOffset: Int64, counters: CassandraCounts = CassandraCounts(), recent: CassandraRecentUsers = CassandraRecentUsers(),
        pending: [CassandraRowVersion] = []
    ) {
        self.countedOffset = countedOffset
        self.counters = counters
        self.recent = recent
        self.pending = pending
    }

    public static func encode(pending: [CassandraRowVersion]) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(pending.count))
        for version in pending {
            buffer.writeInteger(version.writeTime ?? 0)
            let row = version.row
            for text in [
                row.id, row.firstName, row.lastName, row.gender, row.address, row.postCode, row.email, row.username, row.dob,
                row.registeredDate, row.phone, row.picture, row.year, row.month, row.day, row.country, row.emailDomain,
            ] { buffer.writeSinkString(text) }
            buffer.writeInteger(Int64(row.age))
            buffer.writeInteger(UInt8(row.nat == nil ? 0 : 1))
            buffer.writeSinkString(row.nat ?? "")
            buffer.writeInteger(row.ingestedAt)
        }
        return Array(buffer.readableBytesView)
    }

    public static func decode(pending bytes: [UInt8]) throws(CassandraSinkStateError) -> [CassandraRowVersion] {
        var buffer = ByteBuffer(bytes: bytes)
        let count = try buffer.readSinkCount(minimumSize: 8 + 18 * 4 + 17, "pending rows")
        var versions: [CassandraRowVersion] = []
        for _ in 0..<count {
            guard let writeTime = buffer.readInteger(as: Int64.self) else { throw CassandraSinkStateError("a pending row is truncated") }
            var texts: [String] = []
            for _ in 0..<17 { texts.append(try buffer.readSinkString("column")) }
            guard let age = buffer.readInteger(as: Int64.self), let hasNat = buffer.readInteger(as: UInt8.self) else {
                throw CassandraSinkStateError("a pending row is truncated")
            }
            let nat = try buffer.readSinkString("nat")
            guard let ingestedAt = buffer.readInteger(as: Int64.self) else { throw CassandraSinkStateError("a pending row is truncated") }
            let row = CreatedUserRow(
                id: texts[0], firstName: texts[1], lastName: texts[2], gender: texts[3], address: texts[4], postCode: texts[5], email: texts[6],
                username: texts[7], dob: texts[8], registeredDate: texts[9], phone: texts[10], picture: texts[11], year: texts[12],
                month: texts[13], day: texts[14], country: texts[15], emailDomain: texts[16], age: Int(truncatingIfNeeded: age),
                nat: hasNat == 0 ? nil : nat, ingestedAt: ingestedAt)
            versions.append(CassandraRowVersion(row: row, writeTime: writeTime))
        }
        return versions
    }
}

/// A row of `partition_windows`: one partition's counts of one window, as of `asOf` (every
/// record of the partition below it that counts in the window is counted, once).
public struct CassandraWindow: Sendable, Equatable {
    public var asOf: Int64
    public var cells: CassandraCounts

    public init(asOf: Int64, cells: CassandraCounts) {
        self.asOf = asOf
        self.cells = cells
    }
}

/// What counting a slice's records beyond the counted offset does: computed from the
/// partition's state as of that offset and the stored versions of the records' rows (every row
/// below the counted offset is written when they are read, so a stored row is the version
/// before the record — or a newer one from elsewhere, which the record's row will lose to).
public struct CassandraCountingPlan: Sendable, Equatable {
    /// The partition's state as of the slice's end.
    public var state: CassandraStreamState
    /// The rows to write: for each id, the last version the records leave, when it wins over
    /// the stored one.
    public var rows: [CassandraRowVersion]
    /// The records counting in each window: their offsets and window cells.
    public var windowRecords: [Int64: [(offset: Int64, cells: [CassandraCell])]]

    public static func == (a: CassandraCountingPlan, b: CassandraCountingPlan) -> Bool {
        a.state == b.state && a.rows == b.rows && a.windowRecords.keys == b.windowRecords.keys
            && a.windowRecords.allSatisfy { start, records in
                b.windowRecords[start].map { other in
                    other.count == records.count && zip(other, records).allSatisfy { $0.offset == $1.offset && $0.cells == $1.cells }
                } ?? false
            }
    }

    /// Counts `records` (offsets at or beyond `state.countedOffset`, in order) of `partition`
    /// into `state`, which then is as of `end`. `stored` holds the stored version of each
    /// record's id (absent: no row).
    ///
    /// A record's row wins when its timestamp is later than the version it meets (the stored
    /// one, or an earlier record's); only then do the counters move from that version to it.
    /// Every record with a window counts in it, whoever's row wins (windows count records).
    public static func count(
        _ records: some Collection<SinkRecord>, partition: Int32, into state: CassandraStreamState, end: Int64,
        stored: [String: CassandraRowVersion]
    ) -> CassandraCountingPlan {
        var next = state
        next.countedOffset = end
        next.pending = []
        var current = stored
        var order: [String] = []
        var written = Set<String>()
        var windows: [Int64: [(offset: Int64, cells: [CassandraCell])]] = [:]
        for record in records {
            if let start = record.windowStart {
                windows[start, default: []].append((record.offset, CassandraCounts.windowCells(of: record.row)))
            }
            let time = CassandraWriteTime.row(offset: record.offset, partition: partition)
            let before = current[record.row.id]
            if let known = before?.writeTime, known >= time { continue }
            if let before {
                for cell in CassandraCounts.dashboardCells(of: before.row) { next.counters.add(cell, -1) }
            }
            for cell in CassandraCounts.dashboardCells(of: record.row) { next.counters.add(cell, 1) }
            next.recent.note(record.row)
            current[record.row.id] = CassandraRowVersion(row: record.row, writeTime: time)
            if written.insert(record.row.id).inserted { order.append(record.row.id) }
        }
        return CassandraCountingPlan(state: next, rows: order.compactMap { current[$0] }, windowRecords: windows)
    }

    /// The window row of `start` after this plan, from the stored one (nil: none): the records
    /// at or beyond both the counted offset the plan started from and the row's own `asOf`
    /// are added, and it is then as of `end`. Nil when the stored row already counts every
    /// record below `end` (another writer got there first).
    public func window(_ start: Int64, stored: CassandraWindow?, countedFrom: Int64, end: Int64) -> CassandraWindow? {
        if let stored, stored.asOf >= end { return nil }
        let lower = max(countedFrom, stored?.asOf ?? countedFrom)
        var cells = stored?.cells ?? CassandraCounts()
        for record in windowRecords[start] ?? [] where record.offset >= lower {
            for cell in record.cells { cells.add(cell, 1) }
        }
        return CassandraWindow(asOf: end, cells: cells)
    }
}

/// A value in the sink's own tables that it cannot read (a blob it did not write).
public struct CassandraSinkStateError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension ByteBuffer {
    mutating func writeSinkString(_ text: String) {
        writeInteger(UInt32(text.utf8.count))
        writeString(text)
    }

    mutating func readSinkString(_ what: String) throws(CassandraSinkStateError) -> String {
        guard let length = readInteger(as: UInt32.self), Int(length) <= readableBytes, let text = readString(length: Int(length)) else {
            throw CassandraSinkStateError("a \(what) is truncated")
        }
        return text
    }

    /// A count of elements of at least `minimumSize` bytes each, checked against the bytes left.
    mutating func readSinkCount(minimumSize: Int, _ what: String) throws(CassandraSinkStateError) -> Int {
        guard let count = readInteger(as: UInt32.self) else { throw CassandraSinkStateError("the count of \(what) is missing") }
        guard Int(count) <= readableBytes / minimumSize else {
            throw CassandraSinkStateError("\(count) \(what) do not fit in \(readableBytes) bytes")
        }
        return Int(count)
    }
}
