import CustosCapture
import CustosCaptureClient
import CustosCore
import CustosCrypto
import CustosWeb
import Foundation
import Testing

/// Content read through a grant is the captured file, byte for byte; and no code path outside the
/// custodian's approval touches a key share.
@Suite struct DecryptionSourceTests {
    @Test(.enabled(if: EnronArchive.available, "shared/corpus/enron is absent"))
    func enronMessagesReadThroughAGrantAreByteIdenticalToTheirFiles() async throws {
        let w = try await DecryptionWorld.make(messages: 1)
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let fm = FileManager.default
        var files: [String] = []
        for case let path as String in fm.enumerator(atPath: EnronArchive.maildir) ?? FileManager.DirectoryEnumerator() {
            var isDir: ObjCBool = false
            let full = EnronArchive.maildir + "/" + path
            if fm.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue, !path.hasSuffix("SOURCE.txt") { files.append(full) }
        }
        files.sort()
        let chosen = stride(from: 0, to: files.count, by: max(1, files.count / 40)).map { files[$0] }
        let token = try require(try w.system.captureTokens.authenticate(w.f.token))
        let writer = EnvelopeWriter(publicKey: w.f.publicKey)
        var idByFile: [String: Int64] = [:]
        for file in chosen {
            let message = try CaptureReader(format: .eml, paths: [file]).map { try $0.get() }
            let result = try w.system.ingest.ingest(try message.map { try writer.item(for: $0) }, token: token, client: "test")
            idByFile[file] = try require(result.first?.id)
        }
        let request = try w.file(Array(idByFile.values))
        try await w.approve(request, by: 1)
        try await w.approve(request, by: 2)
        for (file, id) in idByFile {
            let opened = try w.system.decryption.openContent(messageID: id, user: w.auditor.user, actor: w.actor(w.auditor, .auditor))
            #expect(opened.message.content == [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))), "\(file)")
        }
        #expect(idByFile.count >= 35)
    }

    static let sources = Harness.repoRoot.appendingPathComponent("Sources")

    /// Every Swift file outside CustosCrypto, with its path.
    static func serverSources() throws -> [(String, String)] {
        let fm = FileManager.default
        var out: [(String, String)] = []
        for case let path as String in fm.enumerator(atPath: sources.path) ?? FileManager.DirectoryEnumerator()
        where path.hasSuffix(".swift") && !path.hasPrefix("CustosCrypto/") {
            out.append((path, try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)))
        }
        return out
    }

    @Test func theServerNeverHoldsACustodianDeviceOrShare() throws {
        let files = try Self.serverSources()
        #expect(files.count > 40)
        let server = ["CustosCore/", "CustosStore/", "CustosWeb/"]
        for (path, text) in files {
            // Outside CustosCrypto nothing can name a share type, interpolate, or run the test dealer.
            #expect(!text.contains("KeyShare"), "\(path) handles a key share")
            #expect(!text.contains("lagrange"), "\(path) interpolates")
            #expect(!text.contains("ThresholdKey.generate"), "\(path) runs a dealer")
            // The server's modules never unlock a key file or hold an unlocked device: shares, custodian secrets
            // and passphrases exist only in `custos custodian …` (CustosCaptureClient, the CLI) on the custodian's machine.
            if server.contains(where: path.hasPrefix) {
                #expect(!text.contains(/\bCustodianDevice\b/), "\(path) holds a custodian device")
                #expect(!text.contains(".unlock(passphrase"), "\(path) unlocks a custodian key file")
                #expect(!text.contains("DKGDealer"), "\(path) deals")
            }
        }
        // Combining happens only on verified partials, into one message key per envelope; no function returns a secret scalar.
        let approval = try #require(files.first { $0.0 == "CustosCore/Decryption/DecryptionService+Approval.swift" }?.1)
        #expect(approval.contains("Envelope.messageKey(header:"))
        #expect(!approval.contains("Scalar"))
    }

    /// No page of the web application takes a custodian passphrase: approvals come from the custodian's device.
    @Test func noTemplateHasAPassphraseField() throws {
        let templates = Harness.repoRoot.appendingPathComponent("Templates")
        var seen = 0
        for case let path as String in FileManager.default.enumerator(atPath: templates.path) ?? FileManager.DirectoryEnumerator()
        where path.hasSuffix(".mustache") {
            let text = try String(contentsOf: templates.appendingPathComponent(path), encoding: .utf8)
            seen += 1
            #expect(!text.contains("name=\"passphrase\""), "\(path) has a passphrase field")
            #expect(!text.lowercased().contains("custodian passphrase"), "\(path) asks for a custodian passphrase")
        }
        #expect(seen > 25)
    }
}

