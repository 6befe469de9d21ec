import FreshetCQL
import FreshetContracts
import FreshetCore
import FreshetStore
import Synchronization
import Testing

@testable import FreshetCQLServer

/// A sink that records its batches, slowly, and refuses rows whose id starts with "bad".
final class RecordingSink: Sink, @unchecked Sendable {
    let batches = Mutex<[[String]]>([])
    func prepare() async throws {}
    func write(_ batch: SinkBatch) async throws -> [SliceOutcome] {
        Issue.record("the CQL endpoint writes rows with upsert, not write")
        return []
    }
    func upsert(_ rows: [CreatedUserRow]) async throws {
        try await Task.sleep(for: .milliseconds(20))
        if let bad = rows.first(where: { $0.id.hasPrefix("bad") }) {
            throw StoreError(code: .rowRejected, message: "row \(bad.id) refused")
        }
        batches.withLock { $0.append(rows.map(\.id)) }
    }
    func positions(topic: String) async throws -> [Int32: Int64] { [:] }
    func close() async throws {}
}

@Suite("CQL endpoint: group commit of INSERTs")
struct CQLGroupCommitTests {
    /// An INSERT of just an id: a new row, blank but for it.
    static func row(_ id: String) -> CQLRowWrite { CQLRowWrite(key: .text(id), values: ["id": .text(id)]) }

    @Test func concurrentInsertsShareTransactions() async throws {
        let sink = RecordingSink()
        let writer = RowWriteGroupCommit(sink)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<200 { group.addTask { try await writer.write([Self.row("id-\(i)")]) } }
            try await group.waitForAll()
        }
        let batches = sink.batches.withLock { $0 }
        // Every row written exactly once, in far fewer transactions than INSERTs.
        #expect(batches.flatMap { $0 }.sorted() == (0..<200).map { "id-\($0)" }.sorted())
        #expect(batches.count < 50, "\(batches.count) transactions for 200 concurrent INSERTs")
    }

    @Test func aRefusedRowFailsOnlyItsOwnInsert() async throws {
        let sink = RecordingSink()
        let writer = RowWriteGroupCommit(sink)
        let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for id in ["a", "b", "bad-1", "c", "d"] {
                group.addTask {
                    do {
                        try await writer.write([Self.row(id)])
                        return (id, true)
                    } catch {
                        return (id, false)
                    }
                }
            }
            var all: [String: Bool] = [:]
            for try await (id, ok) in group { all[id] = ok }
            return all
        }
        #expect(outcomes == ["a": true, "b": true, "bad-1": false, "c": true, "d": true])
        #expect(Set(sink.batches.withLock { $0 }.flatMap { $0 }) == ["a", "b", "c", "d"])
    }
}
