import NIOCore
import Testing

@testable import FreshetCQL

@Suite("CQL messages: both directions")
struct CQLMessageTests {
    @Test("every request: encode, split into frames, decode: equal", arguments: CQLSamples.requests)
    func requestRoundTrip(_ sample: CQLSample<CQLRequestFrame>) throws {
        let bytes = try sample.value.encoded()
        let frames = try CQLWire.dripFeed(CQLWire.bytes(bytes))
        let frame = try #require(frames.first)
        #expect(frame.header.direction == .request)
        #expect(frame.header.opcode == sample.value.request.opcode)
        #expect(Int(frame.header.bodyLength) == bytes.readableBytes - 9)
        #expect(try CQLRequestFrame(decoding: frame) == sample.value)
    }

    @Test("every response, including every error code: encode, decode: equal", arguments: CQLSamples.responses)
    func responseRoundTrip(_ sample: CQLSample<CQLResponseFrame>) throws {
        let bytes = try sample.value.encoded()
        let frame = try #require(try CQLWire.dripFeed(CQLWire.bytes(bytes)).first)
        #expect(frame.header.direction == .response)
        #expect(frame.header.versionByte == 0x84)
        #expect(try CQLResponseFrame(decoding: frame) == sample.value)
    }

    @Test("the error samples cover every code of protocol v4")
    func everyErrorCode() {
        let codes = Set(CQLSamples.errors.map(\.value.code))
        for code in CQLErrorCode.allKnown {
            #expect(codes.contains(code), "no sample for \(code)")
        }
        #expect(CQLErrorCode.allKnown.count == 18)
        #expect(CQLErrorCode.writeTimeout.description == "WRITE_TIMEOUT (0x1100)")
        #expect(CQLErrorCode.protocolError.description == "PROTOCOL_ERROR (0x000A)")
    }

    @Test("an ERROR's extra body: exact bytes of UNAVAILABLE")
    func unavailableBytes() throws {
        var body = ByteBuffer()
        try CQLServerError.unavailable("x", consistency: .quorum, required: 3, alive: 1).encode(into: &body)
        #expect(CQLWire.bytes(body) == [0, 0, 0x10, 0, 0, 1, 0x78, 0, 4, 0, 0, 0, 3, 0, 0, 0, 1])
    }

    @Test(
        "an error whose details do not fit its code is refused when encoding",
        arguments: [
            CQLServerError(code: .unavailable, message: "missing details"),
            CQLServerError(code: .syntaxError, message: "extra", details: .alreadyExists(keyspace: "k", table: "t")),
            CQLServerError(code: .readTimeout, message: "wrong", details: .unavailable(consistency: .one, required: 1, alive: 0)),
        ])
    func mismatchedDetails(_ error: CQLServerError) {
        var body = ByteBuffer()
        let thrown = #expect(throws: CQLProtocolError.self) { try error.encode(into: &body) }
        #expect(thrown?.code == .invalidValue)
    }

    static let flagCases: [(CQLQueryParameters, UInt8)] = [
        (CQLQueryParameters(), UInt8(0x00)),
        (CQLQueryParameters(values: .positional([])), 0x01),
        (CQLQueryParameters(skipMetadata: true), 0x02),
        (CQLQueryParameters(pageSize: 1), 0x04),
        (CQLQueryParameters(pagingState: ByteBuffer()), 0x08),
        (CQLQueryParameters(serialConsistency: .serial), 0x10),
        (CQLQueryParameters(defaultTimestamp: 0), 0x20),
        (CQLQueryParameters(values: .named([:])), 0x41),
    ]

    @Test("query parameter flags: one bit per option", arguments: flagCases)
    func flags(parameters: CQLQueryParameters, flags: UInt8) throws {
        #expect(parameters.flags == flags)
        var b = ByteBuffer()
        try parameters.encode(into: &b)
        #expect(b.getInteger(at: 2, as: UInt8.self) == flags)
        #expect(try CQLQueryParameters.read(from: &b) == parameters)
        #expect(b.readableBytes == 0)
    }

    @Test("QUERY body: exact bytes with values, page size and timestamp")
    func queryBytes() throws {
        var b = ByteBuffer()
        try CQLRequest.query("Q", parameters: .init(consistency: .one, values: .positional([.null]), pageSize: 2, defaultTimestamp: 3))
            .encodeBody(into: &b)
        #expect(
            CQLWire.bytes(b) == [
                0, 0, 0, 1, 0x51,  // [long string]
                0, 1, 0x25,  // ONE, flags values|page size|timestamp
                0, 1, 0xFF, 0xFF, 0xFF, 0xFF,  // 1 value: null
                0, 0, 0, 2,  // page size
                0, 0, 0, 0, 0, 0, 0, 3,  // timestamp
            ])
    }

    @Test("a BATCH with the names flag is refused, as Cassandra does")
    func batchNames() throws {
        var body = ByteBuffer()
        try CQLRequest.batch(CQLBatch(statements: [CQLBatchStatement(.query("q"))])).encodeBody(into: &body)
        let flagsIndex = body.writerIndex - 1
        body.setInteger(UInt8(0x40), at: flagsIndex)
        let error = #expect(throws: CQLProtocolError.self) { try CQLRequest.decodeBody(opcode: .batch, &body) }
        #expect(error?.code == .invalidValue)
        #expect(error?.opcode == .batch)
    }

    @Test("unknown batch type or statement kind is refused")
    func batchKinds() throws {
        var body = ByteBuffer()
        try CQLRequest.batch(CQLBatch(statements: [CQLBatchStatement(.query("q"))])).encodeBody(into: &body)
        var badType = body
        badType.setInteger(UInt8(3), at: badType.readerIndex)
        #expect(throws: CQLProtocolError.self) { try CQLRequest.decodeBody(opcode: .batch, &badType) }
        var badKind = body
        badKind.setInteger(UInt8(2), at: badKind.readerIndex + 3)
        #expect(throws: CQLProtocolError.self) { try CQLRequest.decodeBody(opcode: .batch, &badKind) }
    }

    @Test("requests must use every byte; responses may carry more (spec section 1)")
    func trailingBytes() throws {
        var request = ByteBuffer()
        try CQLRequest.prepare("x").encodeBody(into: &request)
        request.writeInteger(UInt8(0))
        let error = #expect(throws: CQLProtocolError.self) { try CQLRequest.decodeBody(opcode: .prepare, &request) }
        #expect(error?.code == .trailingBytes)

        var response = ByteBuffer()
        try CQLResponse.result(.setKeyspace("k")).encodeBody(into: &response)
        response.writeBytes([1, 2, 3])
        #expect(try CQLResponse.decodeBody(opcode: .result, &response) == .result(.setKeyspace("k")))
    }

    @Test("direction, compression and opcode are checked")
    func frameChecks() throws {
        let response = try CQLResponseFrame(streamID: 1, response: .ready).frame()
        let asRequest = #expect(throws: CQLProtocolError.self) { try CQLRequestFrame(decoding: response) }
        #expect(asRequest?.code == .unexpectedMessage)

        let request = try CQLRequestFrame(streamID: 1, request: .options).frame()
        #expect(throws: CQLProtocolError.self) { try CQLResponseFrame(decoding: request) }

        var compressed = try CQLRequestFrame(streamID: 1, request: .prepare("x")).frame()
        compressed.header.flags.insert(.compression)
        let c = #expect(throws: CQLProtocolError.self) { try CQLRequestFrame(decoding: compressed) }
        #expect(c?.code == .compressionNotSupported)

        var unknown = request
        unknown.header.opcode = CQLOpcode(rawValue: 0x04)
        let u = #expect(throws: CQLProtocolError.self) { try CQLRequestFrame(decoding: unknown) }
        #expect(u?.code == .unknownOpcode)
        #expect(u?.streamID == 1)

        var responseOpcode = request
        responseOpcode.header.opcode = .result
        let r = #expect(throws: CQLProtocolError.self) { try CQLRequestFrame(decoding: responseOpcode) }
        #expect(r?.code == .unexpectedMessage)
    }

    @Test("rows: typed cells decode with the column types; metadata must match the rows")
    func rowsDecoding() throws {
        let rows = CQLSamples.rows
        let decoded = try rows.decodedRows()
        #expect(decoded[0][0] == .text("a"))
        #expect(decoded[0][3] == .tuple([.int(1), nil]))
        #expect(decoded[1][1] == nil)
        #expect(rows.metadata.globalTableSpec == CQLSamples.users)
        #expect(rows.metadata.flags == 0x0003)

        let noMetadata = CQLRows(metadata: CQLRowsMetadata(noMetadataColumnCount: 5), rows: rows.rows)
        #expect(throws: CQLProtocolError.self) { try noMetadata.decodedRows() }
        #expect(try noMetadata.decodedRows(columns: CQLSamples.userColumns) == decoded)

        var short = CQLRows(metadata: rows.metadata, rows: [[nil]])
        var body = ByteBuffer()
        #expect(throws: CQLProtocolError.self) { try CQLResponse.result(.rows(short)).encodeBody(into: &body) }
        short.metadata.columnCount = 1
        #expect(throws: CQLProtocolError.self) { try CQLResponse.result(.rows(short)).encodeBody(into: &body) }
    }

    @Test("rows without columns are refused rather than allocated")
    func rowsWithoutColumns() {
        var body = ByteBuffer()
        body.writeInteger(Int32(2))  // Rows
        body.writeInteger(Int32(4))  // No_metadata
        body.writeInteger(Int32(0))  // 0 columns
        body.writeInteger(Int32.max)  // rows
        let error = #expect(throws: CQLProtocolError.self) { try CQLResponse.decodeBody(opcode: .result, &body) }
        #expect(error?.code == .invalidValue)
    }

    @Test("unknown result kinds, event types and schema targets are errors")
    func unknownKinds() {
        var kind = ByteBuffer(bytes: [0, 0, 0, 6])
        #expect(throws: CQLProtocolError.self) { try CQLResponse.decodeBody(opcode: .result, &kind) }
        var event = ByteBuffer()
        try? event.writeCQLString("NOPE", "t")
        #expect(throws: CQLProtocolError.self) { try CQLResponse.decodeBody(opcode: .event, &event) }
        var target = ByteBuffer()
        target.writeInteger(Int32(5))
        for s in ["CREATED", "INDEX", "k"] { try? target.writeCQLString(s, "t") }
        #expect(throws: CQLProtocolError.self) { try CQLResponse.decodeBody(opcode: .result, &target) }
    }

    @Test("the protocol error message names the version like Cassandra does")
    func versionMessage() {
        #expect(
            CQLProtocolError.unsupportedVersionMessage(5)
                == "Invalid or unsupported protocol version (5); supported versions are (4/v4)")
    }
}
