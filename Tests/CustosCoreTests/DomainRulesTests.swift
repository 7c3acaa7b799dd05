import CustosCore
import CustosCrypto
import Foundation
import Testing

/// Rules of the domain that need no storage: roles, usernames, passwords, session lifetimes, the chain encoding.
@Suite struct DomainRulesTests {
    @Test func separationOfDutiesRefusesAdminWithAnyOtherRole() throws {
        for other in Role.allCases where other != .admin {
            #expect(throws: DomainError.self, "admin + \(other)") { try RolePolicy.validate([.admin, other]) }
        }
        try RolePolicy.validate([.admin])
        try RolePolicy.validate([.auditor, .legal, .custodian])
    }

    @Test func usernamesAreNormalisedAndRestricted() throws {
        #expect(try Username.normalize("  Ada.Admin ") == "ada.admin")
        for bad in ["ab", "a b c", "robert'); DROP TABLE users;--", "<script>", String(repeating: "x", count: 65), "ünï"] {
            #expect(throws: DomainError.self, "\(bad)") { try Username.normalize(bad) }
        }
    }

    static func user(_ name: String, roles: Set<Role> = [.auditor], totp: Bool = false) -> User {
        User(id: 1, username: name, displayName: name, passwordHash: "x", mustChangePassword: false,
             totpSecretSealed: totp ? [1] : nil, totpLastCounter: nil, disabled: false, createdAt: 0, passwordChangedAt: 0,
             lastLoginAt: nil, roles: roles)
    }

    /// NIST SP 800-63B-4: 15 characters where the password is the only factor, a blocklist of common and
    /// context-specific values, and no composition rules.
    @Test func passwordRules() throws {
        let policy = PasswordPolicy(blocklistText: "# comment\npassword\niloveyou\ndragon\nqwertyuiop\n\nletmein\n")
        let ada = Self.user("ada")
        let keeper = Self.user("keeper", roles: [.custodian])
        // Length: 15 alone, 12 with a second factor (enrolled, or required by a role).
        #expect(throws: DomainError.self) { try policy.validate("fourteen chars", for: ada, current: nil) }
        try policy.validate("fifteen chars!!", for: ada, current: nil)
        try policy.validate("twelve chars", for: keeper, current: nil)
        try policy.validate("twelve chars", for: Self.user("totp", totp: true), current: nil)
        #expect(throws: DomainError.self) { try policy.validate("eleven char", for: keeper, current: nil) }
        #expect(throws: DomainError.self) { try policy.validate(String(repeating: "x", count: 257), for: ada, current: nil) }
        // Blocklisted, decorated, repeated, runs of a short unit, the username, the service name.
        for bad in ["QwertyUiop12345", "Password2024!!!!", "!!!iloveyou!!!2024", "dragondragondragon", "letmeinletmein!!",
                    "abcabcabcabcabcabc", "aaaaaaaaaaaaaaaa", "1234567890123456", "ada.lovelace.1815", "my custos password 1"] {
            #expect(throws: DomainError.self, "\(bad)") { try policy.validate(bad, for: Self.user("ada.lovelace"), current: nil) }
        }
        #expect(throws: DomainError.self) { try policy.validate("same password 123", for: ada, current: "same password 123") }
        // Long passphrases of ordinary words pass, with no rule about digits, case or symbols.
        for good in ["correct horse battery staple", "harbour-lantern-quietly-47", "a password of my own choosing", "passwordsmith at dawn"] {
            try policy.validate(good, for: ada, current: "old one")
        }
    }

    @Test func theShippedBlocklistHoldsTheCommonPasswords() throws {
        let text = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Data/common-passwords.txt"), encoding: .utf8)
        let policy = PasswordPolicy(blocklistText: text)
        #expect(policy.blocklist.count == 10_000)
        for common in ["password", "123456", "qwerty", "iloveyou", "trustno1", "sunshine"] { #expect(policy.blocklist.contains(common)) }
        #expect(throws: DomainError.self) { try policy.validate("Sunshine2025!!!!", for: Self.user("ada"), current: nil) }
    }

    @Test func oneTimePasswordsAreLongRandomAndReadable() {
        let a = Credentials.oneTimePassword(), b = Credentials.oneTimePassword()
        #expect(a != b)
        #expect(a.count == 23 && a.split(separator: "-").count == 4)
        #expect(a.allSatisfy { "abcdefghjkmnpqrstuvwxyz23456789-".contains($0) })
    }

    @Test func sessionPolicyIdleAndAbsolute() {
        let policy = SessionPolicy()
        let s = Session(id: 1, userID: 1, stage: .active, activeRole: .auditor, createdAt: 0, lastSeenAt: 0,
                        expiresAt: 12 * 3600, clientAddress: "t")
        #expect(policy.isAlive(s, now: 15 * 60 - 1))
        #expect(!policy.isAlive(s, now: 15 * 60))
        var busy = s
        busy.lastSeenAt = 12 * 3600 - 10
        #expect(!policy.isAlive(busy, now: 12 * 3600))
        var pending = s
        pending.stage = .totp
        #expect(!policy.isAlive(pending, now: 5 * 60))
    }

    @Test func canonicalJSONIsSortedAndEscaped() {
        #expect(CanonicalJSON.object(["b": "2", "a": "x\"y\n\u{01}"]) == #"{"a":"x\"y\n\u0001","b":"2"}"#)
    }

    @Test func chainHashCoversEveryFieldUnambiguously() {
        let base = AuditChain.hash(prevHash: AuditChain.genesis, seq: 1, at: 2, actor: "ab", role: "c", action: "d",
                                   target: "e", details: "{}", client: "f")
        // Moving a character between adjacent fields must change the hash (length prefixes).
        let shifted = AuditChain.hash(prevHash: AuditChain.genesis, seq: 1, at: 2, actor: "a", role: "bc", action: "d",
                                      target: "e", details: "{}", client: "f")
        #expect(base != shifted)
        #expect(base.count == 32)
        // Independent recomputation of the documented encoding: BLAKE2b-256(prev ‖ seq ‖ at ‖ len-prefixed fields).
        var encoded: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]
        for field in ["ab", "c", "d", "e", "{}", "f"] {
            encoded += [0, 0, 0, UInt8(field.utf8.count)] + Array(field.utf8)
        }
        #expect(BLAKE2b.hash(AuditChain.genesis + encoded) == base)
    }

    /// Shareable search URLs: only unreserved ASCII stays as it is; everything else, multi-byte
    /// characters included, is %-encoded byte by byte, and decoding gives the value back.
    @Test func queryParametersArePercentEncodedByTheByte() {
        #expect(SearchService.encode([("participant", "ada+x@example.com"), ("q", "a b&c=d/é~._-")])
                == "participant=ada%2Bx%40example.com&q=a%20b%26c%3Dd%2F%C3%A9~._-")
        for value in ["", "plain", "<script>\"'", "👩‍⚖️ naïve", "100%", "\u{0}\n\r\t"] {
            let encoded = SearchService.encode([("v", value)]).dropFirst(2)
            #expect(encoded.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._~%".contains($0)) })
            #expect(String(encoded).removingPercentEncoding == value)
        }
    }

    @Test func hexRoundTrip() {
        #expect(Hex.encode([0, 15, 16, 255]) == "000f10ff")
        #expect(Hex.decode("000F10ff") == [0, 15, 16, 255])
        #expect(Hex.decode("0g") == nil && Hex.decode("abc") == nil)
    }
}
