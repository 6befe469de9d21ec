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

/// What the processor hands a store in one durable step: the rows to upsert, the window
/// count increments those rows produced, and the log positions they came from. A store
/// applies all three atomically, so a replay after a crash can neither lose nor double-count.
public struct SinkBatch: Sendable, Equatable {
    public var rows: [CreatedUserRow]
    public var windowIncrements: [WindowCount]
    public var positions: [StreamPosition]

    public init(rows: [CreatedUserRow], windowIncrements: [WindowCount], positions: [StreamPosition]) {
        self.rows = rows
        self.windowIncrements = windowIncrements
        self.positions = positions
    }
}
