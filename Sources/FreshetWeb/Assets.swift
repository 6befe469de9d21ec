import Foundation

/// The dashboard's pages, styles and script: real files in `Resources/` (an editor, a linter and
/// the browser test see them), embedded in the binary by SwiftPM (`.embedInCode`), so the single
/// binary still serves them offline. The pages reference only /assets/app.css and /assets/app.js.
enum Assets {
    /// The pages in the navigation: id (`data-page`), path, label.
    static let navigation = [
        ("dashboard", "/", "Dashboard"), ("pipeline", "/pipeline", "Pipeline"), ("topics", "/topics", "Topics"), ("runs", "/runs", "Runs"),
    ]

    /// Served at `/`: the six Grafana panels plus live ingest per minute.
    static let dashboardHTML = page("dashboard", title: "Dashboard", content: PackageResources.dashboard_html)
    /// Served at `/pipeline`: throughput, latency, lag, dead letters, source errors, process.
    static let pipelineHTML = page("pipeline", title: "Pipeline", content: PackageResources.pipeline_html)
    /// Served at `/topics`: topics/partitions, consumer groups, last-messages viewer.
    static let topicsHTML = page("topics", title: "Topics", content: PackageResources.topics_html)
    /// Served at `/runs`: DAGs with their newest runs (needs a `WebScheduling`).
    static let runsHTML = page("runs", title: "Runs", content: PackageResources.runs_html)
    /// Served at `/assets/app.css`.
    static let css = String(decoding: PackageResources.app_css, as: UTF8.self)
    /// Served at `/assets/app.js`.
    static let js = String(decoding: PackageResources.app_js, as: UTF8.self)

    /// A page: `layout.html` with its `{{page}}`, `{{title}}`, `{{navigation}}` (the current
    /// page marked) and `{{content}}` (the page's `main` and `noscript`) filled in, without the
    /// file's last line break.
    static func page(_ id: String, title: String, content: [UInt8]) -> String {
        let links = navigation.map { page, path, label in
            "        <li><a href=\"\(path)\"\(page == id ? " aria-current=\"page\"" : "")>\(label)</a></li>\n"
        }.joined()
        var layout = String(decoding: PackageResources.layout_html, as: UTF8.self)
        if layout.hasSuffix("\n") { layout.removeLast() }
        return render(layout, ["page": id, "title": title, "navigation": links, "content": String(decoding: content, as: UTF8.self)])
    }

    /// Replaces each `{{name}}` of `template` by `values[name]` in one pass (a value is never
    /// scanned for markers); an unknown marker stays as it is.
    static func render(_ template: String, _ values: [String: String]) -> String {
        var output = ""
        var rest = template[...]
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let name = String(rest[open.upperBound..<close.lowerBound])
            output += values[name] ?? "{{\(name)}}"
            rest = rest[close.upperBound...]
        }
        return output + rest
    }
}
