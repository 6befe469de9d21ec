/// Where the web UI listens, who may use it, and what one client may hold.
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
    /// Connections held at once; further clients wait in the kernel's accept queue until one
    /// closes. Defaults to 256.
    public var maxConnections: Int = 256
    /// Time a client has, from connecting (or from the end of the previous response), to send a
    /// complete request — headers and body. A client that trickles its request is disconnected.
    /// Defaults to 10 s.
    public var requestTimeout: Duration = .seconds(10)
    /// A keep-alive connection without a request for this long is closed. Defaults to 60 s.
    public var idleTimeout: Duration = .seconds(60)
    /// Largest request body accepted; a larger one is answered 413. Defaults to 64 KiB.
    public var maxBodyBytes: Int = 64 << 10
    /// Bytes of records one `/api/topics/{name}/messages` or `/api/dlq` answer gathers at most
    /// (keys and values; a value longer than a fair share is cut and flagged). Defaults to 4 MiB.
    public var messagesMaxBytes: Int = 4 << 20

    public init(
        host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, username: String? = nil, password: String? = nil,
        maxConnections: Int = 256, requestTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60),
        maxBodyBytes: Int = 64 << 10, messagesMaxBytes: Int = 4 << 20
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.username = username
        self.password = password
        self.maxConnections = maxConnections
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.maxBodyBytes = maxBodyBytes
        self.messagesMaxBytes = messagesMaxBytes
    }

    var requiresAuthentication: Bool { token != nil || (username != nil && password != nil) }
}
