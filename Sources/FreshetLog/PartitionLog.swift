import FreshetContracts
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A sparse index entry: the batch starting at byte `position` has base offset
/// `segment.baseOffset + relativeOffset`. Stored as two little-endian u32s.
struct IndexEntry: Equatable {
    var relativeOffset: UInt32
    var position: UInt32
}

/// One segment: `<baseOffset>.log` (batches) and `<baseOffset>.index` (sparse offset index).
final class Segment {
    let baseOffset: Int64
    let log: FileRef
    let index: FileRef
    var size: Int64
    var nextOffset: Int64
    var maxTimestamp: Int64 = -1
    var entries: [IndexEntry] = []
    var bytesSinceIndex = 0

    init(baseOffset: Int64, log: FileRef, index: FileRef, size: Int64) {
        self.baseOffset = baseOffset
        self.log = log
        self.index = index
        self.size = size
        self.nextOffset = baseOffset
    }

    static func paths(dir: String, base: Int64) -> (log: String, index: String) {
        (dir + "/" + paddedOffset(base) + ".log", dir + "/" + paddedOffset(base) + ".index")
    }

    /// Byte position of the last indexed batch at or before `offset`.
    func floorPosition(for offset: Int64) -> Int64 {
        let rel = offset - baseOffset
        var lo = 0
        var hi = entries.count - 1
        var best: Int64 = 0
        while lo <= hi {
            let mid = (lo + hi) / 2
            if Int64(entries[mid].relativeOffset) <= rel {
                best = Int64(entries[mid].position)
                lo = mid + 1
            } else {
                hi = mid - 1
            }
        }
        return best
    }

    func writeIndex() throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(entries.count * 8)
        for e in entries {
            withUnsafeBytes(of: e.relativeOffset.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: e.position.littleEndian) { bytes.append(contentsOf: $0) }
        }
        try index.truncate(to: 0)
        try index.write(bytes, at: 0)
    }

    /// Loads the sparse index, keeping only entries that can be right: inside the log file,
    /// strictly increasing, and naming an offset that fits an Int64. An index cannot hold more
    /// entries than the log has batches, so no more than that is read.
    func loadIndex() throws {
        let most = (Int(clamping: size) / BatchFormat.headerSize + 1) * 8
        let bytes = try index.read(count: min(Int(clamping: try index.size), most), at: 0)
        entries = []
        entries.reserveCapacity(bytes.count / 8)
        let headroom = Int64.max - baseOffset
        bytes.withUnsafeBytes { p in
            var i = 0
            while i + 8 <= p.count {
                let e = IndexEntry(
                    relativeOffset: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self)),
                    position: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self)))
                // Keep only strictly increasing entries inside the file.
                if Int64(e.position) < size, Int64(e.relativeOffset) <= headroom,
                    entries.last.map({ $0.relativeOffset < e.relativeOffset && $0.position < e.position }) ?? true
                {
                    entries.append(e)
                }
                i += 8
            }
        }
    }

    /// The index entry for a batch at `position` with base offset `offset`, if both fit the
    /// entry's u32 fields.
    func indexEntry(offset: Int64, position: Int64) -> IndexEntry? {
        guard let relative = UInt32(exactly: offset - baseOffset), let position = UInt32(exactly: position) else { return nil }
        return IndexEntry(relativeOffset: relative, position: position)
    }
}

/// Settings a partition needs from its broker.
struct PartitionSettings: Sendable {
    var durability: Durability
    var indexIntervalBytes: Int
    var now: @Sendable () -> Int64
    /// Open files read-only and never change them (see `EmbeddedBrokerConfig.readOnly`).
    var readOnly = false
}

/// One partition: a list of segments, appended under a per-partition lock.
final class PartitionLog: Sendable {
    let topic: String
    let partition: Int32
    let directory: String
    let config: TopicConfig
    let settings: PartitionSettings
    let logger: Logger
    /// Woken when the high watermark moves.
    let signal: ChangeSignal

    struct Waiter {
        var target: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var segments: [Segment]
        var nextOffset: Int64
        /// End of durable, readable data.
        var highWatermark: Int64
        /// Files written since the last fsync (rolled segments, index files).
        var unsynced: [FileRef] = []
        var dirty = false
        var waiters: [Waiter] = []
        var failure: LogError?
        var closed = false
    }

    let state: Mutex<State>

    private init(
        topic: String, partition: Int32, directory: String, config: TopicConfig, settings: PartitionSettings,
        logger: Logger, signal: ChangeSignal, state: sending State
    ) {
        self.topic = topic
        self.partition = partition
        self.directory = directory
        self.config = config
        self.settings = settings
        self.logger = logger
        self.signal = signal
        self.state = Mutex(state)
    }

    var logStartOffset: Int64 { state.withLock { $0.segments.first?.baseOffset ?? 0 } }
    var highWatermark: Int64 { state.withLock { $0.highWatermark } }

    // MARK: Opening and recovery

    static func open(
        topic: String, partition: Int32, directory: String, config: TopicConfig, settings: PartitionSettings,
        logger: Logger, signal: ChangeSignal
    ) throws -> PartitionLog {
        if !settings.readOnly { try FS.makeDirectory(directory) }
        // Only names this log writes: 20 digits and ".log" (so "-5.log" or "5.log" next to
        // "00000000000000000005.log" cannot make two segments of one base).
        let bases = try FS.list(directory).compactMap { name -> Int64? in
            guard name.hasSuffix(".log"), let base = Int64(name.dropLast(4)), base >= 0,
                name == paddedOffset(base) + ".log"
            else { return nil }
            return base
        }.sorted()
        var segments: [Segment] = []
        for (i, base) in bases.enumerated() {
            let seg = try openSegment(directory: directory, base: base, create: false, readOnly: settings.readOnly)
            if i < bases.count - 1 {
                seg.nextOffset = bases[i + 1]
                try scanHeaders(seg, logger: logger, topic: topic, partition: partition)
            } else {
                try recover(seg, logger: logger, topic: topic, partition: partition, settings: settings)
            }
            segments.append(seg)
        }
        if segments.isEmpty {
            if settings.readOnly {
                throw LogError(
                    .storageError, "partition \(partition) of topic '\(topic)' has no segment files",
                    context: ["path": directory, "topic": topic, "partition": "\(partition)"])
            }
            segments.append(try openSegment(directory: directory, base: 0, create: true))
        }
        let next = segments.last!.nextOffset
        let log = PartitionLog(
            topic: topic, partition: partition, directory: directory, config: config, settings: settings,
            logger: logger, signal: signal, state: State(segments: segments, nextOffset: next, highWatermark: next))
        if !settings.readOnly { try log.state.withLock { s in try log.applyRetention(&s) } }
        return log
    }

    static func openSegment(directory: String, base: Int64, create: Bool, readOnly: Bool = false) throws -> Segment {
        let (logPath, indexPath) = Segment.paths(dir: directory, base: base)
        let flags = readOnly ? O_RDONLY : O_RDWR | O_CREAT | (create ? O_TRUNC : 0)
        let log = try FileRef(path: logPath, flags: flags)
        let index = try FileRef(path: indexPath, flags: readOnly ? O_RDONLY : O_RDWR | O_CREAT | (create ? O_TRUNC : 0))
        let seg = Segment(baseOffset: base, log: log, index: index, size: try log.size)
        if !create { try seg.loadIndex() }
        if create { FS.syncDirectory(directory) }
        return seg
    }

    /// Walks the batch headers of a sealed segment to learn its newest timestamp, checking
    /// that they chain (each base offset continues the previous batch, from the segment's
    /// base to the next segment's) and keeping only the index entries that point at a batch.
    /// Sealed segments were fsynced before the next one started, so their contents are not
    /// verified here (a read checks each batch's CRC); a broken chain is logged, and reads
    /// there fail with `CORRUPT_MESSAGE`.
    static func scanHeaders(_ seg: Segment, logger: Logger, topic: String, partition: Int32) throws {
        var pos: Int64 = 0
        var next = seg.baseOffset
        var header = [UInt8](repeating: 0, count: BatchFormat.headerSize)
        var verified: [IndexEntry] = []
        var pending = seg.entries[...]
        var problem: String?
        while pos < seg.size {
            guard seg.size - pos >= Int64(BatchFormat.headerSize) else {
                problem = "\(seg.size - pos) bytes at the end are not a whole batch header"
                break
            }
            let n = try header.withUnsafeMutableBytes { b in try seg.log.read(into: b, at: pos) }
            guard n == BatchFormat.headerSize, let h = header.withUnsafeBytes({ BatchFormat.parseHeader($0) }) else {
                problem = "short read"
                break
            }
            if let why = h.problem {
                problem = "invalid batch header: \(why)"
                break
            }
            guard h.baseOffset == next else {
                problem = "baseOffset \(h.baseOffset) does not continue from the previous batch (expected \(next))"
                break
            }
            guard Int64(h.totalSize) <= seg.size - pos else {
                problem = "a batch of \(h.totalSize) bytes extends past the end of the file"
                break
            }
            while let e = pending.first, Int64(e.position) <= pos {
                pending.removeFirst()
                if Int64(e.position) == pos, seg.baseOffset + Int64(e.relativeOffset) == h.baseOffset { verified.append(e) }
            }
            seg.maxTimestamp = max(seg.maxTimestamp, h.maxTimestamp)
            next = h.nextOffset
            pos += Int64(h.totalSize)
        }
        if problem == nil, next != seg.nextOffset {
            problem = "its batches end at offset \(next) but the next segment starts at \(seg.nextOffset)"
        }
        seg.entries = verified
        if let problem {
            logger.error(
                "inconsistent sealed log segment; reads there will fail",
                metadata: [
                    "file": "\(seg.log.path)", "position": "\(pos)", "reason": "\(problem)", "topic": "\(topic)",
                    "partition": "\(partition)",
                ])
        }
    }

    /// What recovery found at one position of the active segment.
    enum BatchCheck {
        case valid(BatchFormat.Header)
        /// The file ends inside the batch (or the last batch of the file is damaged): a write
        /// the crash interrupted.
        case torn(String)
        /// A damaged batch with more bytes after it.
        case invalid(String)
    }

    /// Checks the batch at `pos` completely: a plausible header (offsets, counts, length),
    /// the base offset that continues the previous batch, the CRC, and the records' own
    /// lengths and timestamps — everything a later read relies on.
    static func checkBatch(_ seg: Segment, at pos: Int64, fileSize: Int64, expected: Int64) throws -> BatchCheck {
        if fileSize - pos < Int64(BatchFormat.headerSize) {
            return .torn("\(fileSize - pos) bytes at the end are not a whole batch header")
        }
        let head = try seg.log.read(count: BatchFormat.headerSize, at: pos)
        guard let h = head.withUnsafeBytes({ BatchFormat.parseHeader($0) }) else { return .torn("short read") }
        let sane = h.totalSize >= BatchFormat.headerSize && h.totalSize <= BatchFormat.maxBatchSize
        if sane && Int64(h.totalSize) > fileSize - pos {
            return .torn("a batch of \(h.totalSize) bytes extends past the end of the file")
        }
        // A damaged last batch is a write the crash cut short; one with bytes after it (or
        // with a length that cannot be a batch's) is damage in the middle.
        let isLast = sane && pos + Int64(h.totalSize) == fileSize
        func damaged(_ why: String) -> BatchCheck { isLast ? .torn(why) : .invalid(why) }
        if let why = h.problem { return damaged("invalid batch header: \(why)") }
        if h.baseOffset != expected {
            return damaged("baseOffset \(h.baseOffset) does not continue from the previous batch (expected \(expected))")
        }
        if pos + Int64(h.totalSize) > Int64(UInt32.max) {
            return damaged("the batch ends past byte \(UInt32.max), beyond what a segment can index")
        }
        let batch = try seg.log.read(count: h.totalSize, at: pos)
        guard batch.count == h.totalSize else { return .torn("short read") }
        let problem: String? = batch.withUnsafeBytes { p in
            guard BatchFormat.crcMatches(p, h) else { return "CRC-32C mismatch" }
            return BatchFormat.recordsProblem(p, h)
        }
        if let problem { return damaged(problem) }
        return .valid(h)
    }

    /// Scans the active segment from its last index point, verifying every batch completely
    /// (`checkBatch`), and truncates the segment at the first batch that fails — a torn tail,
    /// or a damaged batch in the middle together with everything after it, as Kafka's log
    /// recovery does — logging where, why and how many bytes it dropped. Read-only, the scan
    /// stops there instead and nothing changes on disk.
    static func recover(
        _ seg: Segment, logger: Logger, topic: String, partition: Int32, settings: PartitionSettings
    ) throws {
        let fileSize = seg.size
        var startIndex = seg.entries.count - 1
        while true {
            let start = startIndex >= 0 ? seg.entries[startIndex] : IndexEntry(relativeOffset: 0, position: 0)
            var pos = Int64(start.position)
            // loadIndex kept only entries whose offset fits.
            var next = seg.baseOffset + Int64(start.relativeOffset)
            var entries = Array(seg.entries.prefix(max(0, startIndex)))
            var sinceIndex = settings.indexIntervalBytes
            var maxTs = seg.maxTimestamp
            var stop: (reason: String, torn: Bool)?
            var batchNumber = 0
            while pos < fileSize {
                switch try checkBatch(seg, at: pos, fileSize: fileSize, expected: next) {
                case .valid(let h):
                    if sinceIndex >= settings.indexIntervalBytes, let e = seg.indexEntry(offset: h.baseOffset, position: pos) {
                        entries.append(e)
                        sinceIndex = 0
                    }
                    sinceIndex = min(sinceIndex, Int.max - h.totalSize) + h.totalSize
                    maxTs = max(maxTs, h.maxTimestamp)
                    next = h.nextOffset
                    pos += Int64(h.totalSize)
                    batchNumber += 1
                    continue
                case .torn(let why): stop = (why, true)
                case .invalid(let why): stop = (why, false)
                }
                break
            }
            if stop != nil && batchNumber == 0 && startIndex >= 0 {
                startIndex -= 1  // the index point itself is bad: scan from the one before
                continue
            }
            if let stop, pos < fileSize {
                let metadata: Logger.Metadata = [
                    "file": "\(seg.log.path)", "position": "\(pos)", "bytes": "\(fileSize - pos)", "reason": "\(stop.reason)",
                    "topic": "\(topic)", "partition": "\(partition)", "next_offset": "\(next)",
                ]
                if settings.readOnly {
                    // Probably a batch being appended by the running writer: read up to here.
                    logger.debug("read-only open stops before an incomplete or damaged batch", metadata: metadata)
                } else {
                    if stop.torn {
                        logger.warning("truncating torn tail of log segment", metadata: metadata)
                    } else {
                        logger.error(
                            "corrupt record batch in the middle of the log segment: truncating the segment there, dropping it and every batch after it",
                            metadata: metadata)
                    }
                    try seg.log.truncate(to: pos)
                    try seg.log.sync()
                }
            }
            seg.size = pos
            seg.nextOffset = next
            seg.maxTimestamp = maxTs
            seg.entries = entries
            seg.bytesSinceIndex = sinceIndex
            if !settings.readOnly { try seg.writeIndex() }
            return
        }
    }

    // MARK: Appending

    /// Writes one encoded batch (base offset patched in place) and returns its base offset.
    /// The caller then awaits `waitDurable(upTo:)` under the interval policy.
    func append(
        _ batch: inout [UInt8], count: Int, maxTimestamp: Int64
    ) throws -> (base: Int64, needsSync: Bool) {
        let result = try state.withLock { s -> (Int64, Bool) in
            if s.closed { throw LogError(.brokerClosed, "broker is closed", context: ["topic": topic]) }
            if let failure = s.failure { throw failure }
            var active = s.segments[s.segments.count - 1]
            if active.size > 0 && active.size + Int64(batch.count) > config.segmentBytes {
                try roll(&s)
                active = s.segments[s.segments.count - 1]
            }
            let base = s.nextOffset
            guard base <= Int64.max - Int64(count) else {
                throw LogError(
                    .storageError, "partition \(partition) of topic '\(topic)' has run out of offsets (next offset \(base))",
                    context: ["topic": topic, "partition": "\(partition)", "offset": "\(base)"])
            }
            BatchFormat.setBaseOffset(&batch, base)
            let position = active.size
            do {
                try active.log.write(batch, at: position)
            } catch let error as LogError {
                // Leave nothing partial behind: the file ends at the last complete batch.
                try? active.log.truncate(to: position)
                throw LogError(
                    error.code,
                    "appending to partition \(partition) of topic '\(topic)' failed: \(error.message)",
                    context: error.context.merging(["topic": topic, "partition": "\(partition)"]) { a, _ in a })
            }
            // The index is derived data: a batch whose offset or position does not fit an
            // entry (only possible after a segment outgrew its limits) just gets none.
            if active.bytesSinceIndex >= settings.indexIntervalBytes || active.entries.isEmpty,
                let e = active.indexEntry(offset: base, position: position)
            {
                active.entries.append(e)
                active.bytesSinceIndex = 0
                var raw = [UInt8]()
                withUnsafeBytes(of: e.relativeOffset.littleEndian) { raw.append(contentsOf: $0) }
                withUnsafeBytes(of: e.position.littleEndian) { raw.append(contentsOf: $0) }
                // The index is derived data (rebuilt on recovery), so an error here is not fatal.
                try? active.index.write(raw, at: Int64(active.entries.count - 1) * 8)
            }
            active.bytesSinceIndex = min(active.bytesSinceIndex, Int.max - batch.count) + batch.count
            active.size += Int64(batch.count)
            active.maxTimestamp = max(active.maxTimestamp, maxTimestamp)
            s.nextOffset += Int64(count)
            active.nextOffset = s.nextOffset
            switch settings.durability {
            case .none:
                s.highWatermark = s.nextOffset
                return (base, false)
            case .everyBatch:
                do {
                    for f in s.unsynced { try f.sync() }
                    s.unsynced = []
                    try active.log.sync()
                } catch {
                    s.failure = error as? LogError ?? LogError(.storageError, "\(error)")
                    throw error
                }
                s.highWatermark = s.nextOffset
                return (base, false)
            case .interval:
                let needs = !s.dirty
                s.dirty = true
                return (base, needs)
            }
        }
        if settings.durability.isImmediate { signal.notify() }
        return result
    }

    private func roll(_ s: inout State) throws {
        let old = s.segments[s.segments.count - 1]
        let seg = try Self.openSegment(directory: directory, base: s.nextOffset, create: true)
        s.segments.append(seg)
        switch settings.durability {
        case .none: break
        case .everyBatch: try old.index.sync()
        case .interval: s.unsynced.append(contentsOf: [old.log, old.index])
        }
        try applyRetention(&s)
    }

    /// Deletes whole old segments (never the active one) past retention by size or age.
    func applyRetention(_ s: inout State) throws {
        let now = settings.now()
        var total = s.segments.reduce(Int64(0)) { $0 + $1.size }
        while s.segments.count > 1 {
            let first = s.segments[0]
            let bySize = config.retentionBytes.map { total - first.size >= $0 } ?? false
            let byAge =
                config.retentionMs.map { ms in
                    let (horizon, overflow) = now.subtractingReportingOverflow(ms)
                    return !overflow && first.maxTimestamp >= 0 && first.maxTimestamp < horizon
                } ?? false
            guard bySize || byAge else { break }
            // A reader still holding the FileRef can finish; the inode goes when it lets go.
            try FS.remove(first.log.path)
            try FS.remove(first.index.path)
            s.segments.removeFirst()
            total -= first.size
            logger.info(
                "retention deleted segment",
                metadata: [
                    "file": "\(first.log.path)", "reason": "\(bySize ? "size" : "age")",
                    "topic": "\(topic)", "partition": "\(partition)",
                    "log_start_offset": "\(s.segments[0].baseOffset)",
                ])
        }
    }

    func enforceRetention() throws {
        try state.withLock { s in try applyRetention(&s) }
    }

    /// Group commit: fsyncs what was written so far and wakes the producers it covers.
    func sync() {
        let work: (files: [FileRef], target: Int64)? = state.withLock { s in
            guard s.dirty else { return nil }
            s.dirty = false
            let active = s.segments[s.segments.count - 1]
            let files = s.unsynced + [active.log]
            s.unsynced = []
            return (files, s.nextOffset)
        }
        guard let work else { return }
        var failure: LogError?
        for f in work.files {
            do { try f.sync() } catch {
                failure = error as? LogError ?? LogError(.storageError, "\(error)")
                break
            }
        }
        let ready: [Waiter] = state.withLock { s in
            if let failure {
                s.failure = failure
                let all = s.waiters
                s.waiters = []
                return all
            }
            s.highWatermark = max(s.highWatermark, work.target)
            var ready: [Waiter] = []
            s.waiters.removeAll { w in
                if w.target <= s.highWatermark {
                    ready.append(w)
                    return true
                }
                return false
            }
            return ready
        }
        for w in ready {
            if let failure { w.continuation.resume(throwing: failure) } else { w.continuation.resume() }
        }
        signal.notify()
    }

    /// Returns once offsets below `target` are durable (interval policy).
    func waitDurable(upTo target: Int64) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let result: Result<Bool, LogError> = state.withLock { s in
                if let failure = s.failure { return .failure(failure) }
                if s.highWatermark >= target { return .success(true) }
                if s.closed { return .failure(LogError(.brokerClosed, "broker closed before the write was durable")) }
                s.waiters.append(Waiter(target: target, continuation: c))
                return .success(false)
            }
            switch result {
            case .failure(let e): c.resume(throwing: e)
            case .success(true): c.resume()
            case .success(false): break
            }
        }
    }

    /// Marks the partition closed; fails anyone still waiting (call after a final `sync`).
    func close() {
        let waiters = state.withLock { s in
            s.closed = true
            let w = s.waiters
            s.waiters = []
            return w
        }
        for w in waiters {
            w.continuation.resume(throwing: LogError(.brokerClosed, "broker closed before the write was durable"))
        }
    }

    // MARK: Reading

    struct Snapshot {
        var file: FileRef
        var start: Int64
        var end: Int64
        var highWatermark: Int64
        var logStart: Int64
    }

    func outOfRange(_ offset: Int64, start: Int64, end: Int64) -> LogError {
        LogError(
            .offsetOutOfRange,
            "offset \(offset) is out of range for partition \(partition) of topic '\(topic)' (valid: \(start)...\(end))",
            context: [
                "topic": topic, "partition": "\(partition)", "offset": "\(offset)",
                "log_start_offset": "\(start)", "high_watermark": "\(end)",
            ])
    }

    func snapshot(at offset: Int64) throws -> (Snapshot?, hw: Int64, logStart: Int64) {
        try state.withLock { s in
            let logStart = s.segments[0].baseOffset
            if offset < logStart || offset > s.highWatermark {
                throw outOfRange(offset, start: logStart, end: s.highWatermark)
            }
            if offset == s.highWatermark { return (nil, s.highWatermark, logStart) }
            var lo = 0
            var hi = s.segments.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if s.segments[mid].baseOffset <= offset { lo = mid } else { hi = mid - 1 }
            }
            var i = lo
            while i < s.segments.count - 1 && offset >= s.segments[i].nextOffset { i += 1 }
            let seg = s.segments[i]
            let snap = Snapshot(
                file: seg.log, start: seg.floorPosition(for: offset), end: seg.size,
                highWatermark: s.highWatermark, logStart: logStart)
            return (snap, s.highWatermark, logStart)
        }
    }

    /// Reads records from `offset` (no waiting). Throws `OFFSET_OUT_OF_RANGE` or `CORRUPT_MESSAGE`.
    func read(from offset: Int64, maxRecords: Int, maxBytes: Int) throws -> FetchResult {
        let (snap, hw, logStart) = try snapshot(at: offset)
        guard let snap, maxRecords > 0 else {
            return FetchResult(records: [], highWatermark: hw, logStartOffset: logStart, nextOffset: offset)
        }
        var records: [ConsumerRecord] = []
        records.reserveCapacity(min(maxRecords, 1024))
        var next = offset
        var bytes = 0
        var pos = snap.start
        let chunkSize = max(64 << 10, min(max(maxBytes, 0), 4 << 20) + BatchFormat.headerSize)
        var chunk = [UInt8]()
        func corrupt(_ why: String, at position: Int64) -> LogError {
            LogError(
                .corruptMessage,
                "corrupt record batch in \(snap.file.path) at byte position \(position) (offset \(next)): \(why)",
                context: [
                    "file": snap.file.path, "position": "\(position)", "offset": "\(next)", "topic": topic,
                    "partition": "\(partition)",
                ])
        }
        outer: while pos < snap.end && next < hw && records.count < maxRecords {
            let want = Int(min(snap.end - pos, Int64(chunkSize)))
            chunk = try snap.file.read(count: want, at: pos)
            var local = 0
            while local < chunk.count && next < hw && records.count < maxRecords {
                if chunk.count - local < BatchFormat.headerSize {
                    if local == 0 {
                        if records.isEmpty { throw corrupt("truncated batch header", at: pos) }
                        break outer
                    }
                    break
                }
                let parsed = chunk.withUnsafeBytes {
                    BatchFormat.parseHeader(UnsafeRawBufferPointer(rebasing: $0[local...]))
                }
                let position = pos + Int64(local)
                guard let h = parsed, h.isPlausible, Int64(h.totalSize) <= snap.end - position else {
                    let why = parsed?.problem ?? "a batch extends past the end of the segment"
                    if records.isEmpty { throw corrupt("invalid batch header: \(why)", at: position) }
                    break outer
                }
                if h.lastOffset < next {
                    local += h.totalSize
                    continue
                }
                if h.baseOffset > next && !records.isEmpty { break outer }
                var batchBytes: [UInt8]
                if chunk.count - local >= h.totalSize {
                    batchBytes = []
                } else if local == 0 {
                    batchBytes = try snap.file.read(count: h.totalSize, at: position)
                } else {
                    break  // re-read from this batch's start
                }
                var failure: String?
                var resume: Int64?
                let decodeBatch = { (p: UnsafeRawBufferPointer) in
                    guard BatchFormat.crcMatches(p, h) else {
                        failure = "CRC-32C mismatch"
                        return
                    }
                    if h.baseOffset > next {
                        failure = "expected offset \(next) but batch starts at \(h.baseOffset)"
                        return
                    }
                    do {
                        resume = try BatchFormat.decode(
                            p, header: h, topic: self.topic, partition: self.partition, from: next,
                            maxRecords: maxRecords, maxBytes: maxBytes, bytes: &bytes, into: &records)
                    } catch let error as BatchFormat.DecodeFailure {
                        failure = "malformed record: \(error.reason)"
                    } catch {
                        failure = "malformed record: \(error)"
                    }
                }
                let countBefore = records.count
                if batchBytes.isEmpty {
                    chunk.withUnsafeBytes { decodeBatch(UnsafeRawBufferPointer(rebasing: $0[local..<(local + h.totalSize)])) }
                } else {
                    batchBytes.withUnsafeBytes { decodeBatch($0) }
                }
                if let failure {
                    records.removeSubrange(countBefore...)
                    if records.isEmpty { throw corrupt(failure, at: position) }
                    break outer
                }
                if let resume {
                    next = resume
                    break outer
                }
                next = h.lastOffset + 1
                local += h.totalSize
            }
            pos += Int64(local)
            if local == 0 { break }
        }
        if records.isEmpty, next < hw, pos >= snap.end {
            // No batch in the segment covers `next`: its batches stop short of the next
            // segment (or of the high watermark).
            throw corrupt("the segment's batches end before this offset", at: pos)
        }
        if let last = records.last, last.offset >= hw {
            records.removeAll { $0.offset >= hw }
            next = hw
        }
        return FetchResult(records: records, highWatermark: hw, logStartOffset: logStart, nextOffset: next)
    }

    func describe() -> PartitionDescription {
        state.withLock { s in
            PartitionDescription(
                partition: partition, earliestOffset: s.segments[0].baseOffset, latestOffset: s.highWatermark,
                sizeBytes: s.segments.reduce(0) { $0 + $1.size }, segmentCount: s.segments.count)
        }
    }
}
