/// One row of `created_users`: the seeds' columns, the Grafana variant's `year, month, day,
/// country`, and Freshet's `email_domain`, `age`, `nat`, `ingested_at`.
public struct CreatedUserRow: Sendable, Equatable, Hashable {
    // The seeds' columns (Cassandra `spark_streams.created_users`).
    public var id: String
    public var firstName: String
    public var lastName: String
    public var gender: String
    public var address: String
    public var postCode: String
    public var email: String
    public var username: String
    public var dob: String
    public var registeredDate: String
    public var phone: String
    public var picture: String
    // Derived, as the seeds' Grafana variant stores them: strings, no zero padding ("9").
    public var year: String
    public var month: String
    public var day: String
    /// The text after the last ", " of `address`; "Unknown" if empty.
    public var country: String
    // Freshet's additions.
    /// The part of `email` after the `@`, lower-cased.
    public var emailDomain: String
    /// Whole years between `dob` and `registered_date`.
    public var age: Int
    /// Nationality code when the message carries it.
    public var nat: String?
    /// When the record entered the log (its log timestamp), ms since the Unix epoch.
    public var ingestedAt: Int64

    public init(
        id: String, firstName: String, lastName: String, gender: String, address: String, postCode: String,
        email: String, username: String, dob: String, registeredDate: String, phone: String, picture: String,
        year: String, month: String, day: String, country: String, emailDomain: String, age: Int,
        nat: String?, ingestedAt: Int64
    ) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.gender = gender
        self.address = address
        self.postCode = postCode
        self.email = email
        self.username = username
        self.dob = dob
        self.registeredDate = registeredDate
        self.phone = phone
        self.picture = picture
        self.year = year
        self.month = month
        self.day = day
        self.country = country
        self.emailDomain = emailDomain
        self.age = age
        self.nat = nat
        self.ingestedAt = ingestedAt
    }

    /// Column names in table order.
    public static let columns = [
        "id", "first_name", "last_name", "gender", "address", "post_code", "email", "username", "dob",
        "registered_date", "phone", "picture", "year", "month", "day", "country", "email_domain", "age",
        "nat", "ingested_at",
    ]
}

/// Counts of one per-minute tumbling window of ingest time, for one dimension value:
/// e.g. (window 12:03, "gender", "female") += 41.
public struct WindowCount: Sendable, Equatable, Hashable {
    /// Window start, ms since the Unix epoch (a multiple of 60,000).
    public var windowStart: Int64
    /// "total", "gender", "country" or "nat".
    public var dimension: String
    /// The dimension's value ("female", "Germany", "DE"; "" for total).
    public var value: String
    public var count: Int

    public init(windowStart: Int64, dimension: String, value: String, count: Int) {
        self.windowStart = windowStart
        self.dimension = dimension
        self.value = value
        self.count = count
    }
}

/// A position in a partitioned topic.
public struct StreamPosition: Sendable, Equatable, Hashable {
    public var topic: String
    public var partition: Int32
    /// The next offset to process (one past the last processed record).
    public var nextOffset: Int64

    public init(topic: String, partition: Int32, nextOffset: Int64) {
        self.topic = topic
        self.partition = partition
        self.nextOffset = nextOffset
    }
}

/// One record of a `PartitionSlice`: the row it upserts and the window it counts in.
public struct SinkRecord: Sendable, Equatable {
    /// The record's offset in its partition.
    public var offset: Int64
    public var row: CreatedUserRow
    /// Start of the window (ms since the epoch) the record counts in; nil when it came too late
    /// for its window.
    public var windowStart: Int64?

    public init(offset: Int64, row: CreatedUserRow, windowStart: Int64?) {
        self.offset = offset
        self.row = row
        self.windowStart = windowStart
    }

    /// The window cells a record counts in: ("total", ""), ("gender", …), ("country", …) and,
    /// when the person has one, ("nat", …). Every store counts the same cells.
    public static func windowCells(of row: CreatedUserRow) -> [(dimension: String, value: String)] {
        var cells: [(dimension: String, value: String)] = []
        cells.reserveCapacity(4)
        forEachWindowCell(of: row) { cells.append((dimension: $0, value: $1)) }
        return cells
    }

    /// `windowCells(of:)` without building an array: `body(dimension, value)` for each cell, in
    /// the same order.
    @inlinable
    public static func forEachWindowCell(
        of row: CreatedUserRow, _ body: (_ dimension: String, _ value: String) throws -> Void
    ) rethrows {
        try body("total", "")
        try body("gender", row.gender)
        try body("country", row.country)
        if let nat = row.nat { try body("nat", nat) }
    }
}

/// One partition's part of a batch: what the processor read at offsets `from..<to`, in log
/// order. The range is the fence: a store applies only the records at or beyond the position
/// it holds for the partition, in the same atomic step that moves that position to `to`.
public struct PartitionSlice: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    /// The processor's position before these records.
    public var from: Int64
    /// The position after them (one past the last record read).
    public var to: Int64
    /// The records that change the store, in offset order, each in `from..<to`. Offsets of the
    /// range without a record here (dead letters, records the processor skipped) move only the
    /// position.
    public var records: [SinkRecord]

    public init(topic: String, partition: Int32, from: Int64, to: Int64, records: [SinkRecord]) {
        self.topic = topic
        self.partition = partition
        self.from = from
        self.to = to
        self.records = records
    }
}

/// What the processor hands a store in one write: a slice per partition it read from.
/// docs/pipeline.md ("The store contract") explains why this is enough for exactly-once.
public struct SinkBatch: Sendable, Equatable {
    public var slices: [PartitionSlice]

    public init(slices: [PartitionSlice]) {
        self.slices = slices
    }
}

/// What a store did with one slice of a batch.
public struct SliceOutcome: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    /// The store's position for the partition before the write; nil when it had none.
    public var positionBefore: Int64?
    /// Records applied (those at or beyond `positionBefore`).
    public var applied: Int
    /// Records below `positionBefore`, applied by an earlier write: left alone.
    public var alreadyApplied: Int
    /// The slice was wholly at or below the store's position (another writer, or an earlier
    /// attempt, had applied it): nothing changed, the position included.
    public var stale: Bool

    public init(topic: String, partition: Int32, positionBefore: Int64?, applied: Int, alreadyApplied: Int, stale: Bool) {
        self.topic = topic
        self.partition = partition
        self.positionBefore = positionBefore
        self.applied = applied
        self.alreadyApplied = alreadyApplied
        self.stale = stale
    }

    /// The outcome of `decision` for `slice`.
    public init(_ slice: PartitionSlice, positionBefore: Int64?, decision: SliceFence.Decision) {
        switch decision {
        case .apply(let records, let alreadyApplied):
            self.init(
                topic: slice.topic, partition: slice.partition, positionBefore: positionBefore, applied: records.count, alreadyApplied: alreadyApplied,
                stale: false)
        case .stale, .gap:
            self.init(
                topic: slice.topic, partition: slice.partition, positionBefore: positionBefore, applied: 0, alreadyApplied: slice.records.count, stale: true)
        }
    }
}

/// How a store decides what to apply of a slice, written once for every store:
/// `plan(slice, position:)` given the position the store holds for the partition.
public enum SliceFence {
    public enum Decision: Sendable, Equatable {
        /// Apply `records` (those at or beyond the stored position) and move the position to `slice.to`.
        case apply(records: ArraySlice<SinkRecord>, alreadyApplied: Int)
        /// Wholly at or below the stored position: change nothing.
        case stale
        /// Starts beyond the stored position: the records between would be lost. Refused
        /// (`SliceGapError`).
        case gap(stored: Int64)
    }

    public static func plan(_ slice: PartitionSlice, position stored: Int64?) -> Decision {
        guard let stored else { return .apply(records: slice.records[...], alreadyApplied: 0) }
        if slice.to <= stored { return .stale }
        if slice.from > stored { return .gap(stored: stored) }
        let first = slice.records.firstIndex { $0.offset >= stored } ?? slice.records.endIndex
        return .apply(records: slice.records[first...], alreadyApplied: first - slice.records.startIndex)
    }
}

/// A slice that starts beyond the position the store holds for its partition: applying it
/// would skip the records in between. Stores refuse it whole.
public struct SliceGapError: Error, Sendable, Equatable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public var stored: Int64
    public var from: Int64

    public init(topic: String, partition: Int32, stored: Int64, from: Int64) {
        self.topic = topic
        self.partition = partition
        self.stored = stored
        self.from = from
    }

    public var description: String {
        "\(topic)/\(partition): the store holds the partition up to offset \(stored), but the batch starts at \(from) (offsets \(stored)..<\(from) were never stored); refusing it"
    }
}
