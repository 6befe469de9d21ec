import FreshetAvro
import FreshetRegistry

extension FuzzTargets {
    /// FreshetRegistry's parsers: `_schemas` records (anyone who can write the topic writes
    /// them) applied to a state, and schemas registered through the state's checks.
    static let registry: [FuzzTarget] = [
        FuzzTarget(
            "registry-record",
            "lines of RegistryRecord.decode (a _schemas message value each); a decoded record re-encodes to one that decodes equal; applying them is deterministic and a record repeated at once changes nothing",
            maxLength: 16 * 1024
        ) { bytes in
            let limits = RegistryLimits(maxSchemaBytes: 8 * 1024)
            var records: [RegistryRecord] = []
            for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
                guard let record = try? RegistryRecord.decode(Array(line), limits: limits) else { continue }
                let again = try? RegistryRecord.decode(record.encoded(), limits: limits)
                FuzzCheck.expect(again == record, "\(record) does not round-trip")
                records.append(record)
            }
            // The log is applied once, in order, by every process: the same records give the same
            // state (determinism), and a record repeated at once (a retried append) changes
            // nothing. (Applying the whole log a second time is not a no-op: after a hard delete,
            // a subject's versions start again from 1, as in Confluent's registry.)
            var once = RegistryState(limits: limits)
            var repeated = RegistryState(limits: limits)
            for record in records {
                once.apply(record)
                repeated.apply(record)
                repeated.apply(record)
            }
            var again = RegistryState(limits: limits)
            for record in records { again.apply(record) }
            FuzzCheck.expect(once.subjects == repeated.subjects, "a record applied twice in a row changed the subjects")
            FuzzCheck.expect(once.schemas.mapValues(\.text) == repeated.schemas.mapValues(\.text), "a record applied twice in a row changed the schemas")
            FuzzCheck.expect(once.subjects == again.subjects, "the same records gave other subjects")
            FuzzCheck.expect(once.schemas.mapValues(\.text) == again.schemas.mapValues(\.text), "the same records gave other schemas")
            // One id per schema text.
            let texts = once.schemas.values.map(\.text)
            FuzzCheck.expect(Set(texts).count == texts.count, "a schema has two ids")
        },
        FuzzTarget(
            "registry-register",
            "byte 0 picks a compatibility level; the rest is a schema registered under a subject twice (the same id) and looked up, after a users_created-like version 1",
            maxLength: 16 * 1024
        ) { bytes in
            var input = FuzzInput(bytes)
            let levels = AvroCompatibilityLevel.allCases
            let level = levels[Int(input.byte()) % levels.count]
            var state = RegistryState(limits: RegistryLimits(maxSchemaBytes: 16 * 1024))
            state.apply(.config(subject: nil, compatibility: level))
            let base = #"{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"nat","type":["null","string"],"default":null}]}"#
            guard case .write(let first)? = try? state.planRegister(subject: "s", schema: base) else {
                FuzzCheck.expect(false, "the base schema does not register")
                return
            }
            state.apply(first)
            let schema = String(decoding: input.rest(), as: UTF8.self)
            _ = try? state.compatibilityProblems(of: schema, subject: "s", version: .latest)
            guard let plan = try? state.planRegister(subject: "s", schema: schema) else { return }
            switch plan {
            case .existing(let registered):
                FuzzCheck.expect(registered.version == 1, "an existing schema that is not version 1")
            case .write(let record):
                state.apply(record)
                let registered = state.registered(record)
                FuzzCheck.expect(registered != nil, "a planned registration was not applied: \(record)")
                FuzzCheck.expect(
                    (try? state.planRegister(subject: "s", schema: schema)) == .existing(registered!), "registering again is not the same version")
                FuzzCheck.expect((try? state.lookup(schema, under: "s"))?.id == registered?.id, "lookup does not find the registered schema")
            }
        },
    ]
}
