/// Which stages of the pipeline a process runs.
public enum PipelineRole: String, Sendable, CaseIterable {
    /// Source, log and processor in one process (`freshet up`).
    case all
    /// The source only, producing to the broker (`freshet ingest`): bounded runs end when the
    /// source has produced everything.
    case ingest
    /// The processor only, as a member of the consumer group (`freshet process`): runs until
    /// SIGINT/SIGTERM; several processes split the partitions.
    case process
}
