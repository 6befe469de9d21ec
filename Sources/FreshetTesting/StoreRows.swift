import Foundation
import FreshetCore

/// A small deterministic generator of store rows (independent of FreshetSource), shared by the
/// tests of every store so they write the same data.
public struct RowGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func int(_ upper: Int) -> Int { Int(next() % UInt64(upper)) }

    public mutating func pick<T>(_ values: [T]) -> T { values[int(values.count)] }

    public static let genders = ["female", "male"]
    // Mixed case and non-ASCII labels: ordering must be by code point, as in SQLite.
    public static let countries = ["Germany", "France", "Brazil", "Canada", "India", "Norway", "Spain", "Iran", "Unknown", "Åland", "africa"]
    public static let domains = ["example.com", "mail.org", "freshet.dev", "über.de", "x.io", "Z.io"]

    /// A row with id `"u-<n>"` for n in 0..<idPool (so ids repeat), random dimensions.
    public mutating func row(idPool: Int, ingestedAt: Int64? = nil) -> CreatedUserRow {
        let n = int(idPool)
        let year = 2002 + int(21)
        let month = 1 + int(12)
        let day = 1 + int(28)
        let registered = String(format: "%04d-%02d-%02dT10:%02d:00.000Z", year, month, day, int(60))
        let domain = pick(Self.domains)
        let country = pick(Self.countries)
        return CreatedUserRow(
            id: pick(["u-", "U-", "ü-"]) + "\(n)", firstName: "First\(int(1000))", lastName: "Last-ö\(int(1000))", gender: pick(Self.genders),
            address: "\(int(9999)) Main St, Town, \(country)", postCode: String(int(99999)),
            email: "user\(n)@\(domain)", username: "user\(n)", dob: "1980-01-01T00:00:00.000Z",
            registeredDate: registered, phone: "555-\(int(9999))", picture: "https://p/\(n).jpg",
            year: String(year), month: String(month), day: String(day), country: country, emailDomain: domain,
            age: 18 + int(60), nat: int(4) == 0 ? nil : pick(["DE", "FR", "BR"]),
            ingestedAt: ingestedAt ?? (1_700_000_000_000 + Int64(int(10_000_000)))
        )
    }
}

/// A slice of `topic`/`partition` holding `rows` as the records at offsets `from`, `from + 1`,
/// …, counting in the window `windowStart` (nil: too late for any), and ending at `to`
/// (defaults to one past the last record).
public func slice(
    _ rows: [CreatedUserRow], partition: Int32 = 0, from: Int64, to: Int64? = nil, windowStart: Int64? = 0, topic: String = "users_created"
) -> PartitionSlice {
    let records = rows.enumerated().map { SinkRecord(offset: from + Int64($0.offset), row: $0.element, windowStart: windowStart) }
    return PartitionSlice(topic: topic, partition: partition, from: from, to: to ?? from + Int64(rows.count), records: records)
}

/// A batch of slices.
public func batch(_ slices: PartitionSlice...) -> SinkBatch {
    SinkBatch(slices: slices)
}
