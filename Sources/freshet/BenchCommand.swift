import ArgumentParser
import FreshetCore
import FreshetSource
import FreshetStream

#if canImport(Glibc)
    import Glibc
#endif

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print numbers (run them on a release build).",
        discussion: """
            Example:
              swift build -c release && .build/release/freshet bench source
            """,
        subcommands: [BenchSource.self, BenchLogCommand.self, BenchStoreCommand.self, BenchE2E.self, BenchKafka.self, BenchCQL.self]
    )
}

struct BenchSource: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Generator people/s, message encoding MB/s, the JSON decoders and the Avro codec, on one core."
    )

    @Option(help: "People per measurement.")
    var people = 200_000

    @Option(help: "Repetitions; the best is reported.")
    var repeats = 3

    func validate() throws {
        if people < 1 { throw ValidationError("--people must be at least 1") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
    }

    func run() async throws {
        let clock = ContinuousClock()
        let generator = RandomUserGenerator(referenceDate: Timestamp(year: 2026, month: 1, day: 1))
        let seedHash = SplitMix64.hash("bench")
        printHeader()

        // 1. Generator: people/s.
        var sink = 0
        let generate = best(repeats, clock) {
            for i in 0..<people {
                let person = generator.person(seedHash: seedHash, page: 1, index: i)
                sink &+= person.login.uuid.utf8.count
            }
        }
        report("generator", count: people, unit: "people", seconds: generate)

        // 2. users_created encoding: messages/s and MB/s.
        let sample = (0..<10_000).map { generator.person(seedHash: seedHash, page: 2, index: $0) }
        let messages = sample.map(UserCreated.init)
        var bytes = 0
        let rounds = max(1, people / sample.count)
        let encode = best(repeats, clock) {
            bytes = 0
            var writer = JSONWriter(capacity: 1 << 20)
            for _ in 0..<rounds {
                for message in messages {
                    writer.bytes.removeAll(keepingCapacity: true)
                    message.encode(into: &writer)
                    bytes += writer.bytes.count
                }
            }
        }
        report("message encode", count: rounds * messages.count, unit: "messages", seconds: encode, bytes: bytes)

        // 3. Person → message (formatting) + encode: what `freshet fetch` does per person.
        let format = best(repeats, clock) {
            var writer = JSONWriter(capacity: 1 << 20)
            for _ in 0..<rounds {
                for person in sample {
                    writer.bytes.removeAll(keepingCapacity: true)
                    UserCreated(person).encode(into: &writer)
                    sink &+= writer.bytes.count
                }
            }
        }
        report("format + encode", count: rounds * sample.count, unit: "messages", seconds: format, bytes: bytes)

        // 4. users_created decoding (JSON parse + typed read).
        let encoded = messages.map { $0.jsonBytes() }
        let decode = try bestThrowing(repeats, clock) {
            for _ in 0..<rounds {
                for message in encoded {
                    sink &+= try UserCreated.decode(message).id.utf8.count
                }
            }
        }
        report("message decode", count: rounds * encoded.count, unit: "messages", seconds: decode, bytes: bytes)

        // 4b. The same messages as Confluent-framed Avro (`--format avro`): encode, and decode
        // through the processor's resolved path (writer = reader schema, and an evolved writer).
        let avroEncode = best(repeats, clock) {
            var out: [UInt8] = []
            out.reserveCapacity(1 << 20)
            for _ in 0..<rounds {
                for message in messages {
                    out.removeAll(keepingCapacity: true)
                    AvroUserCodec.frame(message, schemaID: 1, into: &out)
                    sink &+= out.count
                }
            }
        }
        let avroValues = messages.map { message in
            var out: [UInt8] = []
            AvroUserCodec.frame(message, schemaID: 1, into: &out)
            return out
        }
        let avroBytes = rounds * avroValues.reduce(0) { $0 + $1.count }
        report("avro encode", count: rounds * messages.count, unit: "messages", seconds: avroEncode, bytes: avroBytes)
        let table = AvroUserCodec.writerTable([1: AvroUserCodec.readerSchemaJSON])
        let avroDecode = best(repeats, clock) {
            for _ in 0..<rounds {
                for value in avroValues {
                    if case .success(let message) = AvroUserCodec.decode(value, with: table) { sink &+= message.id.utf8.count }
                }
            }
        }
        report("avro decode", count: rounds * avroValues.count, unit: "messages", seconds: avroDecode, bytes: avroBytes)

        // 5. API response decoding (what the HTTP client does per response).
        var api = JSONWriter(capacity: 32 << 20)
        api.raw("{\"results\":[")
        for (i, person) in sample.enumerated() {
            if i > 0 { api.byte(UInt8(ascii: ",")) }
            person.encodeAPI(into: &api, secrets: generator.secrets(seedHash: seedHash, page: 2, index: i))
        }
        api.raw("],\"info\":{\"seed\":\"bench\",\"results\":10000,\"page\":2,\"version\":\"1.4\"}}")
        let apiBytes = api.bytes
        let apiRounds = max(1, people / sample.count)
        let apiDecode = try bestThrowing(repeats, clock) {
            for _ in 0..<apiRounds {
                sink &+= try RandomUserResponse.decode(apiBytes).results.count
            }
        }
        report("API response decode", count: apiRounds * sample.count, unit: "people", seconds: apiDecode, bytes: apiRounds * apiBytes.count)
        if sink == 42 { print("") }  // keeps the work observable
    }

    func printHeader() {
        #if DEBUG
            let build = "debug build — numbers are not representative; use `swift build -c release`"
        #else
            let build = "release build"
        #endif
        print("freshet bench source — \(build)")
        print("machine: \(cpuModel()), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores; single-threaded; best of \(repeats)")
        print("")
        print("stage                        items/s        MB/s")
    }

    func report(_ name: String, count: Int, unit: String, seconds: Double, bytes: Int? = nil) {
        let rate = Double(count) / seconds
        var line = name.padding(to: 22) + formatted(rate).leftPadding(to: 13) + " " + unit.padding(to: 9)
        if let bytes { line += formatted(Double(bytes) / seconds / 1_000_000, decimals: 1).leftPadding(to: 8) }
        print(line)
    }

    func best(_ repeats: Int, _ clock: ContinuousClock, _ body: () -> Void) -> Double {
        (0..<repeats).map { _ in clock.measure(body).seconds }.min()!
    }

    func bestThrowing(_ repeats: Int, _ clock: ContinuousClock, _ body: () throws -> Void) throws -> Double {
        var results: [Double] = []
        for _ in 0..<repeats { results.append(try clock.measure(body).seconds) }
        return results.min()!
    }
}

func cpuModel() -> String {
    guard let file = fopen("/proc/cpuinfo", "r") else { return "unknown CPU" }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    while getline(&line, &capacity, file) > 0 {
        let text = String(cString: line!)
        if text.hasPrefix("model name") {
            free(line)
            return text.split(separator: ":", maxSplits: 1).last.map { $0.trimmingSpaces() } ?? "unknown CPU"
        }
    }
    free(line)
    return "unknown CPU"
}

func formatted(_ value: Double, decimals: Int = 0) -> String {
    if decimals == 0 {
        let n = Int(value.rounded())
        var digits = String(n)
        var groups: [String] = []
        while digits.count > 3 {
            groups.insert(String(digits.suffix(3)), at: 0)
            digits.removeLast(3)
        }
        groups.insert(digits, at: 0)
        return groups.joined(separator: ",")
    }
    let scale = Double(10 * decimals)
    return String((value * scale).rounded() / scale)
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension String {
    func padding(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\n" }.reversed())
    }
}
