import CustosCrypto
import Testing

/// Blind-index tokens: stable known answers, separated by field and by key.
@Suite struct BlindIndexTests {
    private static let master = (0x40..<0x60).map { UInt8($0) }

    /// Computed independently with Python hashlib: subkey = BLAKE2b-256(key = master, "",
    /// salt = LE64(field id) ‖ 0⁸, personal = "custosbi" ‖ 0⁸) (libsodium's crypto_kdf), then
    /// token = BLAKE2b-256(key = subkey, value). Stored tokens depend on these never changing.
    @Test func knownAnswers() throws {
        let index = try BlindIndex(masterKey: Self.master)
        #expect(Corpus.hex(index.token(.participant, "alice@example.com"))
            == "3c8e3c25b18b232e6c1a66bae33696024722da07a76f5fb6d4657a2a6f3ff0c0")
        #expect(Corpus.hex(index.token(.domain, "example.com"))
            == "848ef8e2013e7d7e3ce89cc370f95e7a8517eecaf7dec7298ce9eecf4333158e")
        #expect(Corpus.hex(index.token(.conversation, "slack:C024BE91L"))
            == "5a75a9158332c9cf5d6d5e2a933c5bee74d3dbc6430154ec8dd39f2e49a9518b")
        #expect(Corpus.hex(index.token(.username, "alice@example.com"))
            == "3e23b006fa75773e15b03e3172ce59d61a47ce8ad2b8c87d560cc4fd61e91698")
    }

    @Test func deterministicAcrossInstances() throws {
        let a = try BlindIndex(masterKey: Self.master)
        let b = try BlindIndex(masterKey: Self.master)
        #expect(a.token(.participant, "bob@example.org") == b.token(.participant, "bob@example.org"))
        #expect(a.token(.participant, "bob@example.org").count == 32)
    }

    @Test func fieldsAreSeparated() throws {
        let index = try BlindIndex(masterKey: Self.master)
        let tokens = BlindIndex.Field.allCases.map { index.token($0, "alice@example.com") }
        #expect(Set(tokens.map(Corpus.hex)).count == BlindIndex.Field.allCases.count)
    }

    @Test func tokensDependOnKeyAndValue() throws {
        let index = try BlindIndex(masterKey: Self.master)
        let other = try BlindIndex(masterKey: Self.master.map { $0 ^ 0x01 })
        #expect(index.token(.participant, "alice@example.com") != other.token(.participant, "alice@example.com"))
        #expect(index.token(.participant, "alice@example.com") != index.token(.participant, "alice@example.co"))
        // No normalization happens here: that is the caller's job, applied identically at both ends.
        #expect(index.token(.participant, "Alice@example.com") != index.token(.participant, "alice@example.com"))
    }

    @Test func rejectsWrongMasterKeyLength() {
        #expect(throws: CryptoError.self) { try BlindIndex(masterKey: Array(Self.master.prefix(31))) }
        #expect(throws: CryptoError.self) { try BlindIndex(masterKey: []) }
    }
}
