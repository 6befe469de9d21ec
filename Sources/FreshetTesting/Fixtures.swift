import Foundation

/// The real randomuser.me responses in `Tests/Fixtures/randomuser/` (see SOURCES.md there).
public enum Fixtures {
    /// The repository root, found from this file's path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `FRESHET_FIXTURES` overrides the folder.
    public static var randomUserDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["FRESHET_FIXTURES"] {
            return URL(fileURLWithPath: path)
        }
        return repositoryRoot.appendingPathComponent("Tests/Fixtures/randomuser")
    }

    /// Names of every `*.json` fixture. Fails loudly when the folder is missing: a test that
    /// silently found nothing to check would pass without checking anything.
    public static func randomUserFiles() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: randomUserDirectory.path)
            .filter { $0.hasSuffix(".json") }
            .sorted()
        guard !names.isEmpty else { throw FixtureError(message: "no *.json fixtures in \(randomUserDirectory.path)") }
        return names
    }

    public static func bytes(_ name: String) throws -> [UInt8] {
        do {
            return Array(try Data(contentsOf: randomUserDirectory.appendingPathComponent(name)))
        } catch {
            throw FixtureError(message: "cannot read fixture \(name) in \(randomUserDirectory.path): \(error)")
        }
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}
