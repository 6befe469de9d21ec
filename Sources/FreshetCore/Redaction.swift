/// Hides credentials in a URL: `https://user:secret@host/` → `https://user:***@host/`.
/// Everything that prints or logs a configured URL goes through this.
public func redact(_ text: String) -> String {
    guard let schemeEnd = text.utf8.firstRange(of: "://".utf8)?.upperBound else { return text }
    let rest = text[schemeEnd...]
    let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
    let authority = rest[..<authorityEnd]
    guard let at = authority.lastIndex(of: "@") else { return text }
    let user = authority[..<at].split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
    return String(text[..<schemeEnd]) + user + ":***" + String(rest[at...])
}
