import Foundation
import FreshetTesting
import Testing

/// `scripts/bench-peers` (Freshet next to a plain Python consumer, issue 15) in its short
/// `--check` mode, so the script cannot rot unnoticed: 2,000 records on a private Tansu, both
/// consumers into SQLite and into a private PostgreSQL, and the script's own comparison — each
/// store holds exactly the topic's 2,000 ids, and every column (the derived ones included) is
/// the same in the Python peer's store as in Freshet's. It measures nothing: the long benchmark
/// is run by hand (docs/pipeline.md, "Side by side with a Python consumer").
@Suite("scripts/bench-peers --check")
struct BenchPeersScriptTests {
    @Test func pythonPeerAndFreshetStoreTheSameRowsInBothStores() async throws {
        let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/bench-peers")
        let result = try await runProcess(script, ["--check", "--freshet", try freshetExecutable().path], timeout: 600)
        #expect(result.status == 0, "stdout: \(result.stdoutText)\nstderr: \(result.stderr.suffix(4000))")
        let table = result.stdoutText
        #expect(table.contains("scripts/bench-peers --records 2000"), "\(table)")
        #expect(table.contains("\nSQLite "), "\(table)")
        #expect(table.contains("\nPostgreSQL "), "\(table)")
        #expect(table.contains("check: both stored every record once, with identical columns"), "\(table)")
    }
}
