import FreshetCore

/// The offline stand-in for randomuser.me: seeded and deterministic — the same seed,
/// page, index and reference date always give the same person — with each nationality's
/// real shapes (postcode type and format, phone formats, titles, identifiers).
///
/// Ages (`dob.age`, `registered.age`) are computed against `referenceDate`, as the
/// real API computes them against the day it answers.
public struct RandomUserGenerator: Sendable {
    /// A class: the hot path takes one reference per person, not a copy of every table.
    final class Prepared: Sendable {
        let nat: Nationality
        let country: String
        let format: NationalityFormat
        /// Display name and its e-mail form, precomputed so the hot path only concatenates.
        let maleFirst: [(name: String, email: String)]
        let femaleFirst: [(name: String, email: String)]
        let last: [(name: String, email: String, initial: UInt8)]
        let streets: [String]
        let cities: [String]
        let states: [String]

        init(
            nat: Nationality, country: String, format: NationalityFormat, maleFirst: [(name: String, email: String)],
            femaleFirst: [(name: String, email: String)], last: [(name: String, email: String, initial: UInt8)], streets: [String],
            cities: [String], states: [String]
        ) {
            self.nat = nat
            self.country = country
            self.format = format
            self.maleFirst = maleFirst
            self.femaleFirst = femaleFirst
            self.last = last
            self.streets = streets
            self.cities = cities
            self.states = states
        }
    }

    let prepared: [Prepared]
    public let referenceDate: Timestamp
    let referenceParts: Timestamp.Components
    /// Picture URLs (large, medium, thumbnail) for men/0…99 and women/0…99.
    let pictures: [RandomUser.Picture]
    /// Every adjective+animal username stem.
    let usernameStems: [String]

    static let dobRange = Timestamp(year: 1944, month: 1, day: 1).millisecondsSinceEpoch...(Timestamp(year: 2002, month: 1, day: 1).millisecondsSinceEpoch - 1)
    static let registeredRange =
        Timestamp(year: 2002, month: 1, day: 1).millisecondsSinceEpoch...(Timestamp(year: 2023, month: 1, day: 1).millisecondsSinceEpoch - 1)

    public init(referenceDate: Timestamp) {
        self.referenceDate = referenceDate
        referenceParts = referenceDate.components
        pictures = ["men/", "women/"].flatMap { folder in
            (0..<100).map { n in
                RandomUser.Picture(
                    large: "https://randomuser.me/api/portraits/\(folder)\(n).jpg",
                    medium: "https://randomuser.me/api/portraits/med/\(folder)\(n).jpg",
                    thumbnail: "https://randomuser.me/api/portraits/thumb/\(folder)\(n).jpg"
                )
            }
        }
        usernameStems = SharedTables.usernameAdjectives.flatMap { adjective in SharedTables.usernameAnimals.map { adjective + $0 } }
        var byCode: [String: NationalityTable] = [:]
        for table in NationalityTables.all { byCode[table.code] = table }
        prepared = Nationality.allCases.map { nat in
            let table = byCode[nat.rawValue]!
            func withEmail(_ names: [String]) -> [(name: String, email: String)] {
                names.map { ($0, Transliteration.emailLocalPart($0)) }
            }
            return Prepared(
                nat: nat,
                country: table.country,
                format: NationalityFormat.of(nat),
                maleFirst: withEmail(table.maleFirst),
                femaleFirst: withEmail(table.femaleFirst),
                last: table.last.map { name in
                    let email = Transliteration.emailLocalPart(name)
                    return (name, email, email.utf8.first.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 32 : $0 } ?? UInt8(ascii: "X"))
                },
                streets: table.streets,
                cities: table.cities,
                states: table.states
            )
        }
    }

    /// A fresh random seed in the API's style: 16 hex digits.
    public static func randomSeed() -> String {
        var g = SystemRandomNumberGenerator()
        let value = g.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// One page of people, as `GET /api/?seed=…&page=…&results=…` returns it.
    /// `gender` ("male"/"female") restricts the gender; nil mixes both.
    public func page(seed: String, page: Int, results: Int, nationalities: [Nationality] = Nationality.allCases, gender: String? = nil) -> [RandomUser] {
        let seedHash = SplitMix64.hash(seed)
        var people: [RandomUser] = []
        people.reserveCapacity(results)
        for index in 0..<results {
            people.append(person(seedHash: seedHash, page: page, index: index, nationalities: nationalities, gender: gender))
        }
        return people
    }

    /// The person at `index` of `page` for a seed (see `SplitMix64.hash`).
    public func person(seedHash: UInt64, page: Int, index: Int, nationalities: [Nationality] = Nationality.allCases, gender: String? = nil) -> RandomUser {
        var rng = SplitMix64(seed: SplitMix64.mix(seedHash, UInt64(truncatingIfNeeded: page), UInt64(truncatingIfNeeded: index)))
        let nats = nationalities.isEmpty ? Nationality.allCases : nationalities
        let nat = nats[rng.below(nats.count)]
        // A scan of 21 enum cases is cheaper than hashing one for a dictionary lookup.
        let p = prepared[prepared.firstIndex { $0.nat == nat }!]
        let male = gender.map { $0 == "male" } ?? (rng.next() & 1 == 0)

        let first = male ? p.maleFirst[rng.below(p.maleFirst.count)] : p.femaleFirst[rng.below(p.femaleFirst.count)]
        let last = p.last[rng.below(p.last.count)]
        let title = male ? p.format.maleTitles[rng.below(p.format.maleTitles.count)] : p.format.femaleTitles[rng.below(p.format.femaleTitles.count)]

        let dob = Timestamp(millisecondsSinceEpoch: Self.dobRange.lowerBound + Int64(rng.below(Int(Self.dobRange.upperBound - Self.dobRange.lowerBound + 1))))
        let registered = Timestamp(
            millisecondsSinceEpoch: Self.registeredRange.lowerBound
                + Int64(rng.below(Int(Self.registeredRange.upperBound - Self.registeredRange.lowerBound + 1))))
        let dobParts = dob.components
        let registeredParts = registered.components
        let context = Pattern.Context(dob: dobParts, male: male, lastInitial: last.initial)

        let postcode: RandomUser.Postcode
        switch p.format.postcode {
        case .number(let range): postcode = .number(rng.inRange(range))
        case .string(let patterns): postcode = .string(patterns[rng.below(patterns.count)].render(&rng, context))
        }
        let timezone = SharedTables.timezones[rng.below(SharedTables.timezones.count)]
        let stem = usernameStems[rng.below(usernameStems.count)]
        let suffix = rng.inRange(100...999)
        let username = String(unsafeUninitializedCapacity: stem.utf8.count + 3) { buffer in
            var i = 0
            copyUTF8(stem, into: buffer, at: &i)
            buffer[i] = UInt8(suffix / 100) + 0x30
            buffer[i + 1] = UInt8(suffix / 10 % 10) + 0x30
            buffer[i + 2] = UInt8(suffix % 10) + 0x30
            return i + 3
        }
        let picture = pictures[(male ? 0 : 100) + rng.below(100)]

        return RandomUser(
            gender: male ? "male" : "female",
            name: .init(title: title, first: first.name, last: last.name),
            location: .init(
                street: .init(number: rng.inRange(1...9999), name: p.streets[rng.below(p.streets.count)]),
                city: p.cities[rng.below(p.cities.count)],
                state: p.states[rng.below(p.states.count)],
                country: p.country,
                postcode: postcode,
                latitude: Self.coordinate(&rng, limit: 90),
                longitude: Self.coordinate(&rng, limit: 180),
                timezoneOffset: timezone.offset,
                timezoneDescription: timezone.description
            ),
            email: joined(first.email, ".", last.email, "@example.com"),
            login: .init(uuid: Self.uuid(&rng), username: username),
            dob: .init(date: Timestamp.iso8601(dobParts), age: Timestamp.wholeYears(from: dobParts, to: referenceParts)),
            registered: .init(date: Timestamp.iso8601(registeredParts), age: Timestamp.wholeYears(from: registeredParts, to: referenceParts)),
            phone: p.format.phone[rng.below(p.format.phone.count)].render(&rng, context),
            cell: p.format.cell[rng.below(p.format.cell.count)].render(&rng, context),
            id: .init(name: p.format.idName, value: p.format.idValue?.render(&rng, context)),
            picture: picture,
            nat: p.nat.rawValue
        )
    }

    /// The secret `login` members the real API would send for this person. Only the
    /// compatible API server uses them, so that clients are tested against complete answers.
    public func secrets(seedHash: UInt64, page: Int, index: Int) -> LoginSecrets {
        var rng = SplitMix64(seed: SplitMix64.mix(seedHash, UInt64(truncatingIfNeeded: page), UInt64(truncatingIfNeeded: index), 0x5EC7E7))
        func hex(_ count: Int) -> String {
            String(unsafeUninitializedCapacity: count) { out in
                for i in 0..<count { out[i] = Self.hexDigits[rng.below(16)] }
                return count
            }
        }
        let saltAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        let salt = String(unsafeUninitializedCapacity: 8) { out in
            for i in 0..<8 { out[i] = saltAlphabet[rng.below(saltAlphabet.count)] }
            return 8
        }
        return LoginSecrets(
            password: SharedTables.passwords[rng.below(SharedTables.passwords.count)],
            salt: salt, md5: hex(32), sha1: hex(40), sha256: hex(64)
        )
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A version-4 UUID in its canonical text form.
    static func uuid(_ rng: inout SplitMix64) -> String {
        let hi = (rng.next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let lo = (rng.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { out in
            var i = 0
            for (shiftBase, value) in [(0, hi), (1, lo)] {
                for nibble in 0..<16 {
                    let position = shiftBase * 16 + nibble
                    if position == 8 || position == 12 || position == 16 || position == 20 {
                        out[i] = UInt8(ascii: "-")
                        i += 1
                    }
                    out[i] = hexDigits[Int((value >> UInt64(60 - nibble * 4)) & 0xF)]
                    i += 1
                }
            }
            return i
        }
    }

    /// "-64.2481": a coordinate with four decimals within ±limit.
    static func coordinate(_ rng: inout SplitMix64, limit: Int) -> String {
        let tenThousandths = rng.below(limit * 2 * 10_000 + 1) - limit * 10_000
        var magnitude = abs(tenThousandths)
        return String(unsafeUninitializedCapacity: 9) { buffer in
            // Written backwards: 4 decimals, the point, then the integer part and sign.
            var i = 8
            for _ in 0..<4 {
                buffer[i] = UInt8(magnitude % 10) + 0x30
                magnitude /= 10
                i -= 1
            }
            buffer[i] = UInt8(ascii: ".")
            i -= 1
            repeat {
                buffer[i] = UInt8(magnitude % 10) + 0x30
                magnitude /= 10
                i -= 1
            } while magnitude > 0
            if tenThousandths < 0 {
                buffer[i] = UInt8(ascii: "-")
                i -= 1
            }
            let start = i + 1
            let count = 9 - start
            if start > 0 {
                for j in 0..<count { buffer[j] = buffer[start + j] }
            }
            return count
        }
    }
}
