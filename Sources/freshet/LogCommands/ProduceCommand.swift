import ArgumentParser
import Foundation
import FreshetContracts
import FreshetLog

/// `freshet produce TOPIC [--key-field id]`: appends stdin lines to a topic.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Append lines from stdin (JSON lines or raw lines) to a topic.",
        discussion: """
            Each non-empty line becomes one record. With --key-field, the key is the string value of \
            that top-level JSON field (numbers and other values use their JSON text); lines without it \
            are keyless. The topic is created with --partitions if it does not exist.

            Examples:
              freshet fetch --count 1000 | freshet produce users_created --key-field id
              cat records.jsonl | freshet produce audit --partitions 6
            """)

    @OptionGroup var log: LogOptions

    @Argument(help: "Topic to append to.")
    var topic: String

    @Option(name: .customLong("key-field"), help: "Top-level JSON field whose value is the record key.")
    var keyField: String?

    @Option(name: .customLong("batch-size"), help: "Lines per produce call.")
    var batchSize: Int = 500

    @Option(help: "Partitions when the topic has to be created.")
    var partitions: Int32 = 3

    func validate() throws {
        guard batchSize >= 1 && batchSize <= 100_000 else {
            throw ValidationError("--batch-size must be 1...100000, got \(batchSize)")
        }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1, got \(partitions)") }
    }

    func run() async throws {
        let field = keyField.map { Array($0.utf8) }
        let total = try await log.withBroker { broker in
            if try await !broker.listTopics().contains(topic) {
                var config = TopicConfig()
                config.partitions = partitions
                try await broker.createTopic(topic, config: config)
                logCLIPrintError("created topic '\(topic)' with \(partitions) partitions")
            }
            let embedded = broker as? EmbeddedBroker
            var pending: [PendingProduce] = []
            var batch: [ProducerRecord] = []
            batch.reserveCapacity(batchSize)
            var count = 0
            func flush() async throws {
                guard !batch.isEmpty else { return }
                if let embedded {
                    // Appends happen in call order; keep a few batches in flight for group commit.
                    pending.append(try embedded.append(topic: topic, records: batch))
                } else {
                    // A Kafka producer batches and pipelines per partition itself.
                    _ = try await broker.produce(topic: topic, records: batch)
                }
                count += batch.count
                batch.removeAll(keepingCapacity: true)
                if pending.count >= 8 { _ = try await pending.removeFirst().durable() }
            }
            var reader = StdinLineReader(fd: 0)
            while let line = try reader.next() {
                guard !line.isEmpty else { continue }
                let key = field.flatMap { jsonTopLevelField($0, in: line) }
                batch.append(ProducerRecord(key: key, value: line))
                if batch.count >= batchSize { try await flush() }
            }
            try await flush()
            for p in pending { _ = try await p.durable() }
            return count
        }
        logCLIPrintError("produced \(total) records to '\(topic)'")
    }
}

/// Reads lines from a file descriptor in large chunks (no trailing `\n` or `\r\n`).
struct StdinLineReader {
    let fd: Int32
    private var buffer = [UInt8]()
    private var start = 0
    private var eof = false

    init(fd: Int32) { self.fd = fd }

    struct ReadError: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { "reading stdin failed: \(String(cString: strerror(errno)))" }
    }

    mutating func next() throws -> [UInt8]? {
        while true {
            if let nl = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = nl
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = Array(buffer[start..<end])
                start = nl + 1
                return line
            }
            if eof {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return line
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            let old = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: 1 << 20))
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, 1 << 20) }
            if n < 0 {
                buffer.removeLast(1 << 20)
                if errno == EINTR { continue }
                throw ReadError(errno: errno)
            }
            buffer.removeLast((1 << 20) - n)
            if n == 0 { eof = true }
        }
    }
}

/// Four hex digits (and nothing else: no sign, no `0x`) as a number.
func hex4(_ digits: ArraySlice<UInt8>) -> UInt32? {
    guard digits.count == 4 else { return nil }
    var value: UInt32 = 0
    for byte in digits {
        let digit: UInt8
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
        default: return nil
        }
        value = value << 4 | UInt32(digit)
    }
    return value
}

/// The value of top-level field `name` in a JSON object line: a string's unescaped UTF-8
/// bytes, or the raw JSON text of any other value. `nil` if absent or not an object.
func jsonTopLevelField(_ name: [UInt8], in line: [UInt8]) -> [UInt8]? {
    var i = 0
    let n = line.count
    func skipSpace() { while i < n, line[i] == 0x20 || line[i] == 0x09 || line[i] == 0x0D || line[i] == 0x0A { i += 1 } }
    /// Parses a string at `i` (on the quote); returns its decoded bytes.
    func string() -> [UInt8]? {
        guard i < n, line[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        var out: [UInt8] = []
        while i < n {
            let c = line[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return out
            }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < n else { return nil }
                let e = line[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard i + 4 <= n, let v = hex4(line[i..<(i + 4)]) else { return nil }
                    i += 4
                    var scalar = v
                    // A high surrogate combines only with a following escaped *low* surrogate;
                    // a lone surrogate (`"\uD800\u0041"`) becomes U+FFFD and the next escape
                    // is read on its own.
                    if (0xD800...0xDBFF).contains(v), i + 6 <= n, line[i] == UInt8(ascii: "\\"), line[i + 1] == UInt8(ascii: "u"),
                        let lo = hex4(line[(i + 2)..<(i + 6)]), (0xDC00...0xDFFF).contains(lo)
                    {
                        scalar = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                        i += 6
                    }
                    out.append(contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
                default: out.append(e)
                }
                continue
            }
            out.append(c)
            i += 1
        }
        return nil
    }
    /// Skips any value at `i`; returns the range it spanned.
    func skipValue() -> Range<Int>? {
        let begin = i
        if i < n && line[i] == UInt8(ascii: "\"") { return string() == nil ? nil : begin..<i }
        var depth = 0
        while i < n {
            let c = line[i]
            if c == UInt8(ascii: "\"") {
                guard string() != nil else { return nil }
                continue
            }
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
            if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                if depth == 0 { break }
                depth -= 1
                if depth == 0 {
                    i += 1
                    break
                }
            }
            if depth == 0 && c == UInt8(ascii: ",") { break }
            i += 1
        }
        var end = i
        while end > begin && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
        return begin..<end
    }
    skipSpace()
    guard i < n, line[i] == UInt8(ascii: "{") else { return nil }
    i += 1
    while i < n {
        skipSpace()
        guard let key = string() else { return nil }
        skipSpace()
        guard i < n, line[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        skipSpace()
        if key == name {
            if i < n && line[i] == UInt8(ascii: "\"") { return string() }
            guard let r = skipValue(), !r.isEmpty else { return nil }
            return Array(line[r])
        }
        guard skipValue() != nil else { return nil }
        skipSpace()
        guard i < n, line[i] == UInt8(ascii: ",") else { return nil }
        i += 1
    }
    return nil
}
