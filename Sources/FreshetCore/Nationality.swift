/// The 21 nationalities of Random User API v1.4.
public enum Nationality: String, Sendable, CaseIterable, Hashable {
    case au = "AU", br = "BR", ca = "CA", ch = "CH", de = "DE", dk = "DK", es = "ES"
    case fi = "FI", fr = "FR", gb = "GB", ie = "IE", `in` = "IN", ir = "IR", mx = "MX"
    case nl = "NL", no = "NO", nz = "NZ", rs = "RS", tr = "TR", ua = "UA", us = "US"

    /// Parses a code case-insensitively ("gb", "GB").
    public init?(code: some StringProtocol) {
        self.init(rawValue: code.uppercased())
    }

    /// Parses the API's `nat` parameter: a comma list, case-insensitive. Unknown codes are
    /// dropped; the result is empty when none is valid.
    public static func parseList(_ list: String) -> [Nationality] {
        var seen = Set<Nationality>()
        var result: [Nationality] = []
        for part in list.split(separator: ",") {
            let trimmed = part.trimmingASCIISpaces()
            if let nat = Nationality(code: trimmed), seen.insert(nat).inserted {
                result.append(nat)
            }
        }
        return result
    }
}

extension Substring {
    func trimmingASCIISpaces() -> Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
