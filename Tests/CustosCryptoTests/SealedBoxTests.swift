@testable import CustosCrypto
import Testing

/// crypto_box_seal round trips, tampering and key handling.
@Suite struct SealedBoxTests {
    @Test func roundTripAndLayout() throws {
        let recipient = X25519KeyPair()
        for message in [[], [7], Array("a key share, say".utf8), [UInt8](repeating: 0xab, count: 4096)] as [[UInt8]] {
            let sealed = try SealedBox.seal(message, to: recipient.publicKey)
            #expect(sealed.count == message.count + 48 && SealedBox.overhead == 48)
            #expect(try SealedBox.open(sealed, with: recipient) == message)
        }
        // Sealing is randomised (a fresh ephemeral key each time).
        #expect(try SealedBox.seal([1, 2, 3], to: recipient.publicKey) != SealedBox.seal([1, 2, 3], to: recipient.publicKey))
    }

    @Test func wrongKeyAndTamperingFail() throws {
        let recipient = X25519KeyPair(), stranger = X25519KeyPair()
        let sealed = try SealedBox.seal(Array("share".utf8), to: recipient.publicKey)
        #expect(cryptoErrorKind { try SealedBox.open(sealed, with: stranger) } == "authenticationFailed")
        for position in [0, 31, 32, 47, sealed.count - 1] {
            var tampered = sealed
            tampered[position] ^= 0x80
            #expect(cryptoErrorKind { try SealedBox.open(tampered, with: recipient) } == "authenticationFailed", "byte \(position)")
        }
        #expect(cryptoErrorKind { try SealedBox.open(Array(sealed.prefix(47)), with: recipient) } == "authenticationFailed")
        #expect(cryptoErrorKind { try SealedBox.open(Array(sealed.dropLast()), with: recipient) } == "authenticationFailed")
    }

    @Test func keyValidation() throws {
        #expect(cryptoErrorKind { try SealedBox.seal([1], to: [UInt8](repeating: 0, count: 32)) } == "invalidKey")
        #expect(cryptoErrorKind { try SealedBox.seal([1], to: [UInt8](repeating: 1, count: 31)) } == "invalidKey")
        #expect(cryptoErrorKind { try X25519KeyPair(secretKey: [1, 2, 3]) } == "invalidKey")
        let original = X25519KeyPair()
        let sealed = try SealedBox.seal([42], to: original.publicKey)
        let secret = try original.withSecretKey { $0 }
        let rebuilt = try X25519KeyPair(secretKey: secret)
        #expect(rebuilt.publicKey == original.publicKey)
        #expect(try SealedBox.open(sealed, with: rebuilt) == [42])
        rebuilt.wipe()
        #expect(cryptoErrorKind { try SealedBox.open(sealed, with: rebuilt) } == "invalidKey")
        #expect(try SealedBox.open(sealed, with: original) == [42], "wiping a rebuilt copy leaves the original intact")
    }
}
