import Foundation
import Testing

/// Reads the CustosCrypto sources to hold the line DESIGN.md draws: share values are touched only in
/// ThresholdKey.swift, DistributedKeyGeneration.swift and CustodianDevice.swift, partials (points) are
/// the only thing interpolated at 0 to decrypt, redistribution weights sub-shares into a new share
/// (never into s), and polynomials are wiped.
@Suite struct ThresholdSourceTests {
    /// `Sources/CustosCrypto`, found from this file (the test folder may be symlinked into a scratch package).
    static let sourceDirectory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/CustosCrypto", isDirectory: true)

    static func sources() throws -> [String: String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: sourceDirectory.path).filter { $0.hasSuffix(".swift") }
        var result: [String: String] = [:]
        for name in names {
            result[name] = try String(contentsOf: sourceDirectory.appendingPathComponent(name), encoding: .utf8)
        }
        return result
    }

    static let shareFiles: Set<String> = ["ThresholdKey.swift", "DistributedKeyGeneration.swift", "CustodianDevice.swift"]

    @Test(.enabled(if: FileManager.default.fileExists(atPath: sourceDirectory.appendingPathComponent("ThresholdKey.swift").path),
                   "CustosCrypto sources not found next to the tests"))
    func shareValuesStayInTwoFiles() throws {
        let sources = try Self.sources()
        #expect(sources.count >= 8)
        for (name, text) in sources where !Self.shareFiles.contains(name) {
            #expect(!text.contains("KeyShare"), "\(name) must not handle key shares")
            #expect(!text.contains("ThresholdKey.generate("), "\(name) must not run the raw ceremony")
        }
        for (name, text) in sources where !["PartialDecryption.swift", "DistributedKeyGeneration.swift"].contains(name) {
            #expect(!text.contains("lagrangeCoefficients("), "\(name): Lagrange weights are for combining partials only")
        }
        // The one Lagrange sum multiplies points (D_i) by λ_i; no scalar is ever interpolated.
        let partial = try #require(sources["PartialDecryption.swift"])
        #expect(partial.contains("sum = try sum.adding(partial.point.multiplied(by: lambda))"))
        #expect(partial.components(separatedBy: "lagrangeCoefficients(").count == 3)  // definition and one call
        let ceremony = try #require(sources["ThresholdKey.swift"])
        #expect(ceremony.contains("func wipe() { for j in coefficients.indices { coefficients[j].wipe() } }"))
        #expect(ceremony.contains("deinit { wipe() }") && ceremony.contains("deinit { secret.wipe() }"))
        #expect(ceremony.contains("defer { polynomial.wipe() }"))
        // Redistribution weights multiply sub-shares received for one participant (a new share) and commitments.
        let dkg = try #require(sources["DistributedKeyGeneration.swift"])
        #expect(dkg.components(separatedBy: "lagrangeCoefficients(").count == 2)
        #expect(dkg.contains("case .redistribution: return try ThresholdDecryption.lagrangeCoefficients(at: dealers)"))
        #expect(!ceremony.contains("public final class KeyShare") && !ceremony.contains("public static func generate"))
    }
}
