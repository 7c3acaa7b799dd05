@testable import CustosCrypto
import Testing

/// Password hashing: PHC strings, verification, refusal of malformed input, and rehash policy.
@Suite struct PasswordHasherTests {
    private let hasher = PasswordHasher()

    /// From libargon2's own test suite (phc-winner-argon2 src/test.c): "password" / "somesalt".
    private static let referenceEncoded =
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"

    @Test func verifiesTheReferenceEncodedHash() {
        #expect(hasher.verify("password", encoded: Self.referenceEncoded))
        #expect(!hasher.verify("Password", encoded: Self.referenceEncoded))
    }

    @Test func hashCarriesTheDesignParameters() throws {
        let encoded = try hasher.hash("correct horse battery staple")
        #expect(encoded.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        let fields = encoded.split(separator: "$")
        #expect(fields.count == 5)
        #expect(fields[3].count == 22)   // 16-byte salt, unpadded base64
        #expect(fields[4].count == 43)   // 32-byte hash, unpadded base64
    }

    @Test func roundTripAndWrongPassword() throws {
        let encoded = try hasher.hash("correct horse battery staple")
        #expect(hasher.verify("correct horse battery staple", encoded: encoded))
        #expect(!hasher.verify("correct horse battery stapl", encoded: encoded))
        #expect(!hasher.verify("", encoded: encoded))
        #expect(try hasher.hash("correct horse battery staple") != encoded)   // fresh salt each time
    }

    @Test func emptyAndUnicodePasswords() throws {
        let cheap = PasswordHasher(parameters: .init(memoryKiB: 1024, iterations: 1, parallelism: 1))
        let empty = try cheap.hash("")
        #expect(cheap.verify("", encoded: empty))
        #expect(!cheap.verify(" ", encoded: empty))
        // NFKC: a decomposed "é" typed on one keyboard matches the precomposed one from another.
        let decomposed = try cheap.hash("caf\u{65}\u{301} ☕️")
        #expect(cheap.verify("caf\u{e9} ☕️", encoded: decomposed))
        #expect(!cheap.verify("cafe ☕️", encoded: decomposed))
    }

    @Test func malformedEncodedStringsAreFalseNotCrashes() throws {
        let valid = try hasher.hash("pw")
        let salt = "c29tZXNhbHQ", tag = "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
        let malformed = [
            "", "$", "$$$$$", "password", String(valid.dropLast(5)), valid + "$", valid + "x!",
            "$argon2i$v=19$m=65536,t=2,p=1$\(salt)$\(tag)",
            "$argon2id$v=16$m=65536,t=2,p=1$\(salt)$\(tag)",
            "$argon2id$m=65536,t=2,p=1$\(salt)$\(tag)",
            "$argon2id$v=19$t=2,m=65536,p=1$\(salt)$\(tag)",
            "$argon2id$v=19$m=65536,t=2$\(salt)$\(tag)",
            "$argon2id$v=19$m=-1,t=2,p=1$\(salt)$\(tag)",
            "$argon2id$v=19$m=0,t=2,p=1$\(salt)$\(tag)",
            "$argon2id$v=19$m=99999999999,t=2,p=1$\(salt)$\(tag)",
            "$argon2id$v=19$m=65536,t=2,p=1$$\(tag)",
            "$argon2id$v=19$m=65536,t=2,p=1$\(salt)$",
            "$argon2id$v=19$m=65536,t=2,p=1$\(salt)$\(tag)=",
            "$argon2id$v=19$m=65536,t=2,p=1$\(salt)\u{0}$\(tag)",
            "$argon2id$v=19$m=６５５３６,t=2,p=1$\(salt)$\(tag)",
        ]
        for encoded in malformed {
            #expect(!hasher.verify("password", encoded: encoded), "\(encoded.debugDescription)")
            #expect(hasher.needsRehash(encoded), "\(encoded.debugDescription)")
        }
    }

    /// Well-formed but beyond `verificationLimit`: refused before libargon2 would allocate 4 TiB
    /// or run for days (a tampered row must not turn a login into a denial of service).
    @Test func costsBeyondTheVerificationLimitAreRefused() {
        let tag = "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
        #expect(!hasher.verify("password", encoded: "$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHQ$\(tag)"))
        #expect(!hasher.verify("password", encoded: "$argon2id$v=19$m=65536,t=4294967295,p=1$c29tZXNhbHQ$\(tag)"))
        #expect(!hasher.verify("password", encoded: "$argon2id$v=19$m=65536,t=2,p=255$c29tZXNhbHQ$\(tag)"))
    }

    @Test func needsRehashWhenAnyCostIsBelowPolicy() throws {
        let weak = PasswordHasher(parameters: .init(memoryKiB: 4096, iterations: 2, parallelism: 1))
        let weakHash = try weak.hash("pw")
        #expect(weakHash.contains("$m=4096,t=2,p=1$"))
        #expect(hasher.needsRehash(weakHash))
        #expect(weak.verify("pw", encoded: weakHash))   // still verifies, so the login can upgrade it
        let onePass = PasswordHasher(parameters: .init(memoryKiB: 19456, iterations: 1, parallelism: 1))
        #expect(hasher.needsRehash(try onePass.hash("pw")))
        #expect(!hasher.needsRehash(try hasher.hash("pw")))
        let stronger = PasswordHasher(parameters: .init(memoryKiB: 32768, iterations: 3, parallelism: 2))
        #expect(!hasher.needsRehash(try stronger.hash("pw")))
        #expect(PasswordHasher(parameters: .custodian).needsRehash(try hasher.hash("pw")))
    }

    @Test func parsesParametersAndLengthsFromTheString() {
        let parsed = PasswordHasher.parse(Self.referenceEncoded)
        #expect(parsed == .init(parameters: .init(memoryKiB: 65536, iterations: 2, parallelism: 1),
                                saltLength: 8, hashLength: 32))
        // libargon2's reference uses an 8-byte salt: valid, but short of ours, so rehash at next login.
        #expect(hasher.needsRehash(Self.referenceEncoded))
    }
}
