import FreshetCore

/// The offline generator as a source: pages of people at an optional steady rate.
public struct GeneratorSource<C: Clock>: PeopleSource where C.Duration == Duration {
    public struct Configuration: Sendable {
        /// Seed for reproducible runs. Defaults to a fresh random seed.
        public var seed: String
        /// Nationalities to draw from. Defaults to all 21.
        public var nationalities: [Nationality]
        /// "male" or "female" to restrict; nil (the default) mixes both.
        public var gender: String?
        /// People per batch. Defaults to 1000.
        public var batchSize: Int
        /// People per second; nil (the default) is as fast as the consumer takes them.
        public var rate: Double?
        /// When to stop. Defaults to `.never`.
        public var stop: StopCondition
        /// The day ages are computed against. Defaults to now.
        public var referenceDate: Timestamp

        public init(
            seed: String = RandomUserGenerator.randomSeed(), nationalities: [Nationality] = Nationality.allCases,
            gender: String? = nil, batchSize: Int = 1000, rate: Double? = nil, stop: StopCondition = .never,
            referenceDate: Timestamp = .now()
        ) {
            self.seed = seed
            self.nationalities = nationalities
            self.gender = gender
            self.batchSize = batchSize
            self.rate = rate
            self.stop = stop
            self.referenceDate = referenceDate
        }
    }

    public let configuration: Configuration
    let clock: C
    let box = StatsBox()

    public init(configuration: Configuration, clock: C) {
        self.configuration = configuration
        self.clock = clock
    }

    public var stats: SourceStats { box.value }

    public func run(deliver: @Sendable ([RandomUser]) async throws -> Void) async throws -> SourceStats {
        let generator = RandomUserGenerator(referenceDate: configuration.referenceDate)
        let batchSize = max(1, configuration.batchSize)
        // With a rate, batches shrink so that pacing stays smooth (about 10 batches a second).
        var perBatch = batchSize
        var interval: Duration?
        if let requested = configuration.rate, requested > 0, requested.isFinite {
            // Configuration checks rates (ConfigRange.rate); clamped here too, so that no rate
            // can trap the conversions below.
            let rate = min(max(requested, 0.001), 1e9)
            perBatch = max(1, min(batchSize, Int(min(rate / 10, Double(batchSize)))))
            interval = .seconds(Double(perBatch) / rate)
        }
        var pacer = Pacer(clock: clock, interval: interval)
        var budget = RunBudget(stop: configuration.stop, clock: clock)
        var page = 1
        while !Task.isCancelled {
            guard let count = budget.next(batch: perBatch) else { return stats }
            try await pacer.wait()
            if budget.timeIsUp { return stats }
            let people = generator.page(
                seed: configuration.seed, page: page, results: count,
                nationalities: configuration.nationalities, gender: configuration.gender
            )
            page += 1
            budget.produced += people.count
            box.update {
                $0.batches += 1
                $0.people += people.count
            }
            try await deliver(people)
        }
        return stats
    }
}

extension GeneratorSource where C == ContinuousClock {
    public init(configuration: Configuration) {
        self.init(configuration: configuration, clock: ContinuousClock())
    }
}
