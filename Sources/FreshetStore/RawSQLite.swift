import FreshetContracts
import VaporCSQLite

// A thin synchronous wrapper over the sqlite3 C API that sqlite-nio bundles (module `VaporCSQLite`).
//
// Why not `SQLiteConnection`'s async API: it re-prepares every statement on every call and
// hops to the thread pool (and back to an event loop per result row) for each one. A 5,000-row
// batch is then tens of async hops and thousands of statement compilations. Here the whole
// batch runs in ONE blocking hop on `NIOThreadPool` with cached prepared statements.
// Callers serialize access to a `RawConnection` (see `LockedConnection`).

/// SQLITE_TRANSIENT (SQLite copies the value). A computed constant: a global `let` costs a
/// `swift_once` check on every bind.
private var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

/// One open `sqlite3*` handle. Not thread-safe by itself; always used under a lock.
final class RawConnection {
    private(set) var handle: OpaquePointer?
    let path: String
    private var cache: [String: RawStatement] = [:]
    /// Tests: statements left before an injected failure (`StoreFault.failAtStatement`).
    var statementsBeforeFault: Int?

    /// Counts a statement against an injected fault; throws when it is the one to fail.
    func countStatement(_ sql: @autoclosure () -> String) throws(StoreError) {
        guard let left = statementsBeforeFault else { return }
        if left <= 1 {
            statementsBeforeFault = nil
            throw StoreError(code: .io, message: "injected fault before: \(sql())", context: ["path": path])
        }
        statementsBeforeFault = left - 1
    }

    /// Opens `path`. On failure the half-open handle is closed before throwing.
    init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32) throws(StoreError) {
        self.path = path
        var db: OpaquePointer?
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite_nio_sqlite3_open_v2(path, &db, flags, nil)
        if rc != SQLITE_OK {
            let message = db.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "error \(rc)"
            sqlite_nio_sqlite3_close_v2(db)
            throw StoreError(
                code: .cannotOpen,
                message: "cannot open the store at \(path)\(readOnly ? " (read-only)" : ""): \(message)",
                context: ["path": path], sqliteCode: rc
            )
        }
        self.handle = db
        sqlite_nio_sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit { close() }

    /// Finalizes cached statements and closes the handle. Idempotent.
    func close() {
        for statement in cache.values { statement.finalize() }
        cache.removeAll()
        if let handle {
            sqlite_nio_sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    var isClosed: Bool { handle == nil }

    /// Rows changed by the last INSERT/UPDATE/DELETE on this connection.
    var changes: Int { Int(sqlite_nio_sqlite3_changes64(handle)) }
    /// A transaction is open on this connection (`BEGIN` without its `COMMIT`/`ROLLBACK` yet).
    var inTransaction: Bool { sqlite_nio_sqlite3_get_autocommit(handle) == 0 }

    /// Runs one or more SQL statements without results.
    func execute(_ sql: String) throws(StoreError) {
        guard let handle else { throw StoreError.closed(path: path) }
        if sql != "ROLLBACK" { try countStatement(sql) }
        let rc = sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil)
        if rc != SQLITE_OK { throw error(rc, doing: sql) }
    }

    /// A prepared statement cached for the lifetime of the connection.
    func cached(_ sql: String) throws(StoreError) -> RawStatement {
        if let statement = cache[sql] { return statement }
        let statement = try prepare(sql)
        cache[sql] = statement
        return statement
    }

    /// A fresh prepared statement; the caller finalizes it.
    func prepare(_ sql: String) throws(StoreError) -> RawStatement {
        guard let handle else { throw StoreError.closed(path: path) }
        var statement: OpaquePointer?
        let rc = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(rc, doing: sql) }
        return RawStatement(statement, connection: self)
    }

    /// A `StoreError` for a failed SQLite call, classified by result code.
    func error(_ rc: Int32, doing what: String, context: [String: String] = [:]) -> StoreError {
        let message =
            handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite_nio_sqlite3_errstr(rc))
        var context = context
        context["path"] = path
        return StoreError(sqliteCode: rc, message: message, doing: what, context: context)
    }
}

/// A prepared statement. Bind indexes are 1-based; column indexes 0-based.
final class RawStatement {
    private(set) var handle: OpaquePointer?
    unowned let connection: RawConnection

    init(_ handle: OpaquePointer, connection: RawConnection) {
        self.handle = handle
        self.connection = connection
    }

    func finalize() {
        sqlite_nio_sqlite3_finalize(handle)
        handle = nil
    }

    @inline(__always) func bind(_ index: Int32, _ value: String) {
        // A native string is contiguous UTF-8: its bytes are bound without a mutable copy of it.
        let bound: Void? = value.utf8.withContiguousStorageIfAvailable { bindText(index, $0) }
        if bound == nil {
            var value = value
            value.withUTF8 { bindText(index, $0) }
        }
    }

    @inline(__always) private func bindText(_ index: Int32, _ utf8: UnsafeBufferPointer<UInt8>) {
        utf8.withMemoryRebound(to: CChar.self) { chars in
            if let base = chars.baseAddress, chars.count > 0 {
                _ = sqlite_nio_sqlite3_bind_text64(handle, index, base, UInt64(chars.count), transient, UInt8(SQLITE_UTF8))
            } else {
                _ = sqlite_nio_sqlite3_bind_text64(handle, index, "", 0, transient, UInt8(SQLITE_UTF8))
            }
        }
    }

    @inline(__always) func bind(_ index: Int32, _ value: String?) {
        if let value { bind(index, value) } else { sqlite_nio_sqlite3_bind_null(handle, index) }
    }

    @inline(__always) func bind(_ index: Int32, _ value: Int64) {
        sqlite_nio_sqlite3_bind_int64(handle, index, value)
    }

    @inline(__always) func bind(_ index: Int32, _ value: Int) { bind(index, Int64(value)) }

    func bind(_ index: Int32, blob value: [UInt8]) {
        value.withUnsafeBytes { bytes in
            // A zero-length blob still needs a non-null pointer, or SQLite stores NULL.
            _ = sqlite_nio_sqlite3_bind_blob64(handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, UInt64(bytes.count), transient)
        }
    }

    /// Steps once: `true` if a row is available, `false` when done.
    @discardableResult
    func step(context: @autoclosure () -> [String: String] = [:]) throws(StoreError) -> Bool {
        if connection.statementsBeforeFault != nil {
            try connection.countStatement(sqlite_nio_sqlite3_sql(handle).map { String(cString: $0) } ?? "?")
        }
        let rc = sqlite_nio_sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let sql = sqlite_nio_sqlite3_sql(handle).map { String(cString: $0) } ?? "?"
        let error = connection.error(rc, doing: sql, context: context())
        reset()
        throw error
    }

    /// Resets and clears bindings so the statement can be reused.
    func reset() {
        sqlite_nio_sqlite3_reset(handle)
        sqlite_nio_sqlite3_clear_bindings(handle)
    }

    var columnCount: Int32 { sqlite_nio_sqlite3_column_count(handle) }

    @inline(__always) func int(_ column: Int32) -> Int64 { sqlite_nio_sqlite3_column_int64(handle, column) }

    @inline(__always) func isNull(_ column: Int32) -> Bool {
        sqlite_nio_sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    @inline(__always) func text(_ column: Int32) -> String {
        guard let bytes = sqlite_nio_sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite_nio_sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite_nio_sqlite3_column_bytes(handle, column))
        guard count > 0, let bytes = sqlite_nio_sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Runs a query to completion, mapping each row; resets afterwards.
    func rows<T>(_ map: (RawStatement) -> T) throws(StoreError) -> [T] {
        defer { reset() }
        var result: [T] = []
        while try step() { result.append(map(self)) }
        return result
    }
}
