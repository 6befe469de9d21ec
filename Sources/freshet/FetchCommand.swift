import ArgumentParser
import FreshetCore
import FreshetSource
import Logging
import Synchronization

struct Fetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write users_created messages as JSON lines to stdout.",
        discussion: """
            The source is the offline generator (default) or the Random User API at a URL \
            (randomuser.me or `freshet api serve`). Progress and a summary go to stderr.

            Examples:
              freshet fetch --count 5
              freshet fetch --count 1000 --seed demo --nat GB,FR
              freshet fetch --duration 60s --rate 20
              freshet fetch --source https://randomuser.me/api/ --count 5000 --batch-size 500
              freshet fetch --source http://127.0.0.1:8787/api/ --count 10000
            """
    )

    @Option(help: ArgumentHelp("generator, or the URL of a Random User API.", valueName: "generator|URL"))
    var source = "generator"

    @Option(help: "Stop after this many people.")
    var count: Int?

    @Option(help: ArgumentHelp("Stop after this long, e.g. 60s, 5m.", valueName: "duration"))
    var duration: DurationArgument?

    @Option(help: "Seed for reproducible people (the same seed gives the same people).")
    var seed: String?

    @Option(help: ArgumentHelp("Nationalities, comma-separated (AU,BR,CA,CH,DE,DK,ES,FI,FR,GB,IE,IN,IR,MX,NL,NO,NZ,RS,TR,UA,US).", valueName: "codes"))
    var nat: String?

    @Option(help: "Only this gender: male or female (generator only).")
    var gender: String?

    @Option(help: "People per request or batch (1–5000). Defaults: 500 for a URL, 1000 for the generator.")
    var batchSize: Int?

    @Option(help: "Generator: people per second (default: as fast as stdout takes them).")
    var rate: Double?

    @Option(help: "URL source: requests per second.")
    var rps: Double = 2

    @Option(help: ArgumentHelp("URL source: timeout of one request.", valueName: "duration"))
    var timeout = DurationArgument(.seconds(10))

    @Option(help: "URL source: give up after this many consecutive failed requests (0: never).")
    var maxFailures = 10

    @Flag(help: "No progress or summary on stderr.")
    var quiet = false

    func validate() throws {
        if count != nil && duration != nil { throw ValidationError("--count and --duration exclude each other; give one") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1 (got \(count))") }
        if let batchSize, !(1...5000).contains(batchSize) { throw ValidationError("--batch-size must be 1–5000 (got \(batchSize))") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive (got \(rate))") }
        if rps <= 0 { throw ValidationError("--rps must be positive (got \(rps))") }
        if maxFailures < 0 { throw ValidationError("--max-failures must be 0 or more") }
        if let gender, gender != "male", gender != "female" { throw ValidationError("--gender must be male or female (got '\(gender)')") }
        if source != "generator" {
            guard source.hasPrefix("http://") || source.hasPrefix("https://") else {
                throw ValidationError("--source must be 'generator' or an http(s) URL (got '\(redact(source))')")
            }
            if rate != nil { throw ValidationError("--rate applies to the generator; use --rps for a URL source") }
            if gender != nil { throw ValidationError("--gender applies to the generator only") }
        }
        _ = try parseNationalities(nat)
    }

    func run() async throws {
        let nationalities = try parseNationalities(nat)
        let stop: StopCondition = count.map { .count($0) } ?? duration.map { .duration($0.duration) } ?? .never
        let out = FileHandleOutput.standardOutput
        let progress = Progress(enabled: !quiet && FileHandleOutput.standardError.isTerminal)
        let clock = ContinuousClock()
        let started = clock.now

        let deliver: @Sendable ([RandomUser]) async throws -> Void = { people in
            var writer = JSONWriter(capacity: people.count * 420)
            for person in people {
                UserCreated(person).encode(into: &writer)
                writer.byte(UInt8(ascii: "\n"))
            }
            try out.write(writer.bytes)
            progress.add(people.count)
        }

        let stats: SourceStats
        let seedUsed: String?
        if source == "generator" {
            let config = GeneratorSource<ContinuousClock>.Configuration(
                seed: seed ?? RandomUserGenerator.randomSeed(),
                nationalities: nationalities.isEmpty ? Nationality.allCases : nationalities,
                gender: gender, batchSize: batchSize ?? 1000, rate: rate, stop: stop
            )
            seedUsed = config.seed
            stats = try await GeneratorSource(configuration: config).run(deliver: deliver)
        } else {
            let config = RandomUserClient<ContinuousClock>.Configuration(
                url: source, batchSize: batchSize ?? 500, requestsPerSecond: rps, stop: stop,
                requestTimeout: timeout.duration, maxConsecutiveFailures: maxFailures == 0 ? nil : maxFailures,
                seed: seed, nationalities: nationalities
            )
            seedUsed = seed
            var logger = Logger(label: "freshet.source")
            logger.logLevel = quiet ? .error : .warning
            stats = try await RandomUserClient(configuration: config, logger: logger).run(deliver: deliver)
        }
        progress.finish()
        if !quiet {
            let elapsed = started.duration(to: clock.now)
            var line = "freshet fetch: \(stats) in \(DurationText.format(elapsed))"
            if let seedUsed { line += " (seed \(seedUsed))" }
            FileHandleOutput.standardError.writeLine(line)
        }
    }
}

/// A one-line live counter on stderr, when stderr is a terminal.
final class Progress: Sendable {
    let enabled: Bool
    private let state = Mutex((count: 0, lastDraw: ContinuousClock.now, start: ContinuousClock.now))

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func add(_ n: Int) {
        guard enabled else { return }
        state.withLock { s in
            s.count += n
            let now = ContinuousClock.now
            guard s.lastDraw.duration(to: now) > .milliseconds(100) else { return }
            s.lastDraw = now
            let seconds = max(0.001, Double(s.start.duration(to: now).components.attoseconds) / 1e18 + Double(s.start.duration(to: now).components.seconds))
            FileHandleOutput.standardError.writeRaw("\r\u{1B}[2K  \(s.count) people  \(Int(Double(s.count) / seconds))/s")
        }
    }

    func finish() {
        guard enabled else { return }
        FileHandleOutput.standardError.writeRaw("\r\u{1B}[2K")
    }
}

extension FileHandleOutput {
    func writeRaw(_ text: String) {
        try? write(Array(text.utf8))
    }
}
