import CustosCrypto
import Testing

/// crypto_kdf subkeys against libsodium's own known answers (test/default/kdf.c / kdf.exp).
@Suite struct KeyDerivationTests {
    private static let master = (0..<32).map { UInt8($0) }

    /// kdf.c: master key 00..1f, context "KDF test", ids 0-9, 64-byte subkeys; then ids 16-64
    /// with output length equal to the id.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func libsodiumKnownAnswers() throws {
        let lines = try Corpus.text("vectors/libsodium-test-default/test/default/kdf.exp")
            .split(separator: "\n").map(String.init)
        for id in 0..<10 {
            let subkey = try KeyDerivation.subkey(masterKey: Self.master, id: UInt64(id), context: "KDF test", length: 64)
            #expect(Corpus.hex(subkey) == lines[id], "id \(id)")
        }
        // Lines 10... cover lengths 0...65; 0-15 and 65 are failures in libsodium and must throw here.
        for length in 0...65 {
            let expected = lines[10 + length]
            if expected.hasPrefix("Failure") {
                #expect(throws: CryptoError.self) {
                    try KeyDerivation.subkey(masterKey: Self.master, id: UInt64(length), context: "KDF test", length: length)
                }
            } else {
                let subkey = try KeyDerivation.subkey(masterKey: Self.master, id: UInt64(length), context: "KDF test", length: length)
                #expect(Corpus.hex(subkey) == expected, "length \(length)")
            }
        }
    }

    @Test func defaultLengthIs32AndSubkeysDifferByIdAndContext() throws {
        let a = try KeyDerivation.subkey(masterKey: Self.master, id: 1, context: "custosbi")
        #expect(a.count == 32)
        #expect(try KeyDerivation.subkey(masterKey: Self.master, id: 1, context: "custosbi") == a)
        #expect(try KeyDerivation.subkey(masterKey: Self.master, id: 2, context: "custosbi") != a)
        #expect(try KeyDerivation.subkey(masterKey: Self.master, id: 1, context: "custosbj") != a)
    }

    @Test func rejectsBadContextAndKeyLengths() {
        #expect(throws: CryptoError.self) { try KeyDerivation.subkey(masterKey: Self.master, id: 1, context: "short") }
        #expect(throws: CryptoError.self) { try KeyDerivation.subkey(masterKey: Self.master, id: 1, context: "ninechars") }
        // Eight characters but nine UTF-8 bytes.
        #expect(throws: CryptoError.self) { try KeyDerivation.subkey(masterKey: Self.master, id: 1, context: "custosbé") }
        #expect(throws: CryptoError.self) {
            try KeyDerivation.subkey(masterKey: Array(Self.master.prefix(16)), id: 1, context: "custosbi")
        }
    }
}
