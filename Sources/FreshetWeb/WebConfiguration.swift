/// Where the web UI listens and who may use it.
public struct WebConfiguration: Sendable, Equatable {
    /// Defaults to 127.0.0.1 (this machine only).
    public var host: String = "127.0.0.1"
    /// Defaults to 8080; 0 picks a free port.
    public var port: Int = 8080
    /// When set, every page and API except `/healthz` needs it: `Authorization: Bearer TOKEN`,
    /// or `?token=TOKEN` once in a browser (a cookie then keeps the session). Defaults to none.
    public var token: String?
    /// When set (with `password`), HTTP basic authentication is required instead. Defaults to none.
    public var username: String?
    public var password: String?

    public init(host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.token = token
        self.username = username
        self.password = password
    }

    var requiresAuthentication: Bool { token != nil || (username != nil && password != nil) }
}
