import Foundation
import FreshetCore
import FreshetScheduler
import FreshetSchedulerPostgres
import FreshetSchedulerSQLite
import FreshetTesting
import Testing

/// `RunHistoryContract` on every implementation.
@Suite("RunHistory contract", .postgresServer)
struct RunHistoryContractTests {
    @Test func inMemory() async throws {
        try await RunHistoryContract.all { InMemoryRunHistory() }
    }

    @Test func sqlite() async throws {
        let dir = tempDir("contract")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var opened: [SQLiteRunHistory] = []
        defer { for h in opened { h.close() } }
        try await RunHistoryContract.all {
            let h = try SQLiteRunHistory(path: dir + "/\(UUID().uuidString).sqlite")
            opened.append(h)
            return h
        }
    }

    @Test func postgres() async throws {
        var opened: [PostgresRunHistory] = []
        do {
            try await RunHistoryContract.all {
                let h = try await PostgresRunHistory.connect(url: try PostgresServerTrait.freshDatabase("contract"))
                opened.append(h)
                return h
            }
        } catch {
            for h in opened { await h.close() }
            throw error
        }
        for h in opened { await h.close() }
    }

    @Test func postgresTablesAreCreatedByTwoProcessesAtOnceAndClaimsRaceSafely() async throws {
        let url = try PostgresServerTrait.freshDatabase("race")
        async let a = PostgresRunHistory.connect(url: url)
        async let b = PostgresRunHistory.connect(url: url)
        let (ha, hb) = try await (a, b)
        let entry = DAGRunEntry(dagID: "d", runID: "scheduled__1", kind: .scheduled, state: .running, createdAt: .now())
        let until = Timestamp.now().adding(.seconds(30))
        // 20 claims of the same run at once by two owners: exactly one is granted... per owner
        // at most, and never both owners.
        let granted = try await withThrowingTaskGroup(of: String?.self) { group in
            for i in 0..<20 {
                let (h, owner) = i % 2 == 0 ? (ha, "a") : (hb, "b")
                group.addTask { try await h.claimRun(entry, owner: owner, leaseUntil: until, now: .now())?.owner }
            }
            var owners: [String] = []
            for try await o in group { if let o { owners.append(o) } }
            return owners
        }
        await ha.close()
        await hb.close()
        #expect(Set(granted).count == 1, "one owner won: \(granted)")
        #expect(granted.count >= 1 && granted.count <= 10)
    }

    @Test func aBadURLOrPasswordFailsWithoutPrintingThePassword() async throws {
        let url = try PostgresServerTrait.freshDatabase("badpw")
        let wrong = url.replacingOccurrences(of: "freshet:", with: "freshet:Sup3rSecret")
        do {
            _ = try await PostgresRunHistory.connect(url: wrong)
            Issue.record("a wrong password connected")
        } catch {
            #expect(!"\(error)".contains("Sup3rSecret"), "\(error)")
        }
    }
}
