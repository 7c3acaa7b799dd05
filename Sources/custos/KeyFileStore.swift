import ArgumentParser
import CustosCrypto
import Foundation

/// Reads and writes custodian key files: JSON, mode 0600, replaced atomically so a crash never leaves half a file.
enum KeyFileStore {
    static func read(_ path: String) throws -> CustodianKeyFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read the key file \(path)") }
        do { return try JSONDecoder().decode(CustodianKeyFile.self, from: data) } catch {
            throw ValidationError("\(path) is not a Custos custodian key file")
        }
    }

    static func write(_ file: CustodianKeyFile, to path: String, creating: Bool) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let temp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: try encoder.encode(file), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(temp)")
        }
        if creating, FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.removeItem(atPath: temp)
            throw ValidationError("\(path) exists; refusing to overwrite a key file")
        }
        guard rename(temp, path) == 0 else { throw ValidationError("cannot replace \(path)") }
    }
}

/// The key file's passphrase: from the terminal without echo, or from `CUSTOS_KEY_PASSPHRASE` when there is
/// no terminal (scripts and tests). Never from an argument, which would land in shell history.
enum KeyPassphrase {
    static let minimumLength = 16

    static func read(confirm: Bool) throws -> String {
        if isatty(0) != 1, let env = ProcessInfo.processInfo.environment["CUSTOS_KEY_PASSPHRASE"] {
            return try checked(env, creating: confirm)
        }
        guard isatty(0) == 1 else { throw ValidationError("no terminal to ask for the passphrase: set CUSTOS_KEY_PASSPHRASE") }
        let first = try prompt("Key file passphrase: ")
        if confirm {
            guard try prompt("Again: ") == first else { throw ValidationError("the passphrases differ") }
        }
        return try checked(first, creating: confirm)
    }

    private static func checked(_ passphrase: String, creating: Bool) throws -> String {
        if creating, passphrase.count < minimumLength {
            throw ValidationError("choose a passphrase of at least \(minimumLength) characters")
        }
        guard !passphrase.isEmpty else { throw ValidationError("the passphrase is empty") }
        return passphrase
    }

    private static func prompt(_ text: String) throws -> String {
        guard let raw = getpass(text) else { throw ValidationError("cannot read the passphrase") }
        return String(cString: raw)
    }
}
