import FreshetCore
import FreshetScheduler
import Testing

/// Builds a `ConfigNode` mapping from pairs, keeping their order.
private func map(_ entries: (String, ConfigNode)...) -> ConfigNode { .mapping(entries.map { ConfigEntry($0.0, $0.1) }) }
private func s(_ text: String) -> ConfigNode { .scalar(text) }

@Suite("DAG definitions from the configuration")
struct DAGDefinitionsTests {
    let builtin = DAG.userAutomation(rate: 1000)

    @Test func withoutADagsSectionTheBuiltinIsUsedAndStartsPaused() {
        let d = DAGDefinitions(builtins: [builtin], configured: nil)
        #expect(d.dags == [builtin])
        #expect(d.pausedAtCreation == ["user_automation": true])
        #expect(d.errors.isEmpty)
    }

    @Test func anOverrideKeepsTheBuiltinTasksAndChangesScheduleAndStream() throws {
        let d = DAGDefinitions(
            builtins: [builtin],
            configured: map(
                ("user_automation", map(("schedule", s("every 10s")), ("duration", s("3s")), ("rate", s("50")))),
            ))
        #expect(d.errors.isEmpty)
        let dag = try #require(d.dag("user_automation"))
        #expect(dag.schedule.trigger == .interval(.seconds(10)))
        #expect(dag.tasks.map(\.id) == builtin.tasks.map(\.id))
        #expect(dag.tasks[2].kind == .stream(duration: .seconds(3), rate: 50))
        #expect(dag.retryPolicy(for: dag.tasks[0]) == builtin.retryPolicy(for: builtin.tasks[0]))
        // Written in the file: starts unpaused unless it says otherwise.
        #expect(d.pausedAtCreation["user_automation"] == false)
    }

    @Test func aFullDAGInDeclarationOrder() throws {
        let d = DAGDefinitions(
            builtins: [builtin],
            configured: map(
                (
                    "nightly",
                    map(
                        ("schedule", s("0 2 * * *")), ("timezone", s("Europe/Berlin")), ("start_date", s("2026-03-01")),
                        ("catchup", s("true")), ("max_active_runs", s("2")), ("paused", s("yes")),
                        ("default_args", map(("retries", s("2")), ("retry_delay", s("1m")), ("exponential_backoff", s("true")), ("timeout", s("30m")))),
                        (
                            "tasks",
                            map(
                                ("check", map(("builtin", s("check_broker")))),
                                ("load", map(("stream", map(("duration", s("90s")))), ("upstream", .list([s("check")])))),
                                ("export", map(("shell", s("./export.sh --all")), ("upstream", s("check, load")), ("retries", s("0")), ("timeout", s("5m")))),
                            )
                        ),
                    )
                ),
            ))
        #expect(d.errors.isEmpty)
        #expect(d.dags.map(\.id) == ["user_automation", "nightly"])
        let dag = try #require(d.dag("nightly"))
        #expect(dag.tasks.map(\.id) == ["check", "load", "export"])
        #expect(dag.tasks[1].kind == .stream(duration: .seconds(90), rate: 1000))
        #expect(dag.tasks[2].kind == .shell(command: "./export.sh --all"))
        #expect(dag.tasks[2].upstream == ["check", "load"])
        #expect(dag.retryPolicy(for: dag.tasks[0]) == RetryPolicy(retries: 2, delay: .seconds(60), exponentialBackoff: true))
        #expect(dag.retryPolicy(for: dag.tasks[2]).retries == 0)
        #expect(dag.timeout(for: dag.tasks[0]) == .seconds(1800))
        #expect(dag.timeout(for: dag.tasks[2]) == .seconds(300))
        #expect(dag.schedule.catchup && dag.schedule.maxActiveRuns == 2)
        // 2026-03-01 midnight in Berlin (UTC+1) is 23:00 UTC the day before.
        #expect(dag.schedule.startDate == Timestamp(year: 2026, month: 2, day: 28, hour: 23))
        guard case .cron(let expr, let zone) = dag.schedule.trigger else {
            Issue.record("not a cron schedule")
            return
        }
        #expect(expr.source == "0 2 * * *" && zone.identifier == "Europe/Berlin")
        #expect(d.pausedAtCreation["nightly"] == true)
    }

    struct Broken: Sendable, CustomTestStringConvertible {
        var name: String
        var dag: ConfigNode
        var path: String
        var says: String
        var testDescription: String { name }
    }

    static let tasksOK = map(("a", map(("shell", s("true")))))
    static let broken: [Broken] = [
        Broken(name: "invalid cron", dag: map(("schedule", s("61 * * * *")), ("tasks", tasksOK)), path: "dags.bad.schedule", says: "61"),
        Broken(
            name: "unknown time zone", dag: map(("schedule", s("@daily")), ("timezone", s("Mars/Olympus")), ("tasks", tasksOK)), path: "dags.bad.timezone",
            says: "Mars/Olympus"),
        Broken(name: "missing schedule", dag: map(("tasks", tasksOK)), path: "dags.bad.schedule", says: "missing"),
        Broken(
            name: "unknown DAG key", dag: map(("schedule", s("@daily")), ("retries", s("2")), ("tasks", tasksOK)), path: "dags.bad.retries", says: "unknown key"
        ),
        Broken(
            name: "unknown task kind", dag: map(("schedule", s("@daily")), ("tasks", map(("a", map(("python", s("x.py"))))))), path: "dags.bad.tasks.a.python",
            says: "unknown key"),
        Broken(
            name: "task without kind", dag: map(("schedule", s("@daily")), ("tasks", map(("a", map(("retries", s("1"))))))), path: "dags.bad.tasks.a",
            says: "no kind"),
        Broken(
            name: "unknown builtin", dag: map(("schedule", s("@daily")), ("tasks", map(("a", map(("builtin", s("make_coffee"))))))),
            path: "dags.bad.tasks.a.builtin", says: "make_coffee"),
        Broken(
            name: "unknown upstream task", dag: map(("schedule", s("@daily")), ("tasks", map(("a", map(("shell", s("true")), ("upstream", s("nope"))))))),
            path: "dags.bad.tasks.a", says: "'nope'"),
        Broken(
            name: "cycle",
            dag: map(
                ("schedule", s("@daily")),
                (
                    "tasks",
                    map(
                        ("a", map(("shell", s("true")), ("upstream", s("b")))), ("b", map(("shell", s("true")), ("upstream", s("a")))))
                )), path: "dags.bad.tasks", says: ">>"),
        Broken(
            name: "bad duration", dag: map(("schedule", s("@daily")), ("tasks", map(("a", map(("stream", map(("duration", s("soon"))))))))),
            path: "dags.bad.tasks.a.stream.duration", says: "soon"),
        Broken(
            name: "rate without a stream task", dag: map(("schedule", s("@daily")), ("rate", s("5")), ("tasks", tasksOK)), path: "dags.bad.rate",
            says: "no stream task"),
        Broken(
            name: "zero max_active_runs", dag: map(("schedule", s("@daily")), ("max_active_runs", s("0")), ("tasks", tasksOK)),
            path: "dags.bad.max_active_runs", says: "1…64"),
        Broken(
            name: "bad start date", dag: map(("schedule", s("@daily")), ("start_date", s("2026-02-30")), ("tasks", tasksOK)), path: "dags.bad.start_date",
            says: "2026-02-30"),
    ]

    @Test(arguments: broken)
    func aBrokenDAGIsLeftOutNamingItAndTheOthersStay(_ c: Broken) {
        let d = DAGDefinitions(
            builtins: [builtin],
            configured: map(
                ("good", map(("schedule", s("every 5m")), ("tasks", Self.tasksOK))),
                ("bad", c.dag),
            ))
        #expect(d.dags.map(\.id) == ["user_automation", "good"])
        #expect(d.errors.count == 1)
        let error = d.errors.first
        #expect(error?.dagID == "bad")
        #expect(error?.path == c.path, "\(String(describing: error))")
        #expect(error?.message.contains(c.says) == true, "\(String(describing: error)) should say \(c.says)")
        #expect(d.pausedAtCreation["bad"] == nil)
    }

    @Test func aBrokenOverrideRemovesTheBuiltinRatherThanRunItUnchanged() {
        let d = DAGDefinitions(builtins: [builtin], configured: map(("user_automation", map(("schedule", s("every 0s"))))))
        #expect(d.dags.isEmpty)
        #expect(d.errors.map(\.path) == ["dags.user_automation.schedule"])
    }

    @Test func aDagsSectionThatIsNotAMappingIsAnError() {
        let d = DAGDefinitions(builtins: [builtin], configured: .list([s("x")]))
        #expect(d.dags == [builtin])
        #expect(d.errors.map(\.path) == ["dags"])
    }
}
