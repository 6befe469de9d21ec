import NIOCore

/// A partition list of one topic, as embedded in consumer-protocol metadata.
public struct ConsumerProtocolTopicPartitions: KafkaWireStruct {
    public var topic = ""
    public var partitions: [Int32] = []
    public init() {}
    public init(topic: String, partitions: [Int32]) {
        self.topic = topic
        self.partitions = partitions
    }
    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.string(&topic, "Topic")
        try c.int32Array(&partitions, "Partitions")
    }
}

/// What a consumer sends as JoinGroup protocol metadata: an int16 version, then the
/// subscription. Versions 0–3; never flexible. A newer version is read as v3 (its extra
/// trailing fields are ignored), as Kafka's consumer protocol requires.
public struct ConsumerProtocolSubscription: Sendable, Hashable {
    public static let supportedVersions: ClosedRange<Int16> = 0...3

    public var topics: [String] = []
    public var userData: ByteBuffer? = nil
    /// v1+.
    public var ownedPartitions: [ConsumerProtocolTopicPartitions] = []
    /// v2+. Defaults to -1.
    public var generationID: Int32 = -1
    /// v3+.
    public var rackID: String? = nil

    public init(topics: [String] = [], userData: ByteBuffer? = nil, ownedPartitions: [ConsumerProtocolTopicPartitions] = []) {
        self.topics = topics
        self.userData = userData
        self.ownedPartitions = ownedPartitions
    }

    mutating func code(_ c: inout KafkaCodec) throws {
        try c.stringArray(&topics, "Topics")
        try c.nullableBytes(&userData, "UserData")
        if c.version >= 1 { try c.array(&ownedPartitions, "OwnedPartitions") }
        if c.version >= 2 { try c.int32(&generationID, "GenerationId") }
        if c.version >= 3 { try c.nullableString(&rackID, "RackId") }
    }

    /// The metadata bytes (version prefix included) at `version`.
    public func encoded(version: Int16) throws -> ByteBuffer {
        try ConsumerProtocol.encode(version: version, supported: Self.supportedVersions) { c in
            var copy = self
            try copy.code(&c)
        }
    }

    /// Reads subscription metadata bytes; returns the value and the version on the wire.
    public static func decode(_ buffer: ByteBuffer) throws -> (ConsumerProtocolSubscription, version: Int16) {
        var value = ConsumerProtocolSubscription()
        let version = try ConsumerProtocol.decode(buffer, supported: supportedVersions) { c in try value.code(&c) }
        return (value, version)
    }
}

/// What the group leader hands each member in SyncGroup: an int16 version, then the
/// assignment. Versions 0–3 share one layout; never flexible.
public struct ConsumerProtocolAssignment: Sendable, Hashable {
    public static let supportedVersions: ClosedRange<Int16> = 0...3

    public var assignedPartitions: [ConsumerProtocolTopicPartitions] = []
    public var userData: ByteBuffer? = nil

    public init(assignedPartitions: [ConsumerProtocolTopicPartitions] = [], userData: ByteBuffer? = nil) {
        self.assignedPartitions = assignedPartitions
        self.userData = userData
    }

    mutating func code(_ c: inout KafkaCodec) throws {
        try c.array(&assignedPartitions, "AssignedPartitions")
        try c.nullableBytes(&userData, "UserData")
    }

    public func encoded(version: Int16) throws -> ByteBuffer {
        try ConsumerProtocol.encode(version: version, supported: Self.supportedVersions) { c in
            var copy = self
            try copy.code(&c)
        }
    }

    /// Reads assignment bytes. An empty buffer (a member with nothing assigned, as some
    /// brokers send) is an empty assignment at version 0.
    public static func decode(_ buffer: ByteBuffer) throws -> (ConsumerProtocolAssignment, version: Int16) {
        if buffer.readableBytes == 0 { return (ConsumerProtocolAssignment(), 0) }
        var value = ConsumerProtocolAssignment()
        let version = try ConsumerProtocol.decode(buffer, supported: supportedVersions) { c in try value.code(&c) }
        return (value, version)
    }
}

enum ConsumerProtocol {
    static func encode(
        version: Int16, supported: ClosedRange<Int16>, _ body: (inout KafkaCodec) throws -> Void
    ) throws -> ByteBuffer {
        guard supported.contains(version) else {
            throw KafkaProtocolError(
                code: .unsupportedVersion, message: "consumer protocol v\(version) is not implemented", version: version)
        }
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        var c = KafkaCodec(encodingInto: buffer, version: version, flexible: false)
        try body(&c)
        return c.buffer
    }

    static func decode(
        _ buffer: ByteBuffer, supported: ClosedRange<Int16>, _ body: (inout KafkaCodec) throws -> Void
    ) throws -> Int16 {
        var buffer = buffer
        guard let version = buffer.readInteger(as: Int16.self) else {
            throw KafkaProtocolError(code: .truncated, message: "consumer protocol data has no version", field: "Version")
        }
        guard version >= supported.lowerBound else {
            throw KafkaProtocolError(
                code: .unsupportedVersion, message: "consumer protocol v\(version) is not valid", version: version)
        }
        var c = KafkaCodec(decoding: buffer, version: min(version, supported.upperBound), flexible: false)
        try body(&c)
        if version <= supported.upperBound, c.buffer.readableBytes != 0 {
            throw KafkaProtocolError(
                code: .trailingBytes, message: "\(c.buffer.readableBytes) bytes left after consumer protocol data",
                version: version)
        }
        return version
    }
}
