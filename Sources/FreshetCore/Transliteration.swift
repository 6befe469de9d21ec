/// Turns a display name into the lower-case ASCII the Random User API uses in e-mail
/// addresses: "Horst-Günter" → "horst-gunter", "Van Andel" → "vanandel",
/// "Sørensen" → "sorensen", Persian "کامروا" → "khmrw".
public enum Transliteration {
    public static func emailLocalPart(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                let byte = UInt8(v)
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): out.append(byte + 32)
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                    out.append(byte)
                default: break  // spaces, apostrophes, dots and the like are dropped
                }
            } else if let mapped = latin[v] {
                out.append(contentsOf: mapped.utf8)
            } else if let mapped = persian[v] {
                out.append(contentsOf: mapped.utf8)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Latin letters with diacritics and a few ligatures, folded to ASCII.
    static let latin: [UInt32: String] = {
        var map: [UInt32: String] = [:]
        let groups: [(String, String)] = [
            ("àáâãäåāăąǎ", "a"), ("ÀÁÂÃÄÅĀĂĄǍ", "a"), ("çćĉċč", "c"), ("ÇĆĈĊČ", "c"),
            ("ďđ", "d"), ("ĎĐ", "d"), ("èéêëēĕėęě", "e"), ("ÈÉÊËĒĔĖĘĚ", "e"),
            ("ĝğġģ", "g"), ("ĜĞĠĢ", "g"), ("ĥħ", "h"), ("ĤĦ", "h"),
            ("ìíîïĩīĭįı", "i"), ("ÌÍÎÏĨĪĬĮİ", "i"), ("ĵ", "j"), ("Ĵ", "j"), ("ķ", "k"), ("Ķ", "k"),
            ("ĺļľŀł", "l"), ("ĹĻĽĿŁ", "l"), ("ñńņňŉ", "n"), ("ÑŃŅŇ", "n"),
            ("òóôõöøōŏő", "o"), ("ÒÓÔÕÖØŌŎŐ", "o"), ("ŕŗř", "r"), ("ŔŖŘ", "r"),
            ("śŝşšș", "s"), ("ŚŜŞŠȘ", "s"), ("ţťŧț", "t"), ("ŢŤŦȚ", "t"),
            ("ùúûüũūŭůűų", "u"), ("ÙÚÛÜŨŪŬŮŰŲ", "u"), ("ŵ", "w"), ("Ŵ", "w"),
            ("ýÿŷ", "y"), ("ÝŸŶ", "y"), ("źżž", "z"), ("ŹŻŽ", "z"),
        ]
        for (letters, ascii) in groups {
            for scalar in letters.unicodeScalars { map[scalar.value] = ascii }
        }
        map[0xDF] = "ss"  // ß
        map[0xE6] = "ae"
        map[0xC6] = "ae"  // æ Æ
        map[0x153] = "oe"
        map[0x152] = "oe"  // œ Œ
        map[0xFE] = "th"
        map[0xDE] = "th"  // þ Þ
        map[0xF0] = "d"
        map[0xD0] = "d"  // ð Ð
        return map
    }()

    /// Persian letters, as the API romanises them (short vowels are not written, alef is dropped).
    static let persian: [UInt32: String] = {
        let pairs: [(String, String)] = [
            ("آ", "a"), ("ا", ""), ("أ", "a"), ("إ", "e"), ("ب", "b"), ("پ", "p"), ("ت", "t"), ("ث", "s"),
            ("ج", "j"), ("چ", "ch"), ("ح", "h"), ("خ", "kh"), ("د", "d"), ("ذ", "z"), ("ر", "r"),
            ("ز", "z"), ("ژ", "zh"), ("س", "s"), ("ش", "sh"), ("ص", "s"), ("ض", "z"), ("ط", "t"),
            ("ظ", "z"), ("ع", ""), ("غ", "gh"), ("ف", "f"), ("ق", "gh"), ("ک", "kh"), ("ك", "k"),
            ("گ", "g"), ("ل", "l"), ("م", "m"), ("ن", "n"), ("و", "w"), ("ه", "h"), ("ی", "y"),
            ("ي", "y"), ("ئ", "y"), ("ؤ", "w"), ("ة", "h"), ("ء", ""),
        ]
        var map: [UInt32: String] = [:]
        for (letter, ascii) in pairs {
            for scalar in letter.unicodeScalars { map[scalar.value] = ascii }
        }
        return map
    }()
}
