import Foundation

extension DAGRunEntry {
    /// `conf` as the run histories store it: a JSON object with sorted keys.
    public static func encodeConf(_ conf: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(conf)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The stored `conf` back; text that is not a JSON object of strings reads as empty.
    public static func decodeConf(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }
}
