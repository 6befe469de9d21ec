import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Answers 413 to a request that announces a body larger than `maxBytes`; handlers that read
/// a body collect at most `maxBytes` of it (a chunked body that grows past it fails the same way).
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let text = request.headers[.contentLength] {
            guard let length = Int(text), length >= 0 else {
                return WebServer.error("Content-Length must be a number of bytes", parameter: "Content-Length")
            }
            if length > maxBytes {
                return WebServer.error(
                    "the request body is \(length) bytes; at most \(maxBytes) are accepted (web.max_body_bytes)", parameter: "body", status: .contentTooLarge)
            }
        }
        return try await next(request, context)
    }
}
