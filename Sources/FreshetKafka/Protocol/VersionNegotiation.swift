/// Picks the version of each API to use with a broker.
public enum KafkaVersionNegotiation {
    /// The highest version in both `ours` and the broker's range for `api`.
    /// Throws `noCommonVersion`, naming the API, when the broker lacks it or the ranges
    /// do not overlap.
    public static func negotiate(
        _ api: ApiKey, ours: ClosedRange<Int16>, broker: ApiVersionsResponse
    ) throws -> Int16 {
        guard let theirs = broker.versions(of: api) else {
            throw KafkaProtocolError(
                code: .noCommonVersion, message: "the broker does not support \(api)", api: api)
        }
        let high = min(ours.upperBound, theirs.upperBound)
        guard high >= max(ours.lowerBound, theirs.lowerBound) else {
            throw KafkaProtocolError(
                code: .noCommonVersion,
                message: "\(api): broker supports v\(theirs.lowerBound)-\(theirs.upperBound), Freshet v\(ours.lowerBound)-\(ours.upperBound)",
                api: api)
        }
        return high
    }

    /// `negotiate` for a request type, using the versions this module implements.
    public static func negotiate<R: KafkaRequest>(_: R.Type, broker: ApiVersionsResponse) throws -> Int16 {
        try negotiate(R.apiKey, ours: R.supportedVersions, broker: broker)
    }

    /// Versions for every API in `apis` (defaults to every implemented request).
    /// Throws on the first API the broker cannot serve.
    public static func negotiateAll(
        broker: ApiVersionsResponse, apis: [any KafkaRequest.Type] = ApiKey.implementedRequests
    ) throws -> [ApiKey: Int16] {
        var result: [ApiKey: Int16] = [:]
        for type in apis {
            result[type.apiKey] = try negotiate(type.apiKey, ours: type.supportedVersions, broker: broker)
        }
        return result
    }
}
