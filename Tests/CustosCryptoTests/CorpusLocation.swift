import Foundation
import Testing

/// Locates the shared test-vector corpus (`<repo>/../shared/corpus`) relative to this source file,
/// so known-answer tests run from any working directory and skip cleanly where it is absent.
enum Corpus {
    /// `<repo>/../shared/corpus`, found from this file: Tests/CustosCryptoTests/ → repo root → ..
    static let root: URL = URL(fileURLWithPath: #filePath)
        .resolvingSymlinksInPath()     // a scratch package may link the test folder in
        .deletingLastPathComponent()   // CustosCryptoTests/
        .deletingLastPathComponent()   // Tests/
        .deletingLastPathComponent()   // repository root
        .deletingLastPathComponent()   // its parent, which holds shared/
        .appendingPathComponent("shared/corpus", isDirectory: true)
        .standardizedFileURL

    /// The URL of `relative` inside the corpus, e.g. `url("vectors/wycheproof/SOURCE.txt")`.
    static func url(_ relative: String) -> URL {
        root.appendingPathComponent(relative)
    }

    /// Whether the corpus is present; use as `@Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))`.
    static var isAvailable: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url("vectors").path, isDirectory: &isDirectory)
            && isDirectory.boolValue
    }

    /// Why corpus-backed tests were skipped.
    static let absentMessage: Comment = "test-vector corpus not found at ../shared/corpus relative to the repository"

    /// The bytes of a corpus file.
    static func data(_ relative: String) throws -> Data {
        try Data(contentsOf: url(relative))
    }

    /// A corpus file as UTF-8 text.
    static func text(_ relative: String) throws -> String {
        String(decoding: try data(relative), as: UTF8.self)
    }

    /// Bytes from a hex string (whitespace ignored); nil if it is not even-length hex.
    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8.filter { $0 != 0x20 && $0 != 0x0A && $0 != 0x09 && $0 != 0x0D })
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    /// Lower-case hex of `bytes`, for readable expectation failures.
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}
