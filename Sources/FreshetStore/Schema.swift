import FreshetContracts
import FreshetCore

/// The SQL of the SQLite store. See docs/store.md for the design.
enum Schema {
    static let tables = """
        CREATE TABLE IF NOT EXISTS created_users (
            id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 255),
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            gender TEXT NOT NULL,
            address TEXT NOT NULL,
            post_code TEXT NOT NULL,
            email TEXT NOT NULL,
            username TEXT NOT NULL,
            dob TEXT NOT NULL,
            registered_date TEXT NOT NULL,
            phone TEXT NOT NULL,
            picture TEXT NOT NULL,
            year TEXT NOT NULL,
            month TEXT NOT NULL,
            day TEXT NOT NULL,
            country TEXT NOT NULL,
            email_domain TEXT NOT NULL,
            age INTEGER NOT NULL,
            nat TEXT NULL,
            ingested_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS created_users_ingested_at ON created_users (ingested_at DESC, id);
        CREATE TABLE IF NOT EXISTS window_counts (
            window_start INTEGER NOT NULL,
            dimension TEXT NOT NULL,
            value TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (window_start, dimension, value)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS window_counts_dimension ON window_counts (dimension, window_start);
        CREATE TABLE IF NOT EXISTS stream_positions (
            topic TEXT NOT NULL,
            partition INTEGER NOT NULL CHECK (partition >= 0),
            next_offset INTEGER NOT NULL CHECK (next_offset >= 0),
            PRIMARY KEY (topic, partition)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS keyed_rows (
            tbl TEXT NOT NULL,
            key TEXT NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (tbl, key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS user_counts (
            dimension TEXT NOT NULL,
            value TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (dimension, value)
        ) WITHOUT ROWID;
        """

    // Counter maintenance by triggers (the alternative to Swift deltas; see docs/store.md).
    static let dropTriggers = """
        DROP TRIGGER IF EXISTS created_users_counts_insert;
        DROP TRIGGER IF EXISTS created_users_counts_update;
        DROP TRIGGER IF EXISTS created_users_counts_delete;
        """

    static let createTriggers = """
        CREATE TRIGGER IF NOT EXISTS created_users_counts_insert AFTER INSERT ON created_users BEGIN
            INSERT INTO user_counts (dimension, value, count) VALUES
                ('total', '', 1), ('gender', NEW.gender, 1), ('country', NEW.country, 1),
                ('email_domain', NEW.email_domain, 1), ('registration_month', substr(NEW.registered_date, 1, 7), 1)
            ON CONFLICT (dimension, value) DO UPDATE SET count = count + excluded.count;
        END;
        CREATE TRIGGER IF NOT EXISTS created_users_counts_update
        AFTER UPDATE OF gender, country, email_domain, registered_date ON created_users
        WHEN OLD.gender IS NOT NEW.gender OR OLD.country IS NOT NEW.country
            OR OLD.email_domain IS NOT NEW.email_domain
            OR substr(OLD.registered_date, 1, 7) IS NOT substr(NEW.registered_date, 1, 7)
        BEGIN
            INSERT INTO user_counts (dimension, value, count) VALUES
                ('gender', OLD.gender, -1), ('country', OLD.country, -1), ('email_domain', OLD.email_domain, -1),
                ('registration_month', substr(OLD.registered_date, 1, 7), -1)
            ON CONFLICT (dimension, value) DO UPDATE SET count = count + excluded.count;
            INSERT INTO user_counts (dimension, value, count) VALUES
                ('gender', NEW.gender, 1), ('country', NEW.country, 1), ('email_domain', NEW.email_domain, 1),
                ('registration_month', substr(NEW.registered_date, 1, 7), 1)
            ON CONFLICT (dimension, value) DO UPDATE SET count = count + excluded.count;
        END;
        CREATE TRIGGER IF NOT EXISTS created_users_counts_delete AFTER DELETE ON created_users BEGIN
            INSERT INTO user_counts (dimension, value, count) VALUES
                ('total', '', -1), ('gender', OLD.gender, -1), ('country', OLD.country, -1),
                ('email_domain', OLD.email_domain, -1), ('registration_month', substr(OLD.registered_date, 1, 7), -1)
            ON CONFLICT (dimension, value) DO UPDATE SET count = count + excluded.count;
        END;
        """

    static let columnList = CreatedUserRow.columns.joined(separator: ", ")

    /// The plain upsert, used when triggers maintain the counters.
    static let upsertUser: String = {
        let placeholders = (1...CreatedUserRow.columns.count).map { "?\($0)" }.joined(separator: ", ")
        let updates = CreatedUserRow.columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return "INSERT INTO created_users (\(columnList)) VALUES (\(placeholders)) ON CONFLICT (id) DO UPDATE SET \(updates)"
    }()

    static let insertUserIfNew: String = {
        let placeholders = (1...CreatedUserRow.columns.count).map { "?\($0)" }.joined(separator: ", ")
        return "INSERT INTO created_users (\(columnList)) VALUES (\(placeholders)) ON CONFLICT (id) DO NOTHING"
    }()

    static let updateUser: String = {
        let updates = CreatedUserRow.columns.enumerated().dropFirst().map { "\($1) = ?\($0 + 1)" }.joined(separator: ", ")
        return "UPDATE created_users SET \(updates) WHERE id = ?1"
    }()

    static let lookupCounted = "SELECT gender, country, email_domain, registered_date FROM created_users WHERE id = ?1"

    static let addWindow = """
        INSERT INTO window_counts (window_start, dimension, value, count) VALUES (?1, ?2, ?3, ?4)
        ON CONFLICT (window_start, dimension, value) DO UPDATE SET count = count + excluded.count
        """

    static let addCount = """
        INSERT INTO user_counts (dimension, value, count) VALUES (?1, ?2, ?3)
        ON CONFLICT (dimension, value) DO UPDATE SET count = count + excluded.count
        """

    static let recordPosition = """
        INSERT INTO stream_positions (topic, partition, next_offset) VALUES (?1, ?2, ?3)
        ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset
        """

    static let selectUser = "SELECT \(columnList) FROM created_users WHERE id = ?1"
    static let selectPage = "SELECT \(columnList) FROM created_users WHERE id > ?1 ORDER BY id LIMIT ?2"
    static let selectRecent = "SELECT \(columnList) FROM created_users ORDER BY ingested_at DESC, id LIMIT ?1"
    static let selectTotal = "SELECT count FROM user_counts WHERE dimension = 'total' AND value = ''"
    static let selectCountsByCount = """
        SELECT value, count FROM user_counts WHERE dimension = ?1 AND count > 0 ORDER BY count DESC, value LIMIT ?2
        """
    static let selectCountsByValue = """
        SELECT value, count FROM user_counts WHERE dimension = ?1 AND count > 0 ORDER BY value LIMIT ?2
        """
    static let selectWindows = """
        SELECT window_start, dimension, value, count FROM window_counts
        WHERE dimension = ?1 AND window_start >= ?2 ORDER BY window_start, value
        """
    static let selectPositions = "SELECT partition, next_offset FROM stream_positions WHERE topic = ?1"
    static let selectPosition = "SELECT next_offset FROM stream_positions WHERE topic = ?1 AND partition = ?2"
    static let putKeyedRow = """
        INSERT INTO keyed_rows (tbl, key, value) VALUES (?1, ?2, ?3)
        ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value
        """
    static let selectKeyedRow = "SELECT value FROM keyed_rows WHERE tbl = ?1 AND key = ?2"
    static let selectKeyedRows = "SELECT key, value FROM keyed_rows WHERE tbl = ?1 AND (?2 IS NULL OR key > ?2) ORDER BY key LIMIT ?3"
    static let countKeyedRows = "SELECT count(*) FROM keyed_rows WHERE tbl = ?1"
    static let hasKeyedRows = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'keyed_rows'"
    static let hasTables = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'user_counts'"

    /// Counter dimensions in `user_counts`.
    enum Dimension: String, Sendable {
        case total, gender, country
        case emailDomain = "email_domain"
        case registrationMonth = "registration_month"
    }

    /// "YYYY-MM" of an ISO-8601 `registered_date` (its first 7 characters).
    static func month(of registeredDate: String) -> String {
        String(decoding: registeredDate.utf8.prefix(7), as: UTF8.self)
    }

    /// Binds the row's 20 columns in place (reading through the pointer retains no string).
    static func bind(_ row: UnsafePointer<CreatedUserRow>, to s: RawStatement) {
        s.bind(1, row.pointee.id)
        s.bind(2, row.pointee.firstName)
        s.bind(3, row.pointee.lastName)
        s.bind(4, row.pointee.gender)
        s.bind(5, row.pointee.address)
        s.bind(6, row.pointee.postCode)
        s.bind(7, row.pointee.email)
        s.bind(8, row.pointee.username)
        s.bind(9, row.pointee.dob)
        s.bind(10, row.pointee.registeredDate)
        s.bind(11, row.pointee.phone)
        s.bind(12, row.pointee.picture)
        s.bind(13, row.pointee.year)
        s.bind(14, row.pointee.month)
        s.bind(15, row.pointee.day)
        s.bind(16, row.pointee.country)
        s.bind(17, row.pointee.emailDomain)
        s.bind(18, row.pointee.age)
        s.bind(19, row.pointee.nat)
        s.bind(20, row.pointee.ingestedAt)
    }

    static func readRow(_ s: RawStatement) -> CreatedUserRow {
        CreatedUserRow(
            id: s.text(0), firstName: s.text(1), lastName: s.text(2), gender: s.text(3), address: s.text(4),
            postCode: s.text(5), email: s.text(6), username: s.text(7), dob: s.text(8), registeredDate: s.text(9),
            phone: s.text(10), picture: s.text(11), year: s.text(12), month: s.text(13), day: s.text(14),
            country: s.text(15), emailDomain: s.text(16), age: Int(s.int(17)),
            nat: s.isNull(18) ? nil : s.text(18), ingestedAt: s.int(19)
        )
    }
}
