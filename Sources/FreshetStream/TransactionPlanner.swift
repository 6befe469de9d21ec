/// Decides when the stream processor writes its pending store transaction: the "flush now?"
/// decision as a value type, fed by plain calls. `now` is the time on whatever clock the caller
/// injects, as a duration since any fixed origin of that clock (tests pass numbers; nothing
/// here reads a clock).
///
/// At low rates every poll comes back with less than a full batch and is written at once, as
/// before (no timer holds records back). Under backlog (a poll came back full) the processed
/// slices of further polls join the same transaction until one of the limits is reached:
///
/// - `maxRecords` records read (default 50,000);
/// - `maxBytes` bytes of records held in memory (default 8 MiB) — the processor keeps a
///   poll's rows until they are written. With a store that keeps its transaction open across
///   polls (`TransactionalSink`) each poll is applied as it comes (`released()`), so at most
///   two polls are held (one being applied), whatever the transaction's size; otherwise every
///   row of the transaction is;
/// - `maxTime` since the first record of the transaction (default 500 ms);
///
/// or a poll comes back less than full (the processor caught up).
///
/// States: *empty* (`polls == 0`) → `add` → *open* (`openedAt` set) → `add` … → `add` returns
/// `true` → the caller writes, then `reset()` → *empty*.
public struct TransactionPlanner: Sendable, Equatable {
    /// The limits of one store transaction. Values are clamped (at least 1 record, 1 byte,
    /// 0 s), so any hand-built value is safe.
    public struct Limits: Sendable, Equatable {
        /// Records per transaction. Defaults to 50,000.
        public var maxRecords: Int
        /// Bytes of records (key + value) held in memory for a transaction. Defaults to 8 MiB.
        public var maxBytes: Int
        /// Time from the transaction's first record to its write. Defaults to 500 ms.
        public var maxTime: Duration

        public init(maxRecords: Int = 50_000, maxBytes: Int = 8 << 20, maxTime: Duration = .milliseconds(500)) {
            self.maxRecords = max(1, maxRecords)
            self.maxBytes = max(1, maxBytes)
            self.maxTime = max(.zero, maxTime)
        }
    }

    /// Why `add` said "write now".
    public enum Reason: String, Sendable, Equatable {
        /// The poll returned less than a full batch: nothing more is waiting.
        case caughtUp = "caught up"
        case records
        /// `maxBytes` of records are held in memory.
        case bytes
        case time
    }

    public let limits: Limits
    /// Records added since the last `reset()`.
    public private(set) var records = 0
    /// Bytes added since the last `reset()`.
    public private(set) var bytes = 0
    /// Bytes added since the last `reset()` or `released()`: what the processor holds.
    public private(set) var heldBytes = 0
    /// Records added since the last `reset()` or `released()`.
    public private(set) var heldRecords = 0
    /// Polls added since the last `reset()`.
    public private(set) var polls = 0
    /// When the first record of the pending transaction was added.
    public private(set) var openedAt: Duration?
    /// Why the last `add` returned `true` (nil when it returned `false`).
    public private(set) var reason: Reason?

    public init(limits: Limits = .init()) {
        self.limits = limits
    }

    /// Nothing is pending.
    public var isEmpty: Bool { polls == 0 }

    /// Adds one poll's records (`records` read, `bytes` of them; `full` when the poll returned
    /// as many as it could) at `now`. Returns `true` when the pending transaction must be
    /// written now. Counts saturate; negative inputs count as 0.
    public mutating func add(records: Int, bytes: Int, full: Bool, now: Duration) -> Bool {
        polls += 1
        if openedAt == nil, records > 0 { openedAt = now }
        self.records = Self.saturatingAdd(self.records, records)
        self.bytes = Self.saturatingAdd(self.bytes, bytes)
        heldBytes = Self.saturatingAdd(heldBytes, bytes)
        heldRecords = Self.saturatingAdd(heldRecords, records)
        reason = decide(full: full, now: now)
        return reason != nil
    }

    /// The records added so far were written into the open store transaction and are no
    /// longer held in memory: they stop counting towards `maxBytes`.
    public mutating func released() {
        heldBytes = 0
        heldRecords = 0
    }

    /// Forgets the pending transaction (after it was written, or thrown away).
    public mutating func reset() {
        records = 0
        bytes = 0
        heldBytes = 0
        heldRecords = 0
        polls = 0
        openedAt = nil
        reason = nil
    }

    private func decide(full: Bool, now: Duration) -> Reason? {
        if !full { return .caughtUp }
        if records >= limits.maxRecords { return .records }
        if heldBytes >= limits.maxBytes { return .bytes }
        if let openedAt, now - openedAt >= limits.maxTime { return .time }
        return nil
    }

    static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(max(0, b))
        return overflow ? Int.max : sum
    }
}
