import CustosCapture
import Foundation
import Testing

/// Locates the shared real-data corpus (`<repo>/../shared/corpus`) from this source file, so the
/// tests run from any working directory and skip cleanly where the corpus is absent.
enum Corpus {
    /// `<repo>/../shared/corpus`: Tests/CustosCaptureTests/ → Tests/ → repository root → its parent.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .resolvingSymlinksInPath()     // a scratch package may link the test folder in
        .deletingLastPathComponent()   // CustosCaptureTests/
        .deletingLastPathComponent()   // Tests/
        .deletingLastPathComponent()   // repository root
        .deletingLastPathComponent()   // its parent, which holds shared/
        .appendingPathComponent("shared/corpus", isDirectory: true)
        .standardizedFileURL

    /// The path of `relative` inside the corpus.
    static func path(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    /// Whether the corpus is present; use as `@Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))`.
    static var isAvailable: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path("enron/maildir"), isDirectory: &isDirectory)
            && isDirectory.boolValue
    }

    /// Why corpus-backed tests were skipped.
    static let absentMessage: Comment = "real-data corpus not found at ../shared/corpus relative to the repository"

    static let enron = "enron/maildir"
    static let pythonEmail = "email-edge-cases/python-stdlib-email-tests"
    static let mimekitMessages = "email-edge-cases/mimekit-testdata/UnitTests/TestData/messages"
    static let mimekitMbox = "email-edge-cases/mimekit-testdata/UnitTests/TestData/mbox"
    static let slackZip = "chat-exports/slack-export-viewer-testarchive/tests/testarchive.zip"
    static let rsmf = "rsmf/relativity-rsmf-validator-samples/Documentation"
    static let blns = "hostile/blns/blns.json"
}

/// Everything a reader produced, split into messages and errors.
struct Harvest {
    var messages: [CapturedMessage] = []
    var errors: [CaptureItemError] = []

    /// Reads every item of `paths` as `format`.
    init(_ format: CaptureFormat, _ paths: [String]) throws {
        for result in try CaptureReader(format: format, paths: paths) {
            switch result {
            case .success(let message): messages.append(message)
            case .failure(let error): errors.append(error)
            }
        }
    }

    /// Reasons with their counts, for readable failure output (reasons never quote content).
    var reasonSummary: [String: Int] {
        var counts: [String: Int] = [:]
        for error in errors { counts[error.reason, default: 0] += 1 }
        return counts
    }
}

/// Helpers shared by the tests.
enum Fixture {
    /// A fresh temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("custos-capture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to `name` in `folder` and returns the path.
    @discardableResult
    static func write(_ bytes: [UInt8], named name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The regular files under `relative`, found by FileManager (independently of the walker).
    static func files(under relative: String) -> [String] {
        let root = Corpus.path(relative)
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [String] = []
        while let next = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let full = root + "/" + next
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                out.append(full)
            }
        }
        return out.sorted()
    }
}
