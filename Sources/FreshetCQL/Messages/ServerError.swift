import NIOCore

/// An ERROR message's code (spec section 9). Unknown codes are kept as they are.
public struct CQLErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Something unexpected happened: a server-side bug.
    public static let serverError = CQLErrorCode(rawValue: 0x0000)
    /// A client message violated the protocol (including an unsupported protocol version).
    public static let protocolError = CQLErrorCode(rawValue: 0x000A)
    /// Authentication was required and failed.
    public static let authenticationError = CQLErrorCode(rawValue: 0x0100)
    /// Not enough replicas are alive for the consistency level.
    public static let unavailable = CQLErrorCode(rawValue: 0x1000)
    /// The coordinator is overloaded.
    public static let overloaded = CQLErrorCode(rawValue: 0x1001)
    /// A read reached a coordinator that is bootstrapping.
    public static let isBootstrapping = CQLErrorCode(rawValue: 0x1002)
    /// A TRUNCATE failed.
    public static let truncateError = CQLErrorCode(rawValue: 0x1003)
    public static let writeTimeout = CQLErrorCode(rawValue: 0x1100)
    public static let readTimeout = CQLErrorCode(rawValue: 0x1200)
    public static let readFailure = CQLErrorCode(rawValue: 0x1300)
    /// A user-defined function failed.
    public static let functionFailure = CQLErrorCode(rawValue: 0x1400)
    public static let writeFailure = CQLErrorCode(rawValue: 0x1500)
    public static let syntaxError = CQLErrorCode(rawValue: 0x2000)
    public static let unauthorized = CQLErrorCode(rawValue: 0x2100)
    /// The query is syntactically correct but invalid.
    public static let invalid = CQLErrorCode(rawValue: 0x2200)
    public static let configError = CQLErrorCode(rawValue: 0x2300)
    /// The keyspace or table to create exists.
    public static let alreadyExists = CQLErrorCode(rawValue: 0x2400)
    /// The prepared statement id is not known to this node: prepare again.
    public static let unprepared = CQLErrorCode(rawValue: 0x2500)

    /// Every code of protocol v4.
    public static let allKnown: [CQLErrorCode] = [
        .serverError, .protocolError, .authenticationError, .unavailable, .overloaded, .isBootstrapping,
        .truncateError, .writeTimeout, .readTimeout, .readFailure, .functionFailure, .writeFailure, .syntaxError,
        .unauthorized, .invalid, .configError, .alreadyExists, .unprepared,
    ]

    static let names: [Int32: String] = [
        0x0000: "SERVER_ERROR", 0x000A: "PROTOCOL_ERROR", 0x0100: "AUTHENTICATION_ERROR",
        0x1000: "UNAVAILABLE", 0x1001: "OVERLOADED", 0x1002: "IS_BOOTSTRAPPING", 0x1003: "TRUNCATE_ERROR",
        0x1100: "WRITE_TIMEOUT", 0x1200: "READ_TIMEOUT", 0x1300: "READ_FAILURE", 0x1400: "FUNCTION_FAILURE",
        0x1500: "WRITE_FAILURE", 0x2000: "SYNTAX_ERROR", 0x2100: "UNAUTHORIZED", 0x2200: "INVALID",
        0x2300: "CONFIG_ERROR", 0x2400: "ALREADY_EXISTS", 0x2500: "UNPREPARED",
    ]

    /// "WRITE_TIMEOUT (0x1100)".
    public var description: String {
        let hex = String(UInt32(bitPattern: rawValue), radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        return "\(Self.names[rawValue] ?? "UNKNOWN") (0x\(padded))"
    }
}

/// The <writeType> of write timeouts and failures.
public struct CQLWriteType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let simple = CQLWriteType(rawValue: "SIMPLE")
    public static let batch = CQLWriteType(rawValue: "BATCH")
    public static let unloggedBatch = CQLWriteType(rawValue: "UNLOGGED_BATCH")
    public static let counter = CQLWriteType(rawValue: "COUNTER")
    public static let batchLog = CQLWriteType(rawValue: "BATCH_LOG")
    public static let cas = CQLWriteType(rawValue: "CAS")
    public static let view = CQLWriteType(rawValue: "VIEW")
    public static let cdc = CQLWriteType(rawValue: "CDC")

    public var description: String { rawValue }
}

/// An ERROR message (spec 4.2.1 and 9) as a Swift error: the code, the server's message and
/// the extra fields that code carries.
public struct CQLServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The extra body of the codes that have one.
    public enum Details: Sendable, Hashable {
        /// Codes without extra fields.
        case none
        /// 0x1000: `alive` < `required` replicas for `consistency`.
        case unavailable(consistency: CQLConsistency, required: Int32, alive: Int32)
        /// 0x1100.
        case writeTimeout(consistency: CQLConsistency, received: Int32, blockFor: Int32, writeType: CQLWriteType)
        /// 0x1200. `dataPresent`: the replica asked for data answered.
        case readTimeout(consistency: CQLConsistency, received: Int32, blockFor: Int32, dataPresent: Bool)
        /// 0x1300.
        case readFailure(consistency: CQLConsistency, received: Int32, blockFor: Int32, failures: Int32, dataPresent: Bool)
        /// 0x1400.
        case functionFailure(keyspace: String, function: String, argumentTypes: [String])
        /// 0x1500.
        case writeFailure(
            consistency: CQLConsistency, received: Int32, blockFor: Int32, failures: Int32, writeType: CQLWriteType)
        /// 0x2400. `table` is empty when a keyspace exists.
        case alreadyExists(keyspace: String, table: String)
        /// 0x2500: the unknown prepared statement id.
        case unprepared(id: ByteBuffer)
    }

    public var code: CQLErrorCode
    /// The server's message.
    public var message: String
    public var details: Details

    public init(code: CQLErrorCode, message: String, details: Details = .none) {
        self.code = code
        self.message = message
        self.details = details
    }

    public static func unavailable(_ message: String, consistency: CQLConsistency, required: Int32, alive: Int32) -> CQLServerError {
        CQLServerError(code: .unavailable, message: message, details: .unavailable(consistency: consistency, required: required, alive: alive))
    }

    public static func alreadyExists(_ message: String, keyspace: String, table: String) -> CQLServerError {
        CQLServerError(code: .alreadyExists, message: message, details: .alreadyExists(keyspace: keyspace, table: table))
    }

    public static func unprepared(_ message: String, id: ByteBuffer) -> CQLServerError {
        CQLServerError(code: .unprepared, message: message, details: .unprepared(id: id))
    }

    /// The code whose extra body `details` is, or `nil` for `.none`.
    var detailsCode: CQLErrorCode? {
        switch details {
        case .none: nil
        case .unavailable: .unavailable
        case .writeTimeout: .writeTimeout
        case .readTimeout: .readTimeout
        case .readFailure: .readFailure
        case .functionFailure: .functionFailure
        case .writeFailure: .writeFailure
        case .alreadyExists: .alreadyExists
        case .unprepared: .unprepared
        }
    }

    static let codesWithDetails: Set<CQLErrorCode> = [
        .unavailable, .writeTimeout, .readTimeout, .readFailure, .functionFailure, .writeFailure, .alreadyExists, .unprepared,
    ]

    /// The body of the ERROR message. Throws if `details` is not the extra body `code` needs
    /// (a driver could not parse the message otherwise).
    public func encode(into buffer: inout ByteBuffer) throws {
        let expected = Self.codesWithDetails.contains(code) ? code : nil
        guard detailsCode == expected else {
            throw CQLProtocolError(
                code: .invalidValue, message: "error \(code) cannot carry details \(details)", opcode: .error, field: "details")
        }
        buffer.writeInteger(code.rawValue)
        try buffer.writeCQLString(Self.fitting(message), "message")
        switch details {
        case .none: break
        case .unavailable(let cl, let required, let alive):
            buffer.writeCQLConsistency(cl)
            buffer.writeInteger(required)
            buffer.writeInteger(alive)
        case .writeTimeout(let cl, let received, let blockFor, let writeType):
            buffer.writeCQLConsistency(cl)
            buffer.writeInteger(received)
            buffer.writeInteger(blockFor)
            try buffer.writeCQLString(writeType.rawValue, "writeType")
        case .readTimeout(let cl, let received, let blockFor, let dataPresent):
            buffer.writeCQLConsistency(cl)
            buffer.writeInteger(received)
            buffer.writeInteger(blockFor)
            buffer.writeInteger(UInt8(dataPresent ? 1 : 0))
        case .readFailure(let cl, let received, let blockFor, let failures, let dataPresent):
            buffer.writeCQLConsistency(cl)
            buffer.writeInteger(received)
            buffer.writeInteger(blockFor)
            buffer.writeInteger(failures)
            buffer.writeInteger(UInt8(dataPresent ? 1 : 0))
        case .functionFailure(let keyspace, let function, let argumentTypes):
            try buffer.writeCQLString(keyspace, "keyspace")
            try buffer.writeCQLString(function, "function")
            try buffer.writeCQLStringList(argumentTypes, "arg_types")
        case .writeFailure(let cl, let received, let blockFor, let failures, let writeType):
            buffer.writeCQLConsistency(cl)
            buffer.writeInteger(received)
            buffer.writeInteger(blockFor)
            buffer.writeInteger(failures)
            try buffer.writeCQLString(writeType.rawValue, "writeType")
        case .alreadyExists(let keyspace, let table):
            try buffer.writeCQLString(keyspace, "ks")
            try buffer.writeCQLString(table, "table")
        case .unprepared(let id):
            try buffer.writeCQLShortBytes(id, "id")
        }
    }

    /// Reads the body of an ERROR message. Codes this version does not know get `.none`.
    public static func read(from buffer: inout ByteBuffer) throws -> CQLServerError {
        let code = CQLErrorCode(rawValue: try buffer.readCQLInt("code"))
        let message = try buffer.readCQLString("message")
        let details: Details
        switch code {
        case .unavailable:
            details = .unavailable(
                consistency: try buffer.readCQLConsistency("cl"), required: try buffer.readCQLInt("required"),
                alive: try buffer.readCQLInt("alive"))
        case .writeTimeout:
            details = .writeTimeout(
                consistency: try buffer.readCQLConsistency("cl"), received: try buffer.readCQLInt("received"),
                blockFor: try buffer.readCQLInt("blockfor"), writeType: CQLWriteType(rawValue: try buffer.readCQLString("writeType")))
        case .readTimeout:
            details = .readTimeout(
                consistency: try buffer.readCQLConsistency("cl"), received: try buffer.readCQLInt("received"),
                blockFor: try buffer.readCQLInt("blockfor"), dataPresent: try buffer.readCQLByte("data_present") != 0)
        case .readFailure:
            details = .readFailure(
                consistency: try buffer.readCQLConsistency("cl"), received: try buffer.readCQLInt("received"),
                blockFor: try buffer.readCQLInt("blockfor"), failures: try buffer.readCQLInt("numfailures"),
                dataPresent: try buffer.readCQLByte("data_present") != 0)
        case .functionFailure:
            details = .functionFailure(
                keyspace: try buffer.readCQLString("keyspace"), function: try buffer.readCQLString("function"),
                argumentTypes: try buffer.readCQLStringList("arg_types"))
        case .writeFailure:
            details = .writeFailure(
                consistency: try buffer.readCQLConsistency("cl"), received: try buffer.readCQLInt("received"),
                blockFor: try buffer.readCQLInt("blockfor"), failures: try buffer.readCQLInt("numfailures"),
                writeType: CQLWriteType(rawValue: try buffer.readCQLString("writeType")))
        case .alreadyExists:
            details = .alreadyExists(keyspace: try buffer.readCQLString("ks"), table: try buffer.readCQLString("table"))
        case .unprepared:
            details = .unprepared(id: try buffer.readCQLShortBytes("id"))
        default:
            details = .none
        }
        return CQLServerError(code: code, message: message, details: details)
    }

    public var description: String { "CQLServerError \(code): \(message)" }

    /// `message` cut at a character boundary to fit a [string] (65,535 bytes): messages quote
    /// the client's text, which may be longer.
    static func fitting(_ message: String) -> String {
        let limit = Int(UInt16.max)
        guard message.utf8.count > limit else { return message }
        var cut = ""
        var bytes = 0
        for character in message {
            let size = character.utf8.count
            guard bytes + size <= limit - 3 else { break }
            cut.append(character)
            bytes += size
        }
        return cut + "…"
    }
}
