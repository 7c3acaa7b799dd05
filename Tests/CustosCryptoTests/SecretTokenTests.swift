import CustosCrypto
import Testing

/// Session and capture tokens: shape, randomness, and the stored hash.
@Suite struct SecretTokenTests {
    @Test func tokensAre43Base64URLCharacters() {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for _ in 0..<200 {
            let token = SecretToken.generate()
            #expect(token.count == 43)
            #expect(token.allSatisfy { allowed.contains($0) }, "\(token.count)")
        }
    }

    @Test func tokensAreUnique() {
        let tokens = Set((0..<1000).map { _ in SecretToken.generate() })
        #expect(tokens.count == 1000)
    }

    /// The stored form is unkeyed BLAKE2b-256 of the UTF-8 token (known answer from Python hashlib).
    @Test func hashIsBLAKE2b256OfTheToken() {
        #expect(Corpus.hex(SecretToken.hash("hello-token"))
            == "8d9157847023c7e99332e54738b9301d595cdcfa4e2381e0c7dc6a92dd5d7fbd")
        let token = SecretToken.generate()
        #expect(SecretToken.hash(token) == BLAKE2b.hash(Array(token.utf8)))
        #expect(SecretToken.hash(token).count == 32)
    }

    @Test func matchesOnlyTheRightToken() {
        let token = SecretToken.generate()
        let stored = SecretToken.hash(token)
        #expect(SecretToken.matches(token, hash: stored))
        #expect(!SecretToken.matches(SecretToken.generate(), hash: stored))
        #expect(!SecretToken.matches(String(token.dropLast()), hash: stored))
        #expect(!SecretToken.matches(token, hash: Array(stored.dropLast())))
        #expect(!SecretToken.matches(token, hash: []))
        #expect(!SecretToken.matches("", hash: stored))
    }
}
