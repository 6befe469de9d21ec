import FreshetCore
import NIOCore

/// The SQL of the PostgreSQL store: the SQLite store's tables and semantics (see FreshetStore's
/// `Schema`), in PostgreSQL's dialect. Only statement shapes are built here; every value is a
/// bind parameter.
enum PostgresSchema {
    /// Serializes concurrent `prepare()` calls (two processes creating the tables at once).
    static let prepareLockKey: Int64 = 0x4672_6573_6865_74  // "Freshet"
    /// The transaction lock every write takes: writers of a store take turns.
    static let writeLockKey: Int64 = 0x4672_6573_6865_7457  // "FreshetW"

    /// Text that is ordered or compared (ids, labels) uses the "C" collation, so ordering is by
    /// code point as in SQLite, whatever locale the cluster was created with.
    static let tables = [
        """
        CREATE TABLE IF NOT EXISTS created_users (
            id TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            gender TEXT COLLATE "C" NOT NULL,
            address TEXT NOT NULL,
            post_code TEXT NOT NULL,
            email TEXT NOT NULL,
            username TEXT NOT NULL,
            dob TEXT NOT NULL,
            registered_date TEXT COLLATE "C" NOT NULL,
            phone TEXT NOT NULL,
            picture TEXT NOT NULL,
            year TEXT NOT NULL,
            month TEXT NOT NULL,
            day TEXT NOT NULL,
            country TEXT COLLATE "C" NOT NULL,
            email_domain TEXT COLLATE "C" NOT NULL,
            age BIGINT NOT NULL,
            nat TEXT NULL,
            ingested_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS created_users_ingested_at ON created_users (ingested_at DESC, id)",
        """
        CREATE TABLE IF NOT EXISTS window_counts (
            window_start BIGINT NOT NULL,
            dimension TEXT COLLATE "C" NOT NULL,
            value TEXT COLLATE "C" NOT NULL,
            count BIGINT NOT NULL,
            PRIMARY KEY (window_start, dimension, value)
        )
        """,
        "CREATE INDEX IF NOT EXISTS window_counts_dimension ON window_counts (dimension, window_start)",
        """
        CREATE TABLE IF NOT EXISTS stream_positions (
            topic TEXT COLLATE "C" NOT NULL,
            partition INTEGER NOT NULL CHECK (partition >= 0),
            next_offset BIGINT NOT NULL CHECK (next_offset >= 0),
            PRIMARY KEY (topic, partition)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS user_counts (
            dimension TEXT COLLATE "C" NOT NULL,
            value TEXT COLLATE "C" NOT NULL,
            count BIGINT NOT NULL,
            PRIMARY KEY (dimension, value)
        )
        """,
    ]

    /// The dashboard counters follow `created_users` through statement-level triggers with
    /// transition tables: one aggregated counter upsert per statement (per batch), whatever the
    /// number of rows. An upsert fires the INSERT trigger for new ids and the UPDATE trigger for
    /// existing ones; an update that changes no counted column nets out to zero deltas.
    static func countersFunction(name: String, old: Bool, new: Bool) -> String {
        func dimensions(_ table: String, _ sign: String) -> String {
            """
            SELECT d.dimension, d.value, \(sign)1 AS delta FROM \(table) r CROSS JOIN LATERAL (VALUES
                ('total', ''), ('gender', r.gender), ('country', r.country), ('email_domain', r.email_domain),
                ('registration_month', substr(r.registered_date, 1, 7))) AS d(dimension, value)
            """
        }
        let parts = (new ? [dimensions("new_rows", "")] : []) + (old ? [dimensions("old_rows", "-")] : [])
        return """
            CREATE OR REPLACE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO user_counts (dimension, value, count)
                SELECT dimension, value, sum(delta) FROM (\(parts.joined(separator: " UNION ALL "))) AS deltas
                GROUP BY dimension, value HAVING sum(delta) <> 0
                ON CONFLICT (dimension, value) DO UPDATE SET count = user_counts.count + EXCLUDED.count;
                RETURN NULL;
            END
            $$
            """
    }

    static let triggers = [
        countersFunction(name: "freshet_counts_insert", old: false, new: true),
        countersFunction(name: "freshet_counts_update", old: true, new: true),
        countersFunction(name: "freshet_counts_delete", old: true, new: false),
        "DROP TRIGGER IF EXISTS created_users_counts_insert ON created_users",
        "DROP TRIGGER IF EXISTS created_users_counts_update ON created_users",
        "DROP TRIGGER IF EXISTS created_users_counts_delete ON created_users",
        """
        CREATE TRIGGER created_users_counts_insert AFTER INSERT ON created_users
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION freshet_counts_insert()
        """,
        """
        CREATE TRIGGER created_users_counts_update AFTER UPDATE ON created_users
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION freshet_counts_update()
        """,
        """
        CREATE TRIGGER created_users_counts_delete AFTER DELETE ON created_users
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION freshet_counts_delete()
        """,
    ]

    static let columnList = CreatedUserRow.columns.joined(separator: ", ")

    /// `VALUES ($1, …), ($k, …)` for `rows` rows of `columns` parameters each.
    static func values(rows: Int, columns: Int) -> String {
        (0..<rows).map { row in
            "(" + (1...columns).map { "$\(row * columns + $0)" }.joined(separator: ", ") + ")"
        }.joined(separator: ", ")
    }

    /// Upsert of any number of distinct ids in one statement, one array parameter per column
    /// (`$1` … `$17` text[], `$18` bigint[] ages, `$19` text[] nationalities with `$20` bool[]
    /// saying which rows have one — an array element cannot be bound as NULL —, `$21` bigint[]
    /// ingest times): the rows' path for a role that may not create temporary tables
    /// (`PostgresSink.RowPath.unnest`).
    static let upsertUsers: String = {
        let texts = CreatedUserRow.columns.prefix(17)
        let parameters = texts.enumerated().map { "$\($0.offset + 1)::text[]" } + ["$18::bigint[]", "$19::text[]", "$20::bool[]", "$21::bigint[]"]
        let names = texts + ["age", "nat", "has_nat", "ingested_at"]
        let selected = texts.map { "u.\($0)" } + ["u.age", "CASE WHEN u.has_nat THEN u.nat END", "u.ingested_at"]
        let updates = CreatedUserRow.columns.dropFirst().map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        return "INSERT INTO created_users (\(columnList)) SELECT \(selected.joined(separator: ", ")) "
            + "FROM unnest(\(parameters.joined(separator: ", "))) AS u(\(names.joined(separator: ", "))) "
            + "ON CONFLICT (id) DO UPDATE SET \(updates)"
    }()

    /// Whether the session's role may create temporary tables (the staging table needs it).
    static let mayCreateTemporaryTables = "SELECT has_database_privilege(current_database(), 'TEMPORARY')"

    /// The session's staging table: a batch's rows are `COPY`ed into it, then moved into
    /// `created_users` by one statement (`upsertStaged`). Temporary (one per connection, never
    /// written to the WAL, invisible to other sessions); created by the first batch a connection
    /// writes (a rolled-back creation is simply redone by the next); emptied by the statement
    /// that moves its rows, and at every commit.
    static let stageTable = "freshet_stage"

    static let createStage =
        "CREATE TEMPORARY TABLE IF NOT EXISTS \(stageTable) (LIKE created_users INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"

    /// Moves the staged rows (distinct ids) into `created_users`, emptying the stage.
    static let upsertStaged: String = {
        let updates = CreatedUserRow.columns.dropFirst().map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        return "WITH staged AS (DELETE FROM \(stageTable) RETURNING \(columnList)) "
            + "INSERT INTO created_users (\(columnList)) SELECT \(columnList) FROM staged "
            + "ON CONFLICT (id) DO UPDATE SET \(updates)"
    }()

    /// Appends `row` to `buffer` as one line of `COPY … FROM STDIN` text format, columns in
    /// `CreatedUserRow.columns` order: tab-separated, `\N` for a missing nationality, and in
    /// text the four bytes the format gives a meaning (backslash, tab, newline, carriage return)
    /// escaped. Any other byte goes as it is: a NUL or invalid UTF-8 is refused by the server
    /// (SQLSTATE 22021), as it would be in any other statement.
    static func appendCopyLine(_ row: CreatedUserRow, to buffer: inout ByteBuffer) {
        func text(_ value: String) {
            var value = value
            value.withUTF8 { bytes in
                var start = 0
                for index in bytes.indices {
                    let escaped: UInt8
                    switch bytes[index] {
                    case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                    case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                    case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                    case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                    default: continue
                    }
                    buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<index]))
                    buffer.writeInteger(UInt8(ascii: "\\"))
                    buffer.writeInteger(escaped)
                    start = index + 1
                }
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start...]))
            }
        }
        func field(_ value: String) {
            text(value)
            buffer.writeInteger(UInt8(ascii: "\t"))
        }
        field(row.id)
        field(row.firstName)
        field(row.lastName)
        field(row.gender)
        field(row.address)
        field(row.postCode)
        field(row.email)
        field(row.username)
        field(row.dob)
        field(row.registeredDate)
        field(row.phone)
        field(row.picture)
        field(row.year)
        field(row.month)
        field(row.day)
        field(row.country)
        field(row.emailDomain)
        buffer.writeString(String(row.age))
        buffer.writeInteger(UInt8(ascii: "\t"))
        if let nat = row.nat { text(nat) } else { buffer.writeStaticString("\\N") }
        buffer.writeInteger(UInt8(ascii: "\t"))
        buffer.writeString(String(row.ingestedAt))
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    static func addWindows(rows: Int) -> String {
        "INSERT INTO window_counts (window_start, dimension, value, count) VALUES \(values(rows: rows, columns: 4)) "
            + "ON CONFLICT (window_start, dimension, value) DO UPDATE SET count = window_counts.count + EXCLUDED.count"
    }

    static func recordPositions(rows: Int) -> String {
        "INSERT INTO stream_positions (topic, partition, next_offset) VALUES \(values(rows: rows, columns: 3)) "
            + "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset"
    }

    /// Rows per window-count statement: 4 parameters each stays far below the protocol's 65,535.
    static let rowsPerStatement = 1000

    static let selectUser = "SELECT \(columnList) FROM created_users WHERE id = $1"
    static let selectPage = "SELECT \(columnList) FROM created_users WHERE id > $1 ORDER BY id LIMIT $2"
    static let selectRecent = "SELECT \(columnList) FROM created_users ORDER BY ingested_at DESC, id LIMIT $1"
    static let selectTotal = "SELECT count FROM user_counts WHERE dimension = 'total' AND value = ''"
    static let selectCountsByCount =
        "SELECT value, count FROM user_counts WHERE dimension = $1 AND count > 0 ORDER BY count DESC, value LIMIT $2"
    static let selectCountsByValue =
        "SELECT value, count FROM user_counts WHERE dimension = $1 AND count > 0 ORDER BY value LIMIT $2"
    static let selectWindows = """
        SELECT window_start, dimension, value, count FROM window_counts
        WHERE dimension = $1 AND window_start >= $2 ORDER BY window_start, value
        """
    static let selectPositions = "SELECT partition, next_offset FROM stream_positions WHERE topic = $1"
}
