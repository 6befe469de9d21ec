import FreshetCore

/// A fixed-width text template. Placeholders:
/// `#` a digit, `@` an upper-case letter, `%` the date of birth as DDMMYY,
/// `&` the date of birth as YY and 0-based MM (as the API writes INSEE numbers), `~` a gender digit (1 male, 2 female),
/// `^` the initial of the last name. Any other byte is literal.
struct Pattern: Sendable {
    let bytes: [UInt8]

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    struct Context {
        var dob: Timestamp.Components
        var male: Bool
        var lastInitial: UInt8
    }

    func render(_ rng: inout SplitMix64, _ context: Context) -> String {
        var length = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "%"): length += 6
            case UInt8(ascii: "&"): length += 4
            default: length += 1
            }
        }
        return String(unsafeUninitializedCapacity: length) { out in
            var i = 0
            func two(_ v: Int) {
                out[i] = UInt8(v / 10 % 10) + 0x30
                out[i + 1] = UInt8(v % 10) + 0x30
                i += 2
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "#"):
                    out[i] = UInt8(rng.below(10)) + 0x30
                    i += 1
                case UInt8(ascii: "@"):
                    out[i] = UInt8(rng.below(26)) + 0x41
                    i += 1
                case UInt8(ascii: "~"):
                    out[i] = context.male ? 0x31 : 0x32
                    i += 1
                case UInt8(ascii: "^"):
                    out[i] = context.lastInitial
                    i += 1
                case UInt8(ascii: "%"):
                    two(context.dob.day)
                    two(context.dob.month)
                    two(context.dob.year % 100)
                case UInt8(ascii: "&"):
                    two(context.dob.year % 100)
                    two(context.dob.month - 1)  // the API's JavaScript month: 0-based
                default:
                    out[i] = byte
                    i += 1
                }
            }
            return i
        }
    }
}

/// How one nationality writes postcodes, phone numbers and national identifiers,
/// read off real API responses (see Tests/Fixtures/randomuser and the tests).
struct NationalityFormat: Sendable {
    enum PostcodeFormat: Sendable {
        case number(ClosedRange<Int>)
        case string([Pattern])
    }

    var postcode: PostcodeFormat
    var phone: [Pattern]
    var cell: [Pattern]
    var idName: String
    /// nil: the API sends `"value": null`.
    var idValue: Pattern?
    var maleTitles: [String] = ["Mr"]
    var femaleTitles: [String] = ["Ms", "Mrs", "Miss"]

    static func of(_ nat: Nationality) -> NationalityFormat {
        let five = PostcodeFormat.number(10000...99999)
        switch nat {
        case .au:
            return .init(
                postcode: .number(1000...9999), phone: [Pattern("0#-####-####")], cell: [Pattern("04##-###-###")],
                idName: "TFN", idValue: Pattern("#########"))
        case .br:
            return .init(
                postcode: five, phone: [Pattern("(##) ####-####")], cell: [Pattern("(##) ####-####")],
                idName: "CPF", idValue: Pattern("###.###.###-##"))
        case .ca:
            return .init(
                postcode: .string([Pattern("@#@ #@#")]), phone: [Pattern("@## @##-####")], cell: [Pattern("@## @##-####")],
                idName: "SIN", idValue: Pattern("#########"))
        case .ch:
            return .init(
                postcode: .number(1000...9999), phone: [Pattern("07# ### ## ##")], cell: [Pattern("07# ### ## ##")],
                idName: "AVS", idValue: Pattern("756.####.####.##"),
                maleTitles: ["Monsieur"], femaleTitles: ["Madame", "Mademoiselle"])
        case .de:
            return .init(
                postcode: five, phone: [Pattern("0###-#######")], cell: [Pattern("017#-#######")],
                idName: "SVNR", idValue: Pattern("## % ^ ###"))
        case .dk:
            return .init(
                postcode: five, phone: [Pattern("########")], cell: [Pattern("########")],
                idName: "CPR", idValue: Pattern("%-####"))
        case .es:
            return .init(
                postcode: five, phone: [Pattern("9##-###-###")], cell: [Pattern("6##-###-###")],
                idName: "DNI", idValue: Pattern("########-@"))
        case .fi:
            // The real API's HETU really is "NaNNA" + 3 digits + "undefined".
            return .init(
                postcode: five, phone: [Pattern("0#-###-###")], cell: [Pattern("04#-###-##-##")],
                idName: "HETU", idValue: Pattern("NaNNA###undefined"))
        case .fr:
            return .init(
                postcode: five, phone: [Pattern("0#-##-##-##-##")], cell: [Pattern("06-##-##-##-##")],
                idName: "INSEE", idValue: Pattern("~&######## ##"))
        case .gb:
            return .init(
                postcode: .string([Pattern("@@# #@@"), Pattern("@# #@@"), Pattern("@@#@ #@@"), Pattern("@@## #@@")]),
                phone: [Pattern("01### #####"), Pattern("015### #####"), Pattern("016### #####"), Pattern("019### #####"), Pattern("02# #### ####")],
                cell: [Pattern("07### ######")],
                idName: "NINO", idValue: Pattern("@@ ## ## ## @"))
        case .ie:
            return .init(
                postcode: five, phone: [Pattern("0#1-###-####")], cell: [Pattern("081-###-####")],
                idName: "PPS", idValue: Pattern("#######T"))
        case .in:
            return .init(
                postcode: five, phone: [Pattern("9#########")], cell: [Pattern("9#########")],
                idName: "UIDAI", idValue: Pattern("############"))
        case .ir:
            return .init(
                postcode: five, phone: [Pattern("0##-########")], cell: [Pattern("09##-###-####")],
                idName: "", idValue: nil)
        case .mx:
            return .init(
                postcode: five, phone: [Pattern("(6##) ### ####")], cell: [Pattern("(6##) ### ####")],
                idName: "NSS", idValue: Pattern("## ## ## #### #"))
        case .nl:
            return .init(
                postcode: .string([Pattern("#### @@")]), phone: [Pattern("(0###) ######"), Pattern("(0##) #######")],
                cell: [Pattern("(06) ########")], idName: "BSN", idValue: Pattern("########"))
        case .no:
            return .init(
                postcode: .string([Pattern("####")]), phone: [Pattern("########")], cell: [Pattern("4#######"), Pattern("9#######")],
                idName: "FN", idValue: Pattern("%#####"))
        case .nz:
            return .init(
                postcode: five, phone: [Pattern("(###)-###-####")], cell: [Pattern("(###)-###-####")],
                idName: "", idValue: nil)
        case .rs:
            return .init(
                postcode: five, phone: [Pattern("0##-####-###")], cell: [Pattern("06#-####-###")],
                idName: "SID", idValue: Pattern("#########"))
        case .tr:
            return .init(
                postcode: five, phone: [Pattern("(###)-###-####")], cell: [Pattern("(###)-###-####")],
                idName: "", idValue: nil)
        case .ua:
            return .init(
                postcode: five, phone: [Pattern("(09#) @##-####")], cell: [Pattern("(09#) @##-####")],
                idName: "", idValue: nil)
        case .us:
            return .init(
                postcode: five, phone: [Pattern("(###) ###-####")], cell: [Pattern("(###) ###-####")],
                idName: "SSN", idValue: Pattern("###-##-####"))
        }
    }
}

/// Lists shared by all nationalities, as the API uses them.
enum SharedTables {
    static let usernameAdjectives = [
        "tiny", "blue", "purple", "silver", "beautiful", "happy", "golden", "black", "sad", "brown",
        "red", "green", "orange", "lazy", "organic", "small", "yellow", "crazy", "angry", "heavy",
        "big", "white", "ticklish",
    ]
    static let usernameAnimals = [
        "fish", "butterfly", "rabbit", "zebra", "wolf", "swan", "bird", "dog", "snake", "frog",
        "mouse", "peacock", "leopard", "gorilla", "goose", "ladybug", "panda", "koala", "ostrich",
        "meercat", "cat", "duck", "tiger", "lion", "bear", "elephant", "owl", "horse", "monkey",
        "buffalo",
    ]
    static let timezones: [(offset: String, description: String)] = [
        ("-12:00", "Eniwetok, Kwajalein"), ("-11:00", "Midway Island, Samoa"), ("-10:00", "Hawaii"),
        ("-9:00", "Alaska"), ("-8:00", "Pacific Time (US & Canada)"), ("-7:00", "Mountain Time (US & Canada)"),
        ("-6:00", "Central Time (US & Canada), Mexico City"), ("-5:00", "Eastern Time (US & Canada), Bogota, Lima"),
        ("-4:00", "Atlantic Time (Canada), Caracas, La Paz"), ("-3:30", "Newfoundland"),
        ("-3:00", "Brazil, Buenos Aires, Georgetown"), ("-2:00", "Mid-Atlantic"), ("-1:00", "Azores, Cape Verde Islands"),
        ("0:00", "Western Europe Time, London, Lisbon, Casablanca"), ("+1:00", "Brussels, Copenhagen, Madrid, Paris"),
        ("+2:00", "Kaliningrad, South Africa"), ("+3:00", "Baghdad, Riyadh, Moscow, St. Petersburg"), ("+3:30", "Tehran"),
        ("+4:00", "Abu Dhabi, Muscat, Baku, Tbilisi"), ("+4:30", "Kabul"),
        ("+5:00", "Ekaterinburg, Islamabad, Karachi, Tashkent"), ("+5:30", "Bombay, Calcutta, Madras, New Delhi"),
        ("+5:45", "Kathmandu"), ("+6:00", "Almaty, Dhaka, Colombo"), ("+7:00", "Bangkok, Hanoi, Jakarta"),
        ("+8:00", "Beijing, Perth, Singapore, Hong Kong"), ("+9:00", "Tokyo, Seoul, Osaka, Sapporo, Yakutsk"),
        ("+9:30", "Adelaide, Darwin"), ("+10:00", "Eastern Australia, Guam, Vladivostok"),
        ("+11:00", "Magadan, Solomon Islands, New Caledonia"), ("+12:00", "Auckland, Wellington, Fiji, Kamchatka"),
    ]
    static let passwords = [
        "explorer", "sunshine", "dragon", "monkey", "shadow", "master", "qwerty", "football", "hunter",
        "buster", "soccer", "harley", "tigger", "ranger", "thunder", "pepper", "ginger", "yankees",
        "hammer", "silver", "cowboy", "maggie", "spider", "cookie", "coffee", "bubbles", "winter",
    ]
}
