import FreshetCore
import FreshetScheduler
import Testing

let manualSchedule = Schedule(.manual, startDate: Timestamp(year: 2026, month: 1, day: 1))

func shell(_ id: String, _ upstream: [String] = [], retries: Int? = nil) -> DAGTask {
    DAGTask(id, .shell(command: "true"), upstream: upstream, retries: retries)
}

@Suite struct DAGValidationTests {
    struct Invalid: Sendable, CustomTestStringConvertible {
        var name: String
        var tasks: [DAGTask]
        var code: SchedulerError.Code
        var named: [String]
        var testDescription: String { name }
    }

    static let invalid: [Invalid] = [
        Invalid(name: "empty DAG", tasks: [], code: .emptyDAG, named: ["d"]),
        Invalid(name: "duplicate id", tasks: [shell("a"), shell("b"), shell("a")], code: .duplicateTask, named: ["'a'"]),
        Invalid(name: "unknown upstream", tasks: [shell("a"), shell("b", ["nope"])], code: .unknownUpstream, named: ["'b'", "'nope'"]),
        Invalid(name: "three-task cycle", tasks: [shell("a", ["c"]), shell("b", ["a"]), shell("c", ["b"])], code: .cycle, named: ["b >> c >> a >> b"]),
        Invalid(name: "self loop", tasks: [shell("a", ["a"])], code: .cycle, named: ["a >> a"]),
        Invalid(
            name: "cycle behind a clean prefix", tasks: [shell("root"), shell("x", ["root", "y"]), shell("y", ["x"]), shell("z", ["y"])], code: .cycle,
            named: ["y >> x >> y"]),
        Invalid(name: "negative retries", tasks: [shell("a", retries: -1)], code: .invalidTask, named: ["'a'"]),
    ]

    @Test(arguments: invalid)
    func rejected(_ c: Invalid) {
        do {
            _ = try DAG(id: "d", schedule: manualSchedule, tasks: c.tasks)
            Issue.record("accepted an invalid DAG")
        } catch {
            #expect(error.code == c.code)
            for n in c.named { #expect(error.message.contains(n), "\(error.message) should name \(n)") }
        }
    }

    @Test func cycleErrorListsTheCycleTasks() {
        do {
            _ = try DAG(id: "d", schedule: manualSchedule, tasks: [shell("ok"), shell("a", ["c"]), shell("b", ["a"]), shell("c", ["b"])])
            Issue.record("accepted a cycle")
        } catch {
            #expect(error.tasks == ["b", "c", "a", "b"])
        }
    }

    @Test func diamondIsValid() throws {
        let dag = try DAG(id: "d", schedule: manualSchedule, tasks: [shell("a"), shell("b", ["a"]), shell("c", ["a"]), shell("d", ["b", "c"])])
        #expect(dag.downstream(of: "a") == ["b", "c"])
    }

    @Test func userAutomationMatchesTheAirflowDAG() throws {
        let dag = DAG.userAutomation()
        #expect(dag.id == "user_automation")
        #expect(dag.tasks.map(\.id) == ["test_kafka_connection", "create_kafka_topic", "stream_data_from_api"])
        #expect(dag.tasks.map(\.upstream) == [[], ["test_kafka_connection"], ["create_kafka_topic"]])
        #expect(dag.tasks[2].kind == .stream(duration: .seconds(60), rate: nil))
        #expect(dag.schedule.trigger == .cron(try CronExpression("@daily"), .utc))
        #expect(dag.schedule.catchup == false)
        for t in dag.tasks {
            #expect(dag.retryPolicy(for: t) == RetryPolicy(retries: 2, delay: .seconds(60)))
        }
    }

    @Test func taskSettingsOverrideDefaultArgs() throws {
        let dag = try DAG(
            id: "d", schedule: manualSchedule,
            tasks: [DAGTask("a", .shell(command: "x"), retries: 5, exponentialBackoff: true, timeout: .seconds(9)), shell("b")],
            defaultArgs: DefaultArgs(retryPolicy: RetryPolicy(retries: 1, delay: .seconds(10)), timeout: .seconds(30))
        )
        #expect(dag.retryPolicy(for: dag.tasks[0]) == RetryPolicy(retries: 5, delay: .seconds(10), exponentialBackoff: true))
        #expect(dag.retryPolicy(for: dag.tasks[1]) == RetryPolicy(retries: 1, delay: .seconds(10)))
        #expect(dag.timeout(for: dag.tasks[0]) == .seconds(9))
        #expect(dag.timeout(for: dag.tasks[1]) == .seconds(30))
    }
}

@Suite struct RetryPolicyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var policy: RetryPolicy
        var retry: Int
        var expected: Duration
        var testDescription: String { "\(policy) retry \(retry) → \(expected)" }
    }

    static let fixed = RetryPolicy(retries: 3, delay: .seconds(60))
    static let exponential = RetryPolicy(retries: 5, delay: .seconds(60), exponentialBackoff: true)
    static let capped = RetryPolicy(retries: 5, delay: .seconds(60), exponentialBackoff: true, maxDelay: .seconds(200))

    static let cases: [Case] = [
        Case(policy: fixed, retry: 1, expected: .seconds(60)),
        Case(policy: fixed, retry: 3, expected: .seconds(60)),
        Case(policy: exponential, retry: 1, expected: .seconds(60)),
        Case(policy: exponential, retry: 2, expected: .seconds(120)),
        Case(policy: exponential, retry: 3, expected: .seconds(240)),
        Case(policy: exponential, retry: 5, expected: .seconds(960)),
        Case(policy: capped, retry: 2, expected: .seconds(120)),
        Case(policy: capped, retry: 3, expected: .seconds(200)),
        Case(policy: capped, retry: 60, expected: .seconds(200)),
        Case(policy: exponential, retry: 200, expected: .seconds(86_400)),
        Case(policy: RetryPolicy(delay: .seconds(100_000)), retry: 1, expected: .seconds(86_400)),
    ]

    @Test(arguments: cases)
    func delay(_ c: Case) {
        #expect(c.policy.delay(beforeRetry: c.retry) == c.expected)
    }
}
