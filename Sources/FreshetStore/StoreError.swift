import FreshetContracts
import VaporCSQLite

/// An error from a store, with a code a caller can branch on, a message a user can act on, and
/// context (the store path, the row id and its index in the batch, the SQLite result code).
///
/// ## Permanent vs transient
/// - ``Code-swift.struct/rowRejected``: permanent for that row. `context["id"]` and
///   `context["index"]` name the row; the processor dead-letters it and retries the batch
///   without it. Nothing of the failed batch was applied.
/// - ``Code-swift.struct/diskFull``, ``Code-swift.struct/busy``, ``Code-swift.struct/io``:
///   transient. Nothing was applied (the transaction rolled back); retry the same batch later.
/// - ``Code-swift.struct/readOnly``, ``Code-swift.struct/corrupt``,
///   ``Code-swift.struct/cannotOpen``, ``Code-swift.struct/closed``, ``Code-swift.struct/notPrepared``:
///   permanent for this store; stop and tell the operator.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }

        /// The database file cannot be opened or created (missing directory, permissions, not found read-only).
        public static let cannotOpen = Code("cannotOpen")
        /// The file is not a database or is damaged.
        public static let corrupt = Code("corrupt")
        /// The disk (or quota) is full.
        public static let diskFull = Code("diskFull")
        /// The store is read-only (opened read-only, or the file/directory is not writable).
        public static let readOnly = Code("readOnly")
        /// Another connection holds a lock for longer than the busy timeout.
        public static let busy = Code("busy")
        /// An I/O error from the OS.
        public static let io = Code("io")
        /// One row was rejected by a constraint; `context["id"]`/`context["index"]` name it.
        public static let rowRejected = Code("rowRejected")
        /// The store has been closed.
        public static let closed = Code("closed")
        /// The store's tables do not exist (nothing has written to it yet).
        public static let notPrepared = Code("notPrepared")
        /// A store transaction was used after its commit or rollback.
        public static let transactionEnded = Code("transactionEnded")
        /// Any other SQLite failure.
        public static let other = Code("other")
    }

    public var code: Code
    public var message: String
    public var context: [String: String]
    /// SQLite's (extended) result code, when the error came from SQLite.
    public var sqliteCode: Int32?

    public init(code: Code, message: String, context: [String: String] = [:], sqliteCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.sqliteCode = sqliteCode
    }

    /// `true` when retrying the same batch cannot succeed.
    public var isPermanent: Bool {
        switch code {
        case .diskFull, .busy, .io: false
        default: true
        }
    }

    public var description: String {
        let details = context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "store error \(code): \(message)" + (details.isEmpty ? "" : " [\(details)]")
    }

    static func closed(path: String) -> StoreError {
        StoreError(code: .closed, message: "the store at \(path) is closed", context: ["path": path])
    }

    /// Classifies an SQLite result code.
    init(sqliteCode rc: Int32, message: String, doing what: String, context: [String: String]) {
        let code: Code
        switch rc & 0xff {
        case SQLITE_CONSTRAINT, SQLITE_TOOBIG, SQLITE_MISMATCH, SQLITE_RANGE: code = .rowRejected
        case SQLITE_FULL: code = .diskFull
        case SQLITE_READONLY: code = .readOnly
        case SQLITE_BUSY, SQLITE_LOCKED: code = .busy
        case SQLITE_IOERR: code = .io
        case SQLITE_CORRUPT, SQLITE_NOTADB: code = .corrupt
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_AUTH: code = .cannotOpen
        default: code = .other
        }
        let statement = what.count > 120 ? String(what.prefix(120)) + "…" : what
        var context = context
        context["sql"] = statement
        self.init(code: code, message: message, context: context, sqliteCode: rc)
    }
}

extension StoreError: SinkFailure {
    public var rejectedRowID: String? {
        code == .rowRejected ? (context["id"] ?? "?") : nil
    }

    public var rejectionReason: String { message }
}
