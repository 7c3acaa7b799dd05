import Foundation

/// Small known-answer files kept in the repository (`Tests/Fixtures/`, each folder with its SOURCE.txt),
/// so the tests that read them run everywhere and never skip.
enum Fixtures {
    /// `<repo>/Tests/Fixtures`, found from this file: Tests/CustosCryptoTests/ → Tests/.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .resolvingSymlinksInPath()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures", isDirectory: true)
        .standardizedFileURL

    /// The bytes of `relative` inside `Tests/Fixtures`.
    static func data(_ relative: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(relative))
    }
}
