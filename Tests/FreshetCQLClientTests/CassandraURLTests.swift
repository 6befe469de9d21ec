import FreshetCQL
import FreshetCQLClient
import FreshetCassandra
import Testing

@Suite("cassandra:// URLs")
struct CassandraURLTests {
    @Test func defaults() throws {
        let c = try CassandraSinkConfiguration(url: "cassandra://localhost")
        #expect(c.contactPoints == [CQLContactPoint(host: "localhost", port: 9042)])
        #expect(c.credentials == nil)
        #expect(c.keyspace == "spark_streams")
        #expect(c.consistency == .localQuorum)
        #expect(c.replicationFactor == 1)
        #expect(c.connectionsPerHost == 2)
        #expect(c.maximumConcurrentWrites == 256)
        #expect(c.tls == false)
    }

    @Test func everything() throws {
        let c = try CassandraSinkConfiguration(
            url:
                "cassandra://app:p%40ss%3Aword@db1:9142,db2,[::1]:9043/?keyspace=Users_2&consistency=local_one&replication_factor=3&connections=4&concurrency=64&local_dc=eu-west&request_timeout=30&tls=true"
        )
        #expect(
            c.contactPoints == [
                CQLContactPoint(host: "db1", port: 9142), CQLContactPoint(host: "db2", port: 9042), CQLContactPoint(host: "::1", port: 9043),
            ])
        #expect(c.credentials == CQLCredentials(username: "app", password: "p@ss:word"))
        #expect(c.keyspace == "users_2")
        #expect(c.consistency == .localOne)
        #expect(c.replicationFactor == 3)
        #expect(c.connectionsPerHost == 4)
        #expect(c.maximumConcurrentWrites == 64)
        #expect(c.localDataCenter == "eu-west")
        #expect(c.requestTimeoutSeconds == 30)
        #expect(c.tls)
    }

    /// (URL, the part the error must name)
    static let bad: [(String, String)] = [
        ("cassandra://h?keyspce=x", "keyspce"),
        ("cassandra://h?keyspace=drop%20table", "keyspace"),
        ("cassandra://h?keyspace=1abc", "keyspace"),
        ("cassandra://h?consistency=SERIALISH", "consistency"),
        ("cassandra://h?replication_factor=0", "replication_factor"),
        ("cassandra://h?connections=many", "connections"),
        ("cassandra://h?concurrency=0", "concurrency"),
        ("cassandra://h?tls=maybe", "tls"),
        ("cassandra://h?local_dc=", "local_dc"),
        ("cassandra://h?request_timeout=-1", "request_timeout"),
        ("cassandra://h?keyspace=a&keyspace=b", "keyspace"),
        ("cassandra://h:99999", "host"),
        ("cassandra://h:", "host"),
        ("cassandra://a,,b", "host"),
        ("cassandra://", "host"),
        ("cassandra://[::1", "host"),
        ("cassandra://user@h", "password"),
        ("cassandra://:pw@h", "user"),
        ("cassandra://u:%zz@h", "password"),
        ("cassandra://h/spark_streams", "path"),
    ]

    @Test(arguments: bad)
    func badURLsNameWhatIsWrong(url: String, part: String) {
        #expect {
            _ = try CassandraSinkConfiguration(url: url)
        } throws: { error in
            guard let error = error as? CassandraSinkError else { return false }
            return error.code == .invalidURL && error.parameter == part && error.message.contains(part == "path" ? "path" : "")
        }
    }

    @Test func unknownParametersListTheKnownOnes() {
        do {
            _ = try CassandraSinkConfiguration(url: "cassandra://h?keyspce=x")
            Issue.record("accepted an unknown parameter")
        } catch {
            #expect(error.message.contains("unknown parameter keyspce"))
            #expect(error.message.contains("keyspace, replication_factor, consistency"))
        }
    }

    @Test func notACassandraURL() {
        #expect(throws: CassandraSinkError.self) { try CassandraSinkConfiguration(url: "sqlite:///x") }
    }
}
