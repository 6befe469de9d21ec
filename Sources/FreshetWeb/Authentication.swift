import Foundation
import HTTPTypes
import Hummingbird

/// Requires the configured token (Bearer header, `freshet_token` cookie, or `?token=` which
/// then sets the cookie) or basic-auth credentials on every route except `/healthz`.
/// Credentials are compared in constant time and never logged.
struct AuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let configuration: WebConfiguration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard configuration.requiresAuthentication, request.uri.path != "/healthz" else {
            return try await next(request, context)
        }
        if let token = configuration.token {
            if let header = request.headers[.authorization], header.hasPrefix("Bearer "), Self.equal(String(header.dropFirst(7)), token) {
                return try await next(request, context)
            }
            if let cookie = request.headers[.cookie], Self.cookie("freshet_token", in: cookie).map({ Self.equal($0, token) }) == true {
                return try await next(request, context)
            }
            if let query = request.uri.queryParameters.get("token"), Self.equal(query, token) {
                var response = try await next(request, context)
                response.headers[.setCookie] = "freshet_token=\(token); Path=/; HttpOnly; SameSite=Strict"
                return response
            }
            return Self.unauthorized(basic: false)
        }
        if let username = configuration.username, let password = configuration.password,
            let header = request.headers[.authorization], header.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
            Self.equal(decoded, username + ":" + password)
        {
            return try await next(request, context)
        }
        return Self.unauthorized(basic: true)
    }

    static func unauthorized(basic: Bool) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if basic { headers[.wwwAuthenticate] = "Basic realm=\"freshet\"" }
        let body = #"{"error":"authentication required: send the configured token (Authorization: Bearer …) or credentials"}"#
        return Response(status: .unauthorized, headers: headers, body: .init(byteBuffer: .init(string: body)))
    }

    static func cookie(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name { return String(pair[1]) }
        }
        return nil
    }

    /// Constant-time comparison (length leaks, content does not).
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
