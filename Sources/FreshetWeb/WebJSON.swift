import Foundation
import FreshetContracts
import FreshetCore
import FreshetScheduler

/// The JSON API's answers, as Codable types: the keys, their order (sorted) and `null` for an
/// absent value are what the pages and other clients read.
enum WebJSON {
    /// Sorted keys, as the answers always had.
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map(Array.init) ?? Array("{}".utf8)
    }

    /// `{"error": …, "parameter": …}`, and the conf key at fault when there is one.
    struct Failure: Encodable, Sendable {
        var error: String
        var parameter: String?
        var key: String?
    }

    struct LabeledCountJSON: Encodable, Sendable {
        var label: String
        var count: Int

        init(_ labeled: LabeledCount) {
            label = labeled.label
            count = labeled.count
        }
    }

    /// A `created_users` row.
    struct User: Encodable, Sendable {
        var id, firstName, lastName, gender, address, postCode, email, username, dob, registeredDate, phone, picture: String
        var year, month, day: String
        var country, emailDomain: String
        var age: Int
        @NullEncoded var nat: String?
        var ingestedAt: Int

        init(_ r: CreatedUserRow) {
            id = r.id
            firstName = r.firstName
            lastName = r.lastName
            gender = r.gender
            address = r.address
            postCode = r.postCode
            email = r.email
            username = r.username
            dob = r.dob
            registeredDate = r.registeredDate
            phone = r.phone
            picture = r.picture
            year = r.year
            month = r.month
            day = r.day
            country = r.country
            emailDomain = r.emailDomain
            age = r.age
            nat = r.nat
            ingestedAt = Int(r.ingestedAt)
        }

        enum CodingKeys: String, CodingKey {
            case id, firstName = "first_name", lastName = "last_name", gender, address, postCode = "post_code", email, username, dob
            case registeredDate = "registered_date", phone, picture, year, month, day, country, emailDomain = "email_domain", age, nat
            case ingestedAt = "ingested_at"
        }
    }

    /// `GET /api/users`.
    struct UsersPage: Encodable, Sendable {
        var users: [User]
        @NullEncoded var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case users, nextCursor = "next_cursor"
        }
    }

    /// `GET /api/topics`.
    struct Topic: Encodable, Sendable {
        struct Partition: Encodable, Sendable {
            var partition: Int
            var earliest: Int
            var latest: Int
            var bytes: Int
        }

        var name: String
        var partitions: [Partition]
    }

    /// `GET /api/groups`.
    struct Group: Encodable, Sendable {
        struct Member: Encodable, Sendable {
            var memberID: String
            var assignment: [String]

            enum CodingKeys: String, CodingKey {
                case memberID = "member_id", assignment
            }
        }

        struct Offset: Encodable, Sendable {
            var topic: String
            var partition: Int
            @NullEncoded var committed: Int?
            var latest: Int
            @NullEncoded var lag: Int?
            @NullEncoded var owner: String?
        }

        var group: String
        var state: String
        var members: [Member]
        var offsets: [Offset]
    }

    /// One record of `GET /api/topics/{name}/messages`; `truncated` and `value_bytes` only when
    /// the record was cut to fit the answer's budget.
    struct Message: Encodable, Sendable {
        var partition: Int
        var offset: Int
        var timestamp: Int
        @NullEncoded var key: String?
        var value: String
        var headers: [String: String]
        var truncated: Bool?
        var valueBytes: Int?
        /// A Confluent-framed Avro value's schema id; `value` is then its JSON, unless
        /// `value_error` says why it could not be decoded (`value` is then the raw bytes).
        var schemaID: Int?
        var valueError: String?

        enum CodingKeys: String, CodingKey {
            case partition, offset, timestamp, key, value, headers, truncated, valueBytes = "value_bytes", schemaID = "schema_id",
                valueError = "value_error"
        }
    }

    /// `GET /readyz`.
    struct Readiness: Encodable, Sendable {
        var status: String
        var checks: [String: String]
    }

    /// `GET /api/dags`.
    struct DAGs: Encodable, Sendable {
        var writable: Bool
        var dags: [DAGSummary]
    }

    /// `POST /api/dags/{dag}/runs`.
    struct Triggered: Encodable, Sendable {
        var dagID: String
        var runID: String
        var state: String

        enum CodingKeys: String, CodingKey {
            case dagID = "dag_id", runID = "run_id", state
        }
    }

    /// `POST /api/dags/{dag}/pause|unpause`.
    struct Paused: Encodable, Sendable {
        var dagID: String
        var paused: Bool

        enum CodingKeys: String, CodingKey {
            case dagID = "dag_id", paused
        }
    }

    /// `GET /api/stats` and the `stats` server-sent event.
    struct Stats: Encodable, Sendable {
        struct Users: Encodable, Sendable {
            var total: Int
            var male: Int
            var female: Int
            var gender: [LabeledCountJSON]
            var topCountries: [LabeledCountJSON]
            var recent: [User]
            var monthlyRegistrations: [LabeledCountJSON]
            var emailDomains: [LabeledCountJSON]

            enum CodingKeys: String, CodingKey {
                case total, male, female, gender, topCountries = "top_countries", recent
                case monthlyRegistrations = "monthly_registrations", emailDomains = "email_domains"
            }
        }

        struct Window: Encodable, Sendable {
            var windowStart: Int
            var count: Int

            enum CodingKeys: String, CodingKey {
                case windowStart = "window_start", count
            }
        }

        var generatedAt: Int
        var mode: String
        var uptimeSeconds: Double
        var users: Users
        var ingestPerMinute: [Window]
        /// `null` in `freshet serve`, which runs no pipeline.
        @NullEncoded var pipeline: Pipeline?

        enum CodingKeys: String, CodingKey {
            case generatedAt = "generated_at", mode, uptimeSeconds = "uptime_seconds", users, ingestPerMinute = "ingest_per_minute", pipeline
        }
    }

    /// The pipeline's own numbers in `/api/stats` (only in `freshet up`).
    struct Pipeline: Encodable, Sendable {
        struct Percentiles: Encodable, Sendable {
            var p50: Double
            var p99: Double
        }

        struct PartitionLag: Encodable, Sendable {
            var partition: Int
            var lag: Int
        }

        struct DeadLetters: Encodable, Sendable {
            struct Latest: Encodable, Sendable {
                var code: String
                var reason: String
                var source: String
                var timestamp: Int
            }

            var total: Int
            var byCode: [String: Int]
            var latest: [Latest]

            enum CodingKeys: String, CodingKey {
                case total, byCode = "by_code", latest
            }
        }

        struct Source: Encodable, Sendable {
            var requests: Int
            var people: Int
            var errors: [String: Int]
        }

        var recordsInPerSecond: Double
        var recordsOutPerSecond: Double
        var produced: Int
        var consumed: Int
        var stored: Int
        var latencyMS: Percentiles
        var storeWriteMS: Percentiles
        var lag: [PartitionLag]
        var totalLag: Int
        var dlq: DeadLetters
        /// Records neither stored nor dead-lettered (freshet_records_dropped_total).
        var dropped: Int
        var source: Source
        var rssBytes: Int

        enum CodingKeys: String, CodingKey {
            case recordsInPerSecond = "records_in_per_second", recordsOutPerSecond = "records_out_per_second"
            case produced, consumed, stored, latencyMS = "latency_ms", storeWriteMS = "store_write_ms", lag
            case totalLag = "total_lag", dlq, dropped, source, rssBytes = "rss_bytes"
        }
    }
}
