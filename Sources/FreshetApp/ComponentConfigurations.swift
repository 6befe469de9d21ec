import FreshetWeb

extension WebConfiguration {
    /// The `web.*` keys of a pipeline configuration.
    public init(_ web: PipelineConfiguration.Web) {
        self.init(
            host: web.host, port: web.port, token: web.token, username: web.username, password: web.password,
            maxConnections: web.maxConnections, requestTimeout: web.requestTimeout, idleTimeout: web.idleTimeout,
            maxBodyBytes: web.maxBodyBytes, messagesMaxBytes: web.messagesMaxBytes)
    }
}
