import FreshetCQL
import NIOCore
import Testing

/// The connection guard as function calls, with a clock the test moves.
@Suite("CQL connection guard")
struct CQLConnectionGuardTests {
    static func at(_ ms: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(ms) * 1_000_000) }

    static let configuration = CQLConnectionGuard.Configuration(
        frameReadTimeout: .milliseconds(1_000), idleTimeout: .milliseconds(5_000), writeTimeout: .milliseconds(2_000))

    static func header(bodyLength: Int32) -> ByteBuffer {
        var buffer = ByteBuffer()
        CQLFrameHeader(direction: .request, streamID: 1, opcode: .query, bodyLength: bodyLength).encode(into: &buffer)
        return buffer
    }

    static func isClose(_ verdict: CQLConnectionGuard.Verdict, _ text: String) -> Bool {
        if case .close(let reason) = verdict { return reason.contains(text) }
        return false
    }

    @Test func aHalfSentFrameIsClosedAfterTheFrameReadTimeout() {
        var machine = CQLConnectionGuard(configuration: Self.configuration, now: Self.at(0))
        machine.received(Self.header(bodyLength: 15 << 20), at: Self.at(100))
        machine.received(ByteBuffer(repeating: 0, count: 1000), at: Self.at(600))
        #expect(machine.hasIncompleteFrame)
        // Trickling bytes does not extend the time a frame has.
        #expect(machine.check(at: Self.at(1_099)) == .keepOpen)
        #expect(Self.isClose(machine.check(at: Self.at(1_100)), "frame read timeout"))
    }

    @Test func wholeFramesInAnySplitKeepTheConnection() {
        var machine = CQLConnectionGuard(configuration: Self.configuration, now: Self.at(0))
        var stream = ByteBuffer()
        for length in [0, 5, 300] {
            var header = Self.header(bodyLength: Int32(length))
            stream.writeBuffer(&header)
            stream.writeRepeatingByte(7, count: length)
        }
        // One byte at a time, each frame completing within its second.
        var clock: Int64 = 0
        while let byte = stream.readSlice(length: 1) {
            clock += 2
            machine.received(byte, at: Self.at(clock))
            #expect(machine.check(at: Self.at(clock)) == .keepOpen)
        }
        #expect(!machine.hasIncompleteFrame)
        #expect(machine.check(at: Self.at(clock + 4_999)) == .keepOpen)
    }

    @Test func timeTheServerHoldsBackDoesNotCount() {
        var machine = CQLConnectionGuard(configuration: Self.configuration, now: Self.at(0))
        machine.received(Self.header(bodyLength: 100), at: Self.at(0))
        machine.readingPaused(at: Self.at(500))
        #expect(machine.check(at: Self.at(10_000)) == .keepOpen)
        machine.readingResumed(at: Self.at(10_000))
        // 500 ms had passed before the pause: 500 ms are left.
        #expect(machine.check(at: Self.at(10_499)) == .keepOpen)
        #expect(Self.isClose(machine.check(at: Self.at(10_500)), "frame read timeout"))
    }

    @Test func anIdleConnectionIsClosed() {
        var machine = CQLConnectionGuard(configuration: Self.configuration, now: Self.at(0))
        var frame = Self.header(bodyLength: 0)
        machine.received(frame, at: Self.at(1_000))
        #expect(machine.check(at: Self.at(5_999)) == .keepOpen)
        // A heartbeat resets it.
        frame = Self.header(bodyLength: 0)
        machine.received(frame, at: Self.at(5_999))
        #expect(machine.check(at: Self.at(10_998)) == .keepOpen)
        #expect(Self.isClose(machine.check(at: Self.at(10_999)), "idle timeout"))
    }

    @Test func aClientThatDoesNotReadIsClosedAfterTheWriteTimeout() {
        var machine = CQLConnectionGuard(configuration: Self.configuration, now: Self.at(0))
        machine.received(Self.header(bodyLength: 0), at: Self.at(0))
        machine.outputPending(1 << 20, at: Self.at(100))
        // Reading slowly is progress.
        machine.outputPending(900_000, at: Self.at(1_500))
        #expect(machine.check(at: Self.at(3_499)) == .keepOpen)
        machine.outputPending(900_000, at: Self.at(3_000))
        #expect(Self.isClose(machine.check(at: Self.at(3_500)), "write timeout"))
        // Even while the server holds back its reading.
        var paused = CQLConnectionGuard(configuration: Self.configuration, now: Self.at(0))
        paused.outputPending(10, at: Self.at(0))
        paused.readingPaused(at: Self.at(0))
        #expect(Self.isClose(paused.check(at: Self.at(2_000)), "write timeout"))
    }

    @Test func noTimeoutsConfiguredNeverCloses() {
        var machine = CQLConnectionGuard(configuration: .init(), now: Self.at(0))
        machine.received(Self.header(bodyLength: 10), at: Self.at(0))
        machine.outputPending(10, at: Self.at(0))
        #expect(machine.check(at: Self.at(1_000_000_000)) == .keepOpen)
        #expect(CQLConnectionGuard.Configuration().checkInterval == nil)
        #expect(Self.configuration.checkInterval == .milliseconds(250))
    }
}

/// What a client accepts from a node it may not control.
@Suite("CQL response limits")
struct CQLResponseLimitsTests {
    static func rows(columns: Int, rows: Int, columnType: CQLType = .int) -> CQLRows {
        let specs = (0..<columns).map { CQLColumnSpec(keyspace: "k", table: "t", name: "c\($0)", type: columnType) }
        return CQLRows(
            metadata: CQLRowsMetadata(columns: specs), rows: Array(repeating: Array(repeating: ByteBuffer(bytes: [0, 0, 0, 1]), count: columns), count: rows))
    }

    static func frame(_ response: CQLResponse) throws -> CQLFrame {
        var bytes = try CQLResponseFrame(streamID: 1, response: response).encoded()
        return try #require(try CQLFrameDecoder.decodeFrame(from: &bytes, maximumBodyLength: 1 << 26))
    }

    @Test func tooManyCellsAreRefused() throws {
        let frame = try Self.frame(.result(.rows(Self.rows(columns: 10, rows: 11))))
        let limits = CQLResponseLimits(maximumRowCells: 100)
        let error = #expect(throws: CQLProtocolError.self) { try CQLResponseFrame(decoding: frame, limits: limits) }
        #expect(error?.field == "rows_count" && error?.message.contains("more than 100 cells") == true)
        _ = try CQLResponseFrame(decoding: Self.frame(.result(.rows(Self.rows(columns: 10, rows: 10)))), limits: limits)
    }

    @Test func decodedValuesAreBudgeted() throws {
        // One cell: a list of 1,000 empty strings, 4 bytes each.
        var cell = ByteBuffer()
        cell.writeInteger(Int32(1_000))
        for _ in 0..<1_000 { cell.writeInteger(Int32(0)) }
        let rows = CQLRows(
            metadata: CQLRowsMetadata(columns: [CQLColumnSpec(keyspace: "k", table: "t", name: "l", type: .list(.varchar))]), rows: [[cell]])
        #expect(try rows.decodedRows(maximumValues: 1_001).first?.first??.serializedSize == cell.readableBytes)
        let error = #expect(throws: CQLProtocolError.self) { try rows.decodedRows(maximumValues: 1_000) }
        #expect(error?.code == .invalidLength)
    }

    @Test func typeTreesAndColumnCountsAreBounded() throws {
        // 70,000 columns of int: more than the protocol's 65,535.
        var body = ByteBuffer()
        body.writeInteger(Int32(2))  // Rows
        body.writeInteger(Int32(1))  // global table spec
        body.writeInteger(Int32(70_000))
        try body.writeCQLString("k", "k")
        try body.writeCQLString("t", "t")
        for _ in 0..<70_000 {
            try body.writeCQLString("", "n")
            body.writeInteger(UInt16(9))
        }
        body.writeInteger(Int32(0))
        let columns = CQLFrame(header: CQLFrameHeader(direction: .response, streamID: 1, opcode: .result, bodyLength: 0), body: body)
        let error = #expect(throws: CQLProtocolError.self) { try CQLResponseFrame(decoding: columns) }
        #expect(error?.field == "columns_count")

        // One column whose type is a tuple of 40,000 tuples of 2 ints: 120,001 nodes.
        var type = ByteBuffer()
        type.writeInteger(UInt16(0x31))
        type.writeInteger(UInt16(40_000))
        for _ in 0..<40_000 {
            type.writeInteger(UInt16(0x31))
            type.writeInteger(UInt16(2))
            type.writeInteger(UInt16(9))
            type.writeInteger(UInt16(9))
        }
        var wide = ByteBuffer()
        wide.writeInteger(Int32(2))
        wide.writeInteger(Int32(1))
        wide.writeInteger(Int32(1))
        try wide.writeCQLString("k", "k")
        try wide.writeCQLString("t", "t")
        try wide.writeCQLString("c", "n")
        wide.writeBuffer(&type)
        wide.writeInteger(Int32(0))
        let tree = CQLFrame(header: CQLFrameHeader(direction: .response, streamID: 1, opcode: .result, bodyLength: 0), body: wide)
        let treeError = #expect(throws: CQLProtocolError.self) { try CQLResponseFrame(decoding: tree) }
        #expect(treeError?.message.contains("nodes") == true, "\(String(describing: treeError))")
    }

    @Test func moreKeyIndexesThanMarkersAreRefused() throws {
        var body = ByteBuffer()
        body.writeInteger(Int32(4))  // Prepared
        try body.writeCQLShortBytes(ByteBuffer(bytes: [1]), "id")
        body.writeInteger(Int32(0))  // flags
        body.writeInteger(Int32(0))  // 0 markers
        body.writeInteger(Int32(3))  // 3 partition key indexes
        for _ in 0..<3 { body.writeInteger(UInt16(0)) }
        let frame = CQLFrame(header: CQLFrameHeader(direction: .response, streamID: 1, opcode: .result, bodyLength: 0), body: body)
        let error = #expect(throws: CQLProtocolError.self) { try CQLResponseFrame(decoding: frame) }
        #expect(error?.field == "pk_count")
    }

    @Test func theClientFailsOnlyTheRequestWhoseResponseIsTooLarge() throws {
        typealias Machine = CQLClientConnectionStateMachine
        var machine = Machine(configuration: .init(responseLimits: CQLResponseLimits(maximumRowCells: 50)))
        _ = machine.channelActive()
        _ = machine.received(CQLResponseFrame(streamID: 0, response: .supported(options: [:])))
        _ = machine.received(CQLResponseFrame(streamID: 0, response: .ready))
        _ = machine.send(.init(.query("SELECT big", parameters: .init())), id: .init(1))
        _ = machine.send(.init(.query("SELECT small", parameters: .init())), id: .init(2))
        var big = try Self.frame(.result(.rows(Self.rows(columns: 10, rows: 6))))
        big.header.streamID = 1
        guard case .fail(let id, let error, _) = machine.received(big) else {
            Issue.record("the oversized result did not fail its request")
            return
        }
        #expect(id == .init(1) && error.code == .protocolError)
        var small = try Self.frame(.result(.rows(Self.rows(columns: 10, rows: 5))))
        small.header.streamID = 2
        guard case .succeed(let done, _, _, _) = machine.received(small) else {
            Issue.record("the connection did not stay usable")
            return
        }
        #expect(done == .init(2) && machine.isReady)
    }
}
