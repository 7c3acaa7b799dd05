import CustosCore
import CustosCrypto
import Foundation

/// What a capture client trusts: the archive's trust root (the first epoch's transcript hash, handed over
/// out of band) and a state file remembering the newest epoch it has accepted, so a server cannot roll
/// it back to an older key (TUF's rollback protection).
public struct ArchiveTrust: Sendable {
    /// The first epoch's transcript hash.
    public let root: [UInt8]
    /// Where the newest accepted epoch is remembered.
    public let statePath: String

    /// `root` as 64 hex digits; `statePath` nil means `$XDG_STATE_HOME/custos/` (or `~/.local/state/custos/`).
    public init(root text: String, statePath: String? = nil) throws {
        do { root = try EpochChain.parseRoot(text) } catch let e as EpochChainError {
            throw CaptureClientError.untrustedKey(e.description)
        }
        self.statePath = statePath ?? Self.defaultStatePath(root: root)
    }

    static func defaultStatePath(root: [UInt8]) -> String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["HOME"] ?? NSTemporaryDirectory()) as NSString).appendingPathComponent(".local/state")
        let name = "trust-" + Hex.encode(Array(root.prefix(8))) + ".json"
        return ((base as NSString).appendingPathComponent("custos") as NSString).appendingPathComponent(name)
    }

    /// What the state file holds.
    struct State: Codable {
        var root: String
        var epoch: Int
        var transcriptHash: String

        enum CodingKeys: String, CodingKey { case root, epoch, transcriptHash = "transcript_hash" }
    }

    /// Checks the chain the server sent and returns the key to seal to; remembers it. Throws
    /// `untrustedKey` naming what failed: a chain that does not lead from the root, a key that is not its
    /// transcript's, a missing signature, or an epoch older than one accepted before.
    public func accept(_ response: ArchiveKeysResponse) throws -> ArchivePublicKey {
        let (key, hash): (ArchivePublicKey, [UInt8])
        do { (key, hash) = try EpochChain.verify(root: root, chain: response.epochs) } catch let e as EpochChainError {
            throw CaptureClientError.untrustedKey(e.description)
        }
        let rootHex = Hex.encode(root), hashHex = Hex.encode(hash)
        if let seen = try load(), seen.root == rootHex {
            if key.epoch < seen.epoch {
                throw CaptureClientError.untrustedKey("the server offers epoch \(key.epoch), older than epoch \(seen.epoch) this client already accepted (a rollback)")
            }
            if key.epoch == seen.epoch, seen.transcriptHash != hashHex {
                throw CaptureClientError.untrustedKey("epoch \(key.epoch)'s transcript is not the one this client accepted before")
            }
            if key.epoch == seen.epoch { return key }
        }
        try save(State(root: rootHex, epoch: key.epoch, transcriptHash: hashHex))
        return key
    }

    private func load() throws -> State? {
        guard let data = FileManager.default.contents(atPath: statePath) else { return nil }
        do { return try JSONDecoder().decode(State.self, from: data) } catch {
            throw CaptureClientError.untrustedKey("the trust state file \(statePath) cannot be read; restore it or remove it knowingly")
        }
    }

    private func save(_ state: State) throws {
        let dir = (statePath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temp = statePath + ".tmp"
        guard FileManager.default.createFile(atPath: temp, contents: try JSONEncoder().encode(state), attributes: [.posixPermissions: 0o600]),
              rename(temp, statePath) == 0 else {
            throw CaptureClientError.untrustedKey("cannot write the trust state file \(statePath)")
        }
    }
}
