import ArgumentParser
import Foundation
import FreshetApp
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetPostgres
import FreshetScheduler
import FreshetSchedulerPostgres
import FreshetSchedulerSQLite
import FreshetSchedulerService
import FreshetStream
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `--config` and `--metadata` of `freshet dags …` and `freshet scheduler`: which DAGs (the
/// built-ins, overridden and extended by the config file's `dags` section) and which run history.
struct MetadataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("YAML configuration file: its dags section, data_dir and metadata.url (as freshet up reads them).", valueName: "file"))
    var config: String?

    @Option(
        help: ArgumentHelp(
            "Run history: sqlite (<data-dir>/scheduler.sqlite) or postgres://user:password@host:port/db, shared by several schedulers. Defaults to $FRESHET_METADATA_URL, else the config's metadata.url, else sqlite.",
            valueName: "sqlite|postgres-url"))
    var metadata: String?

    /// The configuration file, parsed (defaults without `--config`); a bad file is a usage error naming it.
    func configuration() throws -> PipelineConfiguration {
        var configuration = PipelineConfiguration()
        guard let path = config else { return configuration }
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--config: cannot read '\(path)'") }
        do {
            try configuration.apply(yaml: String(decoding: data, as: UTF8.self), origin: path)
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }

    /// What the command works on. `dataDir` is `--data-dir`; when that is left at its default the
    /// config file's `data_dir` counts.
    func context(dataDir: String) throws -> SchedulerContext {
        let configuration = try configuration()
        let metadata =
            self.metadata ?? ProcessInfo.processInfo.environment["FRESHET_METADATA_URL"]
            ?? (configuration.metadata.url == "sqlite" ? nil : configuration.metadata.url)
        let dir = dataDir == LogOptions.defaultDataDir && config != nil ? configuration.dataDir : dataDir
        if let metadata, !(metadata.isEmpty || metadata.lowercased() == "sqlite" || DAGCatalog.isPostgres(metadata)) {
            throw ValidationError("--metadata: expected sqlite or postgres://user:password@host:port/db, got '\(redact(metadata))'")
        }
        return SchedulerContext(
            definitions: configuration.dagDefinitions(builtins: DAGCatalog.builtins), metadata: metadata, dataDir: dir, configuration: configuration)
    }
}

extension SchedulerContext {
    /// The DAG named `id`, or a usage error naming it (exit 2) — saying why if the config file
    /// defines it with a mistake.
    func dag(_ id: String) throws -> DAG {
        if let dag = definitions.dag(id) { return dag }
        if let error = definitions.errors.first(where: { $0.dagID == id }) {
            throw ValidationError("DAG '\(id)' is not usable: \(error)")
        }
        throw ValidationError("unknown DAG '\(id)' (known: \(dags.map(\.id).joined(separator: ", ")))")
    }

    /// Reports DAGs the config file got wrong on stderr (they are left out; the others work).
    func reportErrors() {
        for error in definitions.errors {
            FileHandleOutput.standardError.writeLine("error: \(error) — DAG '\(error.dagID)' is left out; the other DAGs are scheduled")
        }
    }
}
