import Foundation
import FreshetAvro
import FreshetContracts
import FreshetRegistry
import Testing

/// The users_created-value schema and evolutions of it.
enum Schemas {
    static let user = #"{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"age","type":"int"}]}"#
    /// `user` with an optional field that has a default: BACKWARD compatible.
    static let userWithNat =
        #"{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"age","type":"int"},{"name":"nat","type":["null","string"],"default":null}]}"#
    /// `user` with `age` a string: incompatible.
    static let userAgeString = #"{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"age","type":"string"}]}"#
    static let other = #"{"type":"record","name":"Other","fields":[{"name":"x","type":"long"}]}"#
}

/// Plans a registration and applies its record, as a writer does.
@discardableResult
func register(_ state: inout RegistryState, _ subject: String, _ schema: String) throws -> RegistryState.Registered {
    switch try state.planRegister(subject: subject, schema: schema) {
    case .existing(let registered): return registered
    case .write(let record):
        #expect(state.apply(record) == .applied)
        guard let registered = state.registered(record) else {
            throw SchemaRegistryError(status: 500, code: 50001, message: "not applied")
        }
        return registered
    }
}

func code(_ body: () throws -> Void) -> Int? {
    do {
        try body()
        return nil
    } catch let error as SchemaRegistryError {
        return error.code
    } catch {
        return -1
    }
}

@Suite("Registry state")
struct RegistryStateTests {
    @Test func registerAssignsIDsAndVersions() throws {
        var state = RegistryState()
        let first = try register(&state, "users_created-value", Schemas.user)
        #expect(first.id == 1 && first.version == 1)
        // The same schema again: the same id and version, nothing written.
        #expect(try state.planRegister(subject: "users_created-value", schema: Schemas.user) == .existing(first))
        // Whitespace does not make another schema.
        let spaced = Schemas.user.replacingOccurrences(of: ",", with: ", ")
        #expect(try register(&state, "users_created-value", spaced) == first)
        let second = try register(&state, "users_created-value", Schemas.userWithNat)
        #expect(second.id == 2 && second.version == 2)
        // The same schema under another subject reuses the global id, with its own versions.
        let elsewhere = try register(&state, "other-value", Schemas.user)
        #expect(elsewhere.id == 1 && elsewhere.version == 1)
        #expect(state.subjectNames() == ["other-value", "users_created-value"])
        #expect(try state.versions(of: "users_created-value") == [1, 2])
        #expect(try state.version(.latest, of: "users_created-value").id == 2)
        #expect(try state.version(.number(1), of: "users_created-value").schema == Schemas.user)
        #expect(try state.usages(of: 1).map(\.subject) == ["other-value", "users_created-value"])
        #expect(try state.lookup(spaced, under: "users_created-value").version == 1)
    }

    @Test func errors() throws {
        var state = RegistryState()
        try register(&state, "s", Schemas.user)
        #expect(code { _ = try state.versions(of: "nope") } == 40401)
        #expect(code { _ = try state.version(.number(7), of: "s") } == 40402)
        #expect(code { _ = try state.schema(id: 99) } == 40403)
        #expect(code { _ = try state.lookup(Schemas.other, under: "s") } == 40403)
        #expect(code { _ = try state.lookup(Schemas.other, under: "nope") } == 40401)
        #expect(code { _ = try state.planRegister(subject: "s", schema: "{\"type\":\"recor\"}") } == 42201)
        #expect(code { _ = try state.planRegister(subject: "s", schema: "not json") } == 42201)
        #expect(code { _ = try state.planRegister(subject: "", schema: Schemas.user) } == 42208)
        #expect(code { _ = try state.planRegister(subject: "a\u{1}b", schema: Schemas.user) } == 42208)
        #expect(code { _ = try RegistryState.VersionSpec(parsing: "0") } == 42202)
        #expect(code { _ = try RegistryState.VersionSpec(parsing: "99999999999") } == 42202)
        #expect(try RegistryState.VersionSpec(parsing: "latest") == .latest)
        #expect(try RegistryState.VersionSpec(parsing: "-1") == .latest)
    }

    @Test func compatibilityIsEnforced() throws {
        var state = RegistryState()
        try register(&state, "s", Schemas.user)
        #expect(code { _ = try state.planRegister(subject: "s", schema: Schemas.userAgeString) } == 409)
        #expect(try state.compatibilityProblems(of: Schemas.userWithNat, subject: "s", version: .latest).isEmpty)
        #expect(!(try state.compatibilityProblems(of: Schemas.userAgeString, subject: "s", version: .number(1)).isEmpty))
        #expect(code { _ = try state.compatibilityProblems(of: Schemas.user, subject: "s", version: .number(3)) } == 40402)
        #expect(code { _ = try state.compatibilityProblems(of: Schemas.user, subject: "nope", version: .number(1)) } == 40401)
        #expect(try state.compatibilityProblems(of: Schemas.user, subject: "nope", version: .latest).isEmpty)
        // NONE for the subject lets anything in; the global level stays BACKWARD.
        state.apply(.config(subject: "s", compatibility: AvroCompatibilityLevel.none))
        #expect(state.compatibility(of: "s") == .none && state.globalCompatibility == .backward)
        #expect(try register(&state, "s", Schemas.userAgeString).version == 2)
        state.apply(.config(subject: "s", compatibility: nil))
        #expect(state.compatibility(of: "s") == .backward)
        state.apply(.config(subject: nil, compatibility: .fullTransitive))
        #expect(state.compatibility(of: "t") == .fullTransitive)
    }

    @Test(
        "compatibility levels",
        arguments: [
            (AvroCompatibilityLevel.backward, Schemas.userWithNat, true), (.backward, Schemas.userAgeString, false),
            (.forward, Schemas.userWithNat, true), (.full, Schemas.userWithNat, true), (.none, Schemas.other, true),
            (.fullTransitive, Schemas.other, false),
        ])
    func levels(level: AvroCompatibilityLevel, next: String, accepted: Bool) throws {
        var state = RegistryState()
        state.apply(.config(subject: nil, compatibility: level))
        try register(&state, "s", Schemas.user)
        #expect((code { try register(&state, "s", next) } == nil) == accepted)
    }

    @Test func transitiveChecksEveryVersion() throws {
        var state = RegistryState()
        state.apply(.config(subject: "s", compatibility: AvroCompatibilityLevel.none))
        try register(&state, "s", Schemas.user)
        // v2 drops `age`; v3 adds `age` back as a string with a default: compatible with v2
        // only.
        try register(&state, "s", #"{"type":"record","name":"User","fields":[{"name":"id","type":"string"}]}"#)
        let v3 = #"{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"age","type":"string","default":""}]}"#
        state.apply(.config(subject: "s", compatibility: .backward))
        #expect(try state.compatibilityProblems(of: v3, subject: "s", version: .latest).isEmpty)
        state.apply(.config(subject: "s", compatibility: .backwardTransitive))
        #expect(!(try state.compatibilityProblems(of: v3, subject: "s", version: .latest).isEmpty))
        #expect(code { try register(&state, "s", v3) } == 409)
    }

    @Test func softThenHardDelete() throws {
        var state = RegistryState()
        try register(&state, "s", Schemas.user)
        try register(&state, "s", Schemas.userWithNat)
        // Hard before soft: refused.
        #expect(code { _ = try state.planDeleteVersion(.number(1), of: "s", permanent: true) } == 40407)
        #expect(code { _ = try state.planDeleteSubject("s", permanent: true) } == 40405)
        let (soft, version) = try state.planDeleteVersion(.number(1), of: "s", permanent: false)
        #expect(version == 1)
        #expect(state.apply(soft) == .applied)
        #expect(state.apply(soft) != .applied)  // idempotent
        #expect(try state.versions(of: "s") == [2])
        #expect(try state.versions(of: "s", deleted: true) == [1, 2])
        #expect(code { _ = try state.version(.number(1), of: "s") } == 40402)
        #expect(try state.version(.number(1), of: "s", deleted: true).deleted)
        #expect(code { _ = try state.planDeleteVersion(.number(1), of: "s", permanent: false) } == 40406)
        let (hard, _) = try state.planDeleteVersion(.number(1), of: "s", permanent: true)
        #expect(state.apply(hard) == .applied)
        #expect(try state.versions(of: "s", deleted: true) == [2])
        // The schema stays readable by id: messages written with it may still be in topics.
        #expect(try state.schema(id: 1).text == Schemas.user)

        let (softSubject, deleted) = try state.planDeleteSubject("s", permanent: false)
        #expect(deleted == [2])
        state.apply(softSubject)
        #expect(state.subjectNames().isEmpty && state.subjectNames(deleted: true) == ["s"])
        #expect(code { _ = try state.versions(of: "s") } == 40401)
        #expect(code { _ = try state.planDeleteSubject("s", permanent: false) } == 40404)
        let (hardSubject, hardDeleted) = try state.planDeleteSubject("s", permanent: true)
        #expect(hardDeleted == [2])
        state.apply(hardSubject)
        #expect(state.subjectNames(deleted: true).isEmpty)
        #expect(code { _ = try state.planDeleteSubject("s", permanent: false) } == 40401)
        // Registered again: the same id, versions from 1.
        let again = try register(&state, "s", Schemas.user)
        #expect(again.id == 1 && again.version == 1)
    }

    @Test func applyRulesSettleRaces() {
        var state = RegistryState()
        // Two writers planned id 1 for different schemas under different subjects: the first wins.
        #expect(state.apply(.schema(subject: "a", version: 1, id: 1, schema: Schemas.user)) == .applied)
        #expect(state.apply(.schema(subject: "b", version: 1, id: 1, schema: Schemas.other)) != .applied)
        // Two writers planned new ids for the same schema: the schema keeps its first id.
        #expect(state.apply(.schema(subject: "b", version: 1, id: 2, schema: Schemas.user)) != .applied)
        // Two writers planned version 2 of one subject: the second is ignored.
        #expect(state.apply(.schema(subject: "a", version: 2, id: 2, schema: Schemas.userWithNat)) == .applied)
        #expect(state.apply(.schema(subject: "a", version: 2, id: 3, schema: Schemas.other)) != .applied)
        // Versions skip nothing; a schema that does not parse is never stored.
        #expect(state.apply(.schema(subject: "c", version: 2, id: 3, schema: Schemas.other)) != .applied)
        #expect(state.apply(.schema(subject: "c", version: 1, id: 3, schema: "{\"type\":\"nope\"}")) != .applied)
        // Two writers planned id 3 and version 1 of "d" for different schemas: only the first
        // is registered, and the second writer sees that its schema is not.
        let first = RegistryRecord.schema(subject: "d", version: 1, id: 3, schema: Schemas.other)
        let second = RegistryRecord.schema(subject: "d", version: 1, id: 3, schema: Schemas.userAgeString)
        state.apply(first)
        state.apply(second)
        #expect(state.registered(first) != nil && state.registered(second) == nil)
        // Repeats change nothing.
        #expect(state.apply(.schema(subject: "a", version: 1, id: 1, schema: Schemas.user)) != .applied)
        #expect(state.subjectNames() == ["a", "d"])
        #expect(state.schemas.count == 3 && state.maxID == 3)
    }

    @Test func replayGivesTheSameState() throws {
        var writer = RegistryState()
        var log: [RegistryRecord] = []
        func write(_ record: RegistryRecord) {
            log.append(record)
            writer.apply(record)
        }
        for (subject, schema) in [("a", Schemas.user), ("b", Schemas.other), ("a", Schemas.userWithNat), ("c", Schemas.user)] {
            if case .write(let record) = try writer.planRegister(subject: subject, schema: schema) { write(record) }
        }
        write(try writer.planDeleteVersion(.number(1), of: "a", permanent: false).0)
        write(.config(subject: "b", compatibility: .full))
        // Records written twice (a retried produce) change nothing.
        var replayed = RegistryState()
        for record in log + log { replayed.apply(try RegistryRecord.decode(record.encoded())) }
        #expect(replayed.subjects == writer.subjects)
        #expect(replayed.schemas.mapValues(\.text) == writer.schemas.mapValues(\.text))
        #expect(replayed.subjectCompatibility == writer.subjectCompatibility)
    }

    @Test func limits() throws {
        var state = RegistryState(limits: RegistryLimits(maxSchemaBytes: 200, maxSubjects: 2, maxVersionsPerSubject: 2, maxSchemas: 3))
        state.apply(.config(subject: nil, compatibility: AvroCompatibilityLevel.none))
        try register(&state, "a", Schemas.user)
        try register(&state, "a", Schemas.other)
        #expect(code { try register(&state, "a", Schemas.userWithNat) } == 42205)
        try register(&state, "b", Schemas.userAgeString)
        #expect(code { try register(&state, "c", Schemas.user) } == 42205)
        #expect(code { try register(&state, "b", #"{"type":"fixed","name":"F","size":4}"#) } == 42205)
        let big = #"{"type":"record","name":"R","doc":""# + String(repeating: "x", count: 300) + #"","fields":[]}"#
        #expect(code { try register(&state, "b", big) } == 42209)
        // Written by a process with larger limits: read and applied all the same, so that both agree.
        let record = RegistryRecord.schema(subject: "big", version: 1, id: 9, schema: big)
        #expect(state.apply(try RegistryRecord.decode(record.encoded(), limits: state.limits.reading)) == .applied)
        #expect(try state.schema(id: 9).text == big)
    }
}

@Suite("Registry records")
struct RegistryRecordTests {
    @Test(
        "round trips",
        arguments: [
            RegistryRecord.schema(subject: "users_created-value", version: 3, id: 7, schema: Schemas.user),
            .deleteVersion(subject: "s", version: 2, permanent: true), .deleteSubject(subject: "s", permanent: false),
            .config(subject: nil, compatibility: .full), .config(subject: "s", compatibility: nil),
        ])
    func roundTrip(record: RegistryRecord) throws {
        #expect(try RegistryRecord.decode(record.encoded()) == record)
    }

    @Test(
        "bad records name the field",
        arguments: [
            ("", "record"), ("[]", "record"), ("{}", "type"), (#"{"type":"X"}"#, "type"),
            (#"{"type":"SCHEMA","subject":"s","version":0,"id":1,"schema":"\"int\""}"#, "version"),
            (#"{"type":"SCHEMA","subject":"s","version":1,"id":4294967296,"schema":"\"int\""}"#, "id"),
            (#"{"type":"SCHEMA","subject":"s","version":1.5,"id":1,"schema":"\"int\""}"#, "version"),
            (#"{"type":"SCHEMA","subject":"","version":1,"id":1,"schema":"\"int\""}"#, "subject"),
            (#"{"type":"SCHEMA","subject":"s","version":1,"id":1}"#, "schema"),
            (#"{"type":"DELETE_SUBJECT","subject":"s","permanent":"yes"}"#, "permanent"),
            (#"{"type":"CONFIG","subject":null,"compatibility":"SOMETIMES"}"#, "compatibility"),
        ])
    func bad(json: String, field: String) {
        #expect(throws: RegistryRecordError.self) { try RegistryRecord.decode(Array(json.utf8)) }
        do {
            _ = try RegistryRecord.decode(Array(json.utf8))
        } catch {
            #expect(error.field == field)
        }
    }

    @Test func tooLarge() {
        let limits = RegistryLimits(maxSchemaBytes: 10)
        let bytes = [UInt8](repeating: 0x20, count: limits.maxRecordBytes + 1)
        #expect(throws: RegistryRecordError.self) { try RegistryRecord.decode(bytes, limits: limits) }
    }
}
