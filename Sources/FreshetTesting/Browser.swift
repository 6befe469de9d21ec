import Foundation

/// Drives headless Chromium (scripts/tools/cdp_dump.py: DevTools over a pipe) at `url` until the
/// JavaScript condition `until` holds in the page; returns the DOM. Screenshots go to
/// `artifacts/` at the repository root.
public func browse(
    _ url: String, until: String, screenshot: String? = nil, size: String = "1400x1900",
    timeout: Double = 90
) async throws -> (status: Int32, dom: String, stderr: String) {
    let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/tools/cdp_dump.py").path
    var arguments = [script, url, "--until", until, "--timeout", "30", "--size", size]
    if let screenshot {
        let artifacts = Fixtures.repositoryRoot.appendingPathComponent("artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        arguments += ["--screenshot", artifacts.appendingPathComponent(screenshot).path]
    }
    let result = try await runTool("python3", arguments, timeout: timeout)
    return (result.status, result.stdoutText, result.stderr)
}

/// The values of attribute `name` of the elements whose opening tag contains `marker`.
public func htmlAttributes(_ html: String, marker: String, _ name: String) -> [String] {
    html.components(separatedBy: "<").filter { $0.contains(marker) }.compactMap { tag in
        guard let range = tag.range(of: " \(name)=\"") else { return nil }
        return String(tag[range.upperBound...].prefix { $0 != "\"" })
    }
}
