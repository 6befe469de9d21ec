import Foundation
import FreshetTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The base URL a running `freshet up` printed ("web UI listening on http://127.0.0.1:PORT/ …").
func webURL(_ up: RunningFreshet) throws -> String {
    try #require(up.readyLine.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
}

@Suite("Web UI of a running freshet up", .serialized)
struct WebE2ETests {
    @Test func dashboardInHeadlessChromium() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let up = try await RunningFreshet(["up", "--no-cql", "--rate", "300", "--web-port", "0", "--data-dir", dir], readyMarker: "web UI listening on")
        defer { up.sendTerminate() }
        let base = try webURL(up)
        try await Task.sleep(for: .seconds(2))

        // Loads with all panels, then the total grows without a reload (live updates).
        let dashboard = try await browse(
            base, until: "+document.body.dataset.updates >= 3 && +document.body.dataset.total > +document.body.dataset.firstTotal",
            screenshot: "dashboard.png")
        #expect(dashboard.status == 0, "the dashboard did not update live: \(dashboard.stderr)")
        for panel in ["total", "gender", "countries", "recent", "monthly", "domains", "ingest"] {
            let values = htmlAttributes(dashboard.dom, marker: "data-panel=\"\(panel)\"", "data-value")
            #expect(values.count == 1, "panel \(panel)")
            #expect((Double(values.first ?? "") ?? 0) > 0, "panel \(panel) shows no data")
        }
        let png = Fixtures.repositoryRoot.appendingPathComponent("artifacts/dashboard.png").path
        let size = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
        #expect(size > 20_000, "screenshot \(png) is missing or empty")

        // The topics page lists users_created with its partitions.
        let topics = try await browse(
            base + "topics", until: "document.querySelectorAll('[data-topic=\"users_created\"]').length >= 3", screenshot: "topics.png")
        #expect(topics.status == 0, "\(topics.stderr)")
        #expect(Set(htmlAttributes(topics.dom, marker: "data-topic=\"users_created\"", "data-partition")) == ["0", "1", "2"])

        // The pipeline page shows live numbers.
        let pipeline = try await browse(base + "pipeline", until: "+document.body.dataset.updates >= 2", screenshot: "pipeline.png")
        #expect(pipeline.status == 0, "\(pipeline.stderr)")
        #expect((Double(htmlAttributes(pipeline.dom, marker: "data-panel=\"latency\"", "data-value").first ?? "") ?? 0) > 0)
    }

    @Test func serveIsReadOnlyOverAnExistingDataDirectory() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try await runFreshet(["up", "--no-cql", "--count", "500", "--rate", "100000", "--no-web", "--data-dir", dir])
        #expect(run.status == 0, "\(run.stderr)")
        let serve = try await RunningFreshet(["serve", "--no-cql", "--web-port", "0", "--data-dir", dir], readyMarker: "web UI listening on")
        defer { serve.sendTerminate() }
        let base = try webURL(serve)
        let (body, _) = try await URLSession.shared.data(from: URL(string: base + "api/stats")!)
        let stats = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(stats["mode"] as? String == "serve")
        #expect(stats["pipeline"] is NSNull)
        #expect((stats["users"] as? [String: Any])?["total"] as? Int == 500)
        let (topicsBody, _) = try await URLSession.shared.data(from: URL(string: base + "api/topics")!)
        let topics = try #require(try JSONSerialization.jsonObject(with: topicsBody) as? [[String: Any]])
        let partitions = try #require(topics.first { $0["name"] as? String == "users_created" }?["partitions"] as? [[String: Any]])
        #expect(partitions.compactMap { $0["latest"] as? Int }.reduce(0, +) == 500)
        // Serving did not take the data directory: a pipeline can run on it at the same time.
        let more = try await runFreshet(["up", "--no-cql", "--count", "100", "--rate", "100000", "--no-web", "--seed", "more", "--data-dir", dir])
        #expect(more.status == 0, "\(more.stderr)")
        try await Task.sleep(for: .milliseconds(600))  // past the stats cache
        let (again, _) = try await URLSession.shared.data(from: URL(string: base + "api/stats")!)
        let after = try #require(try JSONSerialization.jsonObject(with: again) as? [String: Any])
        #expect((after["users"] as? [String: Any])?["total"] as? Int == 600)
    }

    @Test func aBusyWebPortIsAClearErrorNotASilentGap() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let occupant = try await RunningFreshet(["api", "serve", "--port", "0"], readyMarker: "listening on")
        defer { occupant.sendTerminate() }
        let port = try #require(try webURL(occupant).split(separator: ":").last?.split(separator: "/").first.map(String.init))
        let result = try await runFreshet(["up", "--no-cql", "--count", "100000", "--rate", "100", "--web-port", port, "--data-dir", dir], timeout: 60)
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: web UI cannot listen on 127.0.0.1:\(port) (use --web-port, or --no-web)"), "\(result.stderr)")
    }

    @Test func metricsAreValidPrometheusExposition() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let up = try await RunningFreshet(["up", "--no-cql", "--rate", "500", "--web-port", "0", "--data-dir", dir], readyMarker: "web UI listening on")
        defer { up.sendTerminate() }
        let base = try webURL(up)
        try await Task.sleep(for: .seconds(2))
        let (body, _) = try await URLSession.shared.data(from: URL(string: base + "metrics")!)

        // The reference parser of the Prometheus text format.
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            families = {}
            for f in text_string_to_metric_families(sys.stdin.read()):
                families[f.name] = {"type": f.type, "samples": [[s.name, s.labels, s.value] for s in f.samples]}
            print(json.dumps(families))
            """
        let parsed = try await runTool("python3", ["-c", script], stdin: body)
        #expect(parsed.status == 0, "the exposition did not parse: \(parsed.stderr)")
        let families = try #require(try JSONSerialization.jsonObject(with: parsed.stdout) as? [String: [String: Any]])
        let expected: [String: String] = [
            "freshet_log_records_produced": "counter", "freshet_store_rows_written": "counter",
            "freshet_processor_records_consumed": "counter", "freshet_source_people": "counter",
            "freshet_dead_letters": "counter", "freshet_source_errors": "counter",
            "freshet_end_to_end_latency_seconds": "histogram", "freshet_store_write_duration_seconds": "histogram",
            "freshet_log_produce_duration_seconds": "histogram",
        ]
        for (name, type) in expected {
            #expect(families[name]?["type"] as? String == type, "\(name) should be a \(type)")
        }
        let produced = (families["freshet_log_records_produced"]?["samples"] as? [[Any]])?.first?[2] as? Double ?? 0
        #expect(produced > 0)
    }
}
