import FreshetContracts

/// The embedded log's own ways of saying what went wrong, as `LogError`s.
extension LogError {
    static func unknownTopic(_ topic: String) -> LogError {
        LogError(.unknownTopicOrPartition, "unknown topic '\(topic)'", context: ["topic": topic])
    }

    static func unknownPartition(_ topic: String, _ partition: Int32, count: Int) -> LogError {
        LogError(
            .unknownTopicOrPartition,
            "partition \(partition) of topic '\(topic)' does not exist (topic has \(count) partitions: 0...\(count - 1))",
            context: ["topic": topic, "partition": "\(partition)"]
        )
    }

    static func io(_ what: String, path: String, errno e: Int32) -> LogError {
        LogError(
            .storageError,
            "\(what) '\(path)' failed: \(String(cString: strerror(e))) (errno \(e))",
            context: ["path": path, "errno": "\(e)"]
        )
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
