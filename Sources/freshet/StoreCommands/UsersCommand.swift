import ArgumentParser
import Foundation
import FreshetContracts
import FreshetCore
import FreshetStore

/// `freshet users …`: read the store. Opens it read-only, so it works while `freshet up` runs.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Query the users in the store (read-only; safe while `freshet up` runs).",
        discussion: """
            Examples:
              freshet users count
              freshet users recent -n 10
              freshet users get 55d52592-02d2-4ffc-85b5-522e726444c5 --json
              freshet users list --limit 100 --cursor 55d52592-02d2-4ffc-85b5-522e726444c5
            """,
        subcommands: [Count.self, Recent.self, Get.self, List.self]
    )

    struct Count: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How many users the store holds, and by gender.")

        @OptionGroup var store: StoreReadOptions

        func run() async throws {
            let (total, genders) = try await store.withStore { store in
                (try await store.totalUsers(), try await store.countsByGender())
            }
            if store.json {
                var writer = JSONWriter()
                writer.raw("{\"total\":")
                writer.int(total)
                writer.raw(",\"by_gender\":{")
                for (index, entry) in genders.enumerated() {
                    if index > 0 { writer.byte(UInt8(ascii: ",")) }
                    writer.string(entry.label)
                    writer.byte(UInt8(ascii: ":"))
                    writer.int(entry.count)
                }
                writer.raw("}}")
                print(writer.utf8Text)
            } else {
                print("\(total) users")
                for entry in genders { print("  \(entry.label): \(entry.count)") }
            }
        }
    }

    struct Recent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The most recently ingested users, newest first.")

        @OptionGroup var store: StoreReadOptions
        @Option(name: .shortAndLong, help: "How many users.") var number = 10

        func validate() throws {
            guard (1...10_000).contains(number) else { throw ValidationError("-n must be 1...10000, got \(number)") }
        }

        func run() async throws {
            let rows = try await store.withStore { try await $0.recentUsers(limit: number) }
            print(store.json ? UserOutput.jsonArray(rows) : UserOutput.table(rows))
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One user by id, every column.")

        @OptionGroup var store: StoreReadOptions
        @Argument(help: "The user's id.") var id: String

        func run() async throws {
            guard let row = try await store.withStore({ try await $0.user(id: id) }) else {
                throw NoSuchUser(id: id)
            }
            print(store.json ? UserOutput.json(row) : UserOutput.vertical(row))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Users in id order, one page at a time.",
            discussion: "Pass the printed next cursor to --cursor for the following page."
        )

        @OptionGroup var store: StoreReadOptions
        @Option(help: "Users per page.") var limit = 20
        @Option(help: "Start after this id (the previous page's next cursor).") var cursor: String?

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1...10000, got \(limit)") }
        }

        func run() async throws {
            let rows = try await store.withStore { try await $0.users(limit: limit, after: cursor) }
            let next = rows.count == limit ? rows.last?.id : nil
            if store.json {
                var writer = JSONWriter()
                writer.raw("{\"users\":")
                UserOutput.writeArray(rows, to: &writer)
                writer.raw(",\"next_cursor\":")
                writer.optionalString(next)
                writer.byte(UInt8(ascii: "}"))
                print(writer.utf8Text)
            } else {
                print(UserOutput.table(rows))
                if let next { print("next cursor: \(next)") }
            }
        }
    }
}

/// `--data-dir` and `--json`, shared by the read commands.
struct StoreReadOptions: ParsableArguments {
    @Option(help: "The data directory; the store is <data-dir>/store/freshet.sqlite.")
    var dataDir = "./freshet-data"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    /// Opens the store read-only, checks that it has tables, runs `body`, closes.
    func withStore<R: Sendable>(_ body: (SQLiteStore) async throws -> R) async throws -> R {
        let path = SQLiteStore.path(dataDirectory: dataDir)
        return try await SQLiteStore.withStore(.init(path: path, readOnly: true)) { store in
            try await store.prepare()
            return try await body(store)
        }
    }
}

/// `freshet users get` for an id the store does not hold: exit 1.
struct NoSuchUser: Error, CustomStringConvertible {
    var id: String
    var description: String { "no user with id \(id)" }
}

enum UserOutput {
    static func table(_ rows: [CreatedUserRow]) -> String {
        let header = ["ID", "NAME", "GENDER", "COUNTRY", "EMAIL", "REGISTERED", "INGESTED"]
        let lines = rows.map { row in
            [
                row.id, "\(row.firstName) \(row.lastName)", row.gender, row.country, row.email,
                String(row.registeredDate.prefix(10)), ingested(row.ingestedAt),
            ]
        }
        return render([header] + lines) + (rows.isEmpty ? "\n(no users)" : "")
    }

    static func vertical(_ row: CreatedUserRow) -> String {
        let values = values(row)
        let width = CreatedUserRow.columns.map(\.count).max() ?? 0
        return zip(CreatedUserRow.columns, values).map { name, value in
            name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (value ?? "NULL")
        }.joined(separator: "\n")
    }

    static func json(_ row: CreatedUserRow) -> String {
        var writer = JSONWriter()
        write(row, to: &writer)
        return writer.utf8Text
    }

    static func jsonArray(_ rows: [CreatedUserRow]) -> String {
        var writer = JSONWriter()
        writeArray(rows, to: &writer)
        return writer.utf8Text
    }

    static func writeArray(_ rows: [CreatedUserRow], to writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "["))
        for (index, row) in rows.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            write(row, to: &writer)
        }
        writer.byte(UInt8(ascii: "]"))
    }

    /// Every column as text, in `CreatedUserRow.columns` order (nil for a NULL `nat`).
    static func values(_ row: CreatedUserRow) -> [String?] {
        [
            row.id, row.firstName, row.lastName, row.gender, row.address, row.postCode, row.email, row.username,
            row.dob, row.registeredDate, row.phone, row.picture, row.year, row.month, row.day, row.country,
            row.emailDomain, String(row.age), row.nat, String(row.ingestedAt),
        ]
    }

    private static func write(_ row: CreatedUserRow, to writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "{"))
        for (index, (name, value)) in zip(CreatedUserRow.columns, values(row)).enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.string(name)
            writer.byte(UInt8(ascii: ":"))
            switch name {
            case "age": writer.int(row.age)
            case "ingested_at": writer.int(Int(row.ingestedAt))
            default: writer.optionalString(value)
            }
        }
        writer.byte(UInt8(ascii: "}"))
    }

    private static func ingested(_ milliseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return date.formatted(.iso8601)
    }

    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = first.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

extension JSONWriter {
    /// The bytes written so far, as a string.
    var utf8Text: String { String(decoding: bytes, as: UTF8.self) }
}
