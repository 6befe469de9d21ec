/// Hides credentials in a URL: the password of its user info (`https://user:secret@host/` →
/// `https://user:***@host/`) and the values of query parameters that carry secrets
/// (`?sasl_password=…`, `?token=…`; see `secretQueryParameters`). Everything that prints or
/// logs a configured URL goes through this.
public func redact(_ text: String) -> String {
    guard let schemeEnd = text.utf8.firstRange(of: "://".utf8)?.upperBound else { return text }
    var result = String(text[..<schemeEnd])
    let rest = text[schemeEnd...]
    let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
    let authority = rest[..<authorityEnd]
    if let at = authority.lastIndex(of: "@") {
        let user = authority[..<at].split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        result += user + ":***" + String(rest[at..<authorityEnd])
    } else {
        result += String(authority)
    }
    let tail = rest[authorityEnd...]
    guard let question = tail.firstIndex(of: "?") else { return result + String(tail) }
    let queryEnd = tail[question...].firstIndex(of: "#") ?? tail.endIndex
    result += String(tail[..<tail.index(after: question)])
    let parameters = tail[tail.index(after: question)..<queryEnd].split(separator: "&", omittingEmptySubsequences: false)
    result += parameters.map { parameter -> String in
        guard let equals = parameter.firstIndex(of: "=") else { return String(parameter) }
        let name = parameter[..<equals].lowercased()
        let isSecret = secretQueryParameters.contains { name == $0 || name.hasSuffix("_" + $0) || name.hasSuffix("." + $0) }
        return isSecret ? String(parameter[...equals]) + "***" : String(parameter)
    }.joined(separator: "&")
    return result + String(tail[queryEnd...])
}

/// Query parameter names (or suffixes after `_`/`.`) whose values `redact` hides.
public let secretQueryParameters = ["password", "passwd", "secret", "token", "key", "sslpassword"]
