import FreshetCore
import Testing

@Suite("Redaction of credentials in URLs")
struct RedactionTests {
    @Test(
        "user-info passwords and secret query parameters are hidden, the rest kept",
        arguments: [
            ("https://randomuser.me/api/", "https://randomuser.me/api/"),
            ("https://ann:s3cret@example.com/api/?results=5", "https://ann:***@example.com/api/?results=5"),
            ("kafka://app:p%40ss@k1:9092,k2:9092?sasl=scram-sha-256&tls=true", "kafka://app:***@k1:9092,k2:9092?sasl=scram-sha-256&tls=true"),
            ("kafka://k1:9092?sasl_password=hunter2&sasl_username=app", "kafka://k1:9092?sasl_password=***&sasl_username=app"),
            ("postgres://u@db/x?sslpassword=abc&sslmode=require", "postgres://u:***@db/x?sslpassword=***&sslmode=require"),
            ("http://h/p?token=t0k&a=1#frag", "http://h/p?token=***&a=1#frag"),
            ("cassandra://h:9042?keyspace=spark_streams&password=pw", "cassandra://h:9042?keyspace=spark_streams&password=***"),
            ("not a url", "not a url"),
        ])
    func redacts(input: String, expected: String) {
        #expect(redact(input) == expected)
    }

    @Test("no secret survives in the redacted text")
    func noSecretSurvives() {
        let secrets = ["s3cret", "hunter2", "t0k"]
        let text = redact("kafka://u:s3cret@h:1?sasl_password=hunter2&Token=t0k")
        for secret in secrets { #expect(!text.contains(secret), "\(secret) in \(text)") }
    }
}

@Suite("Percent-decoding of URL parts")
struct PercentDecodingTests {
    @Test(
        "decodes %XX, keeps the rest, refuses malformed escapes and non-UTF-8",
        arguments: [
            ("plain", "plain"), ("p%40ss%3Aword", "p@ss:word"), ("%C3%BCber", "über"), ("%2f%2F", "//"), ("", ""),
        ])
    func decodes(input: String, expected: String) {
        #expect(percentDecoded(input) == expected)
    }

    @Test(arguments: ["%", "%4", "%zz", "a%g1", "%FF"])
    func refuses(input: String) {
        #expect(percentDecoded(input) == nil)
    }
}
