import NIOCore

/// ApiVersions (key 18), v0–v3: asks which versions of each API the broker supports.
public struct ApiVersionsRequest: KafkaRequest {
    public typealias Response = ApiVersionsResponse
    public static let apiKey = ApiKey.apiVersions
    public static let supportedVersions: ClosedRange<Int16> = 0...3
    public static let firstFlexibleVersion: Int16? = 3

    /// v3+. Defaults to "".
    public var clientSoftwareName = ""
    /// v3+. Defaults to "".
    public var clientSoftwareVersion = ""

    public init() {}

    public init(clientSoftwareName: String, clientSoftwareVersion: String) {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
    }

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 3 {
            try c.string(&clientSoftwareName, "ClientSoftwareName")
            try c.string(&clientSoftwareVersion, "ClientSoftwareVersion")
        }
        try c.emptyTaggedFields()
    }
}

public struct ApiVersionsResponse: KafkaWireStruct {
    public struct ApiVersion: KafkaWireStruct {
        public var apiKey = ApiKey(rawValue: 0)
        public var minVersion: Int16 = 0
        public var maxVersion: Int16 = 0
        public init() {}
        public init(apiKey: ApiKey, minVersion: Int16, maxVersion: Int16) {
            self.apiKey = apiKey
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }
        public var versions: ClosedRange<Int16>? { minVersion <= maxVersion ? minVersion...maxVersion : nil }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int16(&apiKey.rawValue, "ApiKey")
            try c.int16(&minVersion, "MinVersion")
            try c.int16(&maxVersion, "MaxVersion")
            try c.emptyTaggedFields()
        }
    }

    public struct SupportedFeature: KafkaWireStruct {
        public var name = ""
        public var minVersion: Int16 = 0
        public var maxVersion: Int16 = 0
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.int16(&minVersion, "MinVersion")
            try c.int16(&maxVersion, "MaxVersion")
            try c.emptyTaggedFields()
        }
    }

    public struct FinalizedFeature: KafkaWireStruct {
        public var name = ""
        public var maxVersionLevel: Int16 = 0
        public var minVersionLevel: Int16 = 0
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.int16(&maxVersionLevel, "MaxVersionLevel")
            try c.int16(&minVersionLevel, "MinVersionLevel")
            try c.emptyTaggedFields()
        }
    }

    public var errorCode = KafkaErrorCode.noError
    public var apiKeys: [ApiVersion] = []
    /// v1+.
    public var throttleTimeMs: Int32 = 0
    // Tagged fields (v3+): `nil` when absent from the wire. Some brokers send them with
    // default values, so presence is kept to re-encode exactly what was read.
    /// Tag 0.
    public var supportedFeatures: [SupportedFeature]? = nil
    /// Tag 1. Kafka's default is -1.
    public var finalizedFeaturesEpoch: Int64? = nil
    /// Tag 2.
    public var finalizedFeatures: [FinalizedFeature]? = nil
    /// Tag 3.
    public var zkMigrationReady: Bool? = nil

    public init() {}

    /// The versions the broker supports for `api`, if it lists it.
    public func versions(of api: ApiKey) -> ClosedRange<Int16>? {
        apiKeys.first { $0.apiKey == api }?.versions
    }

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.errorCode(&errorCode, "ErrorCode")
        try c.array(&apiKeys, "ApiKeys")
        if c.version >= 1 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        guard c.flexible else { return }
        if c.isDecoding {
            try c.readTaggedFields { c, tag in
                switch tag {
                case 0:
                    var v: [SupportedFeature] = []
                    try c.array(&v, "SupportedFeatures")
                    supportedFeatures = v
                case 1:
                    var v: Int64 = -1
                    try c.int64(&v, "FinalizedFeaturesEpoch")
                    finalizedFeaturesEpoch = v
                case 2:
                    var v: [FinalizedFeature] = []
                    try c.array(&v, "FinalizedFeatures")
                    finalizedFeatures = v
                case 3:
                    var v = false
                    try c.bool(&v, "ZkMigrationReady")
                    zkMigrationReady = v
                default: return false
                }
                return true
            }
        } else {
            let present = [supportedFeatures != nil, finalizedFeaturesEpoch != nil, finalizedFeatures != nil, zkMigrationReady != nil]
            c.writeTaggedFieldCount(present.filter { $0 }.count)
            if var v = supportedFeatures { try c.writeTaggedField(0) { try $0.array(&v, "SupportedFeatures") } }
            if var v = finalizedFeaturesEpoch { try c.writeTaggedField(1) { try $0.int64(&v, "FinalizedFeaturesEpoch") } }
            if var v = finalizedFeatures { try c.writeTaggedField(2) { try $0.array(&v, "FinalizedFeatures") } }
            if var v = zkMigrationReady { try c.writeTaggedField(3) { try $0.bool(&v, "ZkMigrationReady") } }
        }
    }
}
