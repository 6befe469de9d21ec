import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import Logging

extension FuzzTargets {
    /// FreshetLog's parsers: segment files on recovery, batches on read.
    static let log: [FuzzTarget] = [
        FuzzTarget(
            "log-recovery",
            "bytes written as a partition directory (active segment, optionally its index, a sealed segment before it, a group offsets file, topic.json), the log opened and recovered, read from start to end, then appended to and read back",
            maxLength: 128 * 1024
        ) { bytes in
            LogFuzzing.recovery(bytes)
        },
        FuzzTarget(
            "log-batch",
            "BatchFormat: one batch's header and records decoded (CRC not checked); a batch whose records check out decodes, and re-encodes to the same records"
        ) { bytes in
            LogFuzzing.batch(bytes)
        },
    ]
}

/// The bodies of the log fuzz targets.
enum LogFuzzing {
    /// One scratch directory per process, on tmpfs when there is one (recovery fsyncs).
    static let scratch: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return base + "/freshet-fuzz-log-\(ProcessInfo.processInfo.processIdentifier)"
    }()

    struct Layout {
        var readOnly = false
        var indexIntervalBytes = 4096
        var maxRecords = 1000
        var activeBase: Int64 = 0
        var index: [UInt8]?
        var sealed: [UInt8]?
        var groupFile: [UInt8]?
        var topicFile: [UInt8]?
        var active: [UInt8] = []
    }

    /// Input: flags (bit 0 index, 1 read-only, 2 sealed segment, 3 group file, 4 raw
    /// topic.json, 5 fix the CRCs of the segments' batches so that mutations reach past the
    /// checksum), a byte for the index interval and read size, a u16 base offset of the active
    /// segment, then each chosen file as a u16 length and its bytes, then the active segment's
    /// bytes.
    static func layout(_ bytes: [UInt8]) -> Layout {
        var input = FuzzInput(bytes)
        let flags = input.byte()
        let sizes = input.byte()
        var layout = Layout()
        layout.readOnly = flags & 2 != 0
        layout.indexIntervalBytes = 64 << Int(sizes & 0x7)
        layout.maxRecords = 1 + Int(sizes >> 3) * 7
        let base = Int64(input.uint16())
        var rest = input.rest()[...]
        func section() -> [UInt8] {
            guard rest.count >= 2 else { return [] }
            let n = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
            rest = rest.dropFirst(2)
            let part = Array(rest.prefix(n))
            rest = rest.dropFirst(part.count)
            return part
        }
        if flags & 1 != 0 { layout.index = section() }
        if flags & 4 != 0 { layout.sealed = section() }
        if flags & 8 != 0 { layout.groupFile = section() }
        if flags & 16 != 0 { layout.topicFile = section() }
        // A sealed segment starts at 0, so the active one must start after it.
        layout.activeBase = layout.sealed != nil ? base + 1 : base
        layout.active = Array(rest)
        if flags & 32 != 0 {
            fixCRCs(&layout.active)
            if layout.sealed != nil { fixCRCs(&layout.sealed!) }
        }
        return layout
    }

    /// Recomputes the CRC-32C of every batch whose length field frames it inside `bytes`.
    static func fixCRCs(_ bytes: inout [UInt8]) {
        var pos = 0
        while bytes.count - pos >= BatchFormat.headerSize {
            let length = Int(bytes[pos + 8]) | Int(bytes[pos + 9]) << 8 | Int(bytes[pos + 10]) << 16 | Int(bytes[pos + 11]) << 24
            let total = length + 12
            guard total >= BatchFormat.headerSize, total <= bytes.count - pos else { return }
            let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(pos + 16)..<(pos + total)])) }
            withUnsafeBytes(of: crc.littleEndian) { for (i, b) in $0.enumerated() { bytes[pos + 12 + i] = b } }
            pos += total
        }
    }

    static func write(_ bytes: [UInt8], _ path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    static func recovery(_ bytes: [UInt8]) {
        let layout = layout(bytes)
        let dir = scratch
        try? FileManager.default.removeItem(atPath: dir)
        let partitionDir = dir + "/topics/t/0"
        guard (try? FileManager.default.createDirectory(atPath: partitionDir, withIntermediateDirectories: true)) != nil,
            (try? FileManager.default.createDirectory(atPath: dir + "/groups", withIntermediateDirectories: true)) != nil
        else { return }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let topicJSON = layout.topicFile ?? Array((try? JSONEncoder().encode(TopicConfig(partitions: 1, segmentBytes: 1 << 20))) ?? Data())
        write(topicJSON, dir + "/topics/t/topic.json")
        if let sealed = layout.sealed { write(sealed, partitionDir + "/" + padded(0) + ".log") }
        let activePath = partitionDir + "/" + padded(layout.activeBase)
        write(layout.active, activePath + ".log")
        if let index = layout.index { write(index, activePath + ".index") }
        if let group = layout.groupFile { write(group, dir + "/groups/g.json") }

        var config = EmbeddedBrokerConfig(dataDirectory: dir, durability: .none)
        config.readOnly = layout.readOnly
        config.indexIntervalBytes = layout.indexIntervalBytes
        config.logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
        config.now = { 1_700_000_000_000 }
        guard let broker = try? EmbeddedBroker(config) else { return }
        if layout.groupFile != nil, let offsets = try? broker.committedOffsetsNow(group: "g") {
            FuzzCheck.expect(offsets.values.allSatisfy { $0 >= 0 }, "a negative committed offset was loaded")
        }
        guard let start = try? broker.readNow(topic: "t", partition: 0, offset: 0, maxRecords: 0, maxBytes: 0).logStartOffset,
            let end = try? broker.readNow(topic: "t", partition: 0, offset: start, maxRecords: 0, maxBytes: 0).highWatermark
        else { return }
        FuzzCheck.expect(start >= 0 && start <= end, "log start \(start), end \(end)")
        // Read everything: offsets go up one by one, below Int64.max; stop at corruption.
        var offset = start
        var reads = 0
        while offset < end {
            guard
                let r = try? broker.readNow(
                    topic: "t", partition: 0, offset: offset, maxRecords: layout.maxRecords, maxBytes: 64 << 10)
            else { break }
            reads += 1
            FuzzCheck.expect(reads <= 1_000_000, "reading does not end")
            for record in r.records {
                FuzzCheck.expect(record.offset >= offset && record.offset < end, "record offset \(record.offset) outside \(offset)..<\(end)")
                offset = record.offset + 1
            }
            FuzzCheck.expect(r.nextOffset >= offset, "nextOffset \(r.nextOffset) went back from \(offset)")
            if r.records.isEmpty && r.nextOffset == offset { break }
            offset = r.nextOffset
        }
        guard !layout.readOnly else { return }
        // Recovery leaves a log that takes new records at the end and reads them back.
        // (topic.json may give the topic more partitions: name partition 0.)
        guard let pending = try? broker.append(topic: "t", records: [ProducerRecord(key: [1], value: [2, 3], timestamp: 5, partition: 0)]) else {
            return
        }
        let landed = pending.metadata[0].offset
        FuzzCheck.expect(landed == end, "append landed at \(landed), the log ended at \(end)")
        let back = try? broker.readNow(topic: "t", partition: 0, offset: landed, maxRecords: 1, maxBytes: 1024)
        FuzzCheck.expect(back?.records.first?.value == [2, 3], "the appended record does not read back")
    }

    static func padded(_ offset: Int64) -> String {
        let s = String(offset)
        return String(repeating: "0", count: max(0, 20 - s.count)) + s
    }

    static func batch(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let skip = Int64(input.byte())
        let maxRecords = Int(input.byte()) + 1
        let batch = input.rest()
        batch.withUnsafeBytes { p in
            guard let header = BatchFormat.parseHeader(p), header.isPlausible, p.count >= header.totalSize else { return }
            let checksOut = BatchFormat.recordsProblem(p, header) == nil
            // A plausible header leaves room for every record's offset, not for more.
            let from = header.baseOffset + min(skip, Int64(header.recordCount))
            var out: [ConsumerRecord] = []
            var used = 0
            do {
                _ = try BatchFormat.decode(
                    p, header: header, topic: "t", partition: 0, from: from, maxRecords: maxRecords,
                    maxBytes: 1 << 20, bytes: &used, into: &out)
            } catch {
                FuzzCheck.expect(!checksOut, "a batch whose records check out did not decode: \(error)")
                return
            }
            var last = from - 1
            for r in out {
                FuzzCheck.expect(r.offset > last && r.offset <= header.lastOffset, "record offset \(r.offset) out of order")
                last = r.offset
            }
            guard checksOut, !out.isEmpty else { return }
            // What decodes re-encodes to the same records.
            let records = out.map { ProducerRecord(key: $0.key, value: $0.value, headers: $0.headers) }
            var again = BatchFormat.encode(records, indices: Array(records.indices), timestamps: out.map(\.timestamp))
            BatchFormat.setBaseOffset(&again, out[0].offset)
            again.withUnsafeBytes { q in
                guard let h = BatchFormat.parseHeader(q) else { return FuzzCheck.expect(false, "re-encoded header") }
                var back: [ConsumerRecord] = []
                var n = 0
                _ = try? BatchFormat.decode(
                    q, header: h, topic: "t", partition: 0, from: 0, maxRecords: .max, maxBytes: .max, bytes: &n, into: &back)
                FuzzCheck.expect(back == out, "batch did not re-encode to the same records")
            }
        }
    }
}
