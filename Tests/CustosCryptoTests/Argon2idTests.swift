@testable import CustosCrypto
import Foundation
import Testing

/// Argon2id against RFC 9106 §5.3 (the PHC reference KAT) and libsodium's pwhash_argon2id vectors.
@Suite struct Argon2idTests {
    private static let katPath = "vectors/argon2-phc-kats/kats/argon2id"
    private static let sodiumDir = "vectors/libsodium-test-default/test/default/"

    /// The header of the reference KAT file: parameters, inputs and the final tag.
    private struct ReferenceKAT {
        var numbers: [UInt32] = []
        var fields: [String: [UInt8]] = [:]
    }

    private func referenceKAT() throws -> ReferenceKAT {
        var kat = ReferenceKAT()
        for line in try Corpus.text(Self.katPath).split(separator: "\n") {
            if line.hasPrefix("Memory:") {
                kat.numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { UInt32($0) }
            } else if let colon = line.firstIndex(of: ":"), line.hasPrefix("Password") || line.hasPrefix("Salt")
                        || line.hasPrefix("Secret") || line.hasPrefix("Associated") || line.hasPrefix("Tag") {
                let name = String(line[..<colon].prefix { $0 != "[" })
                kat.fields[name] = Corpus.bytes(hex: String(line[line.index(after: colon)...]))
            }
        }
        return kat
    }

    /// RFC 9106 §5.3: m = 32 KiB, t = 3, p = 4, password 32×01, salt 16×02, secret 8×03, AD 12×04.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func rfc9106ReferenceVector() throws {
        let kat = try referenceKAT()
        #expect(kat.numbers == [32, 3, 4, 32])
        let tag = try #require(kat.fields["Tag"])
        #expect(Corpus.hex(tag) == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659")
        let out = try Argon2id.deriveKey(
            password: try #require(kat.fields["Password"]), salt: try #require(kat.fields["Salt"]),
            secret: try #require(kat.fields["Secret"]), associatedData: try #require(kat.fields["Associated data"]),
            parameters: .init(memoryKiB: kat.numbers[0], iterations: kat.numbers[1], parallelism: kat.numbers[2]),
            length: Int(kat.numbers[3]))
        #expect(out == tag)
    }

    /// Without secret and AD the keyed form must equal the plain `deriveKey` the module ships.
    @Test func keyedFormWithoutSecretMatchesPlainForm() throws {
        let parameters = Argon2id.Parameters(memoryKiB: 64, iterations: 2, parallelism: 1)
        let plain = try Argon2id.deriveKey(password: [1, 2, 3], salt: Array("saltsaltsalt".utf8), parameters: parameters)
        let keyed = try Argon2id.deriveKey(password: [1, 2, 3], salt: Array("saltsaltsalt".utf8), secret: [],
                                           associatedData: [], parameters: parameters)
        #expect(plain == keyed)
    }

    /// One entry of libsodium's tv() table.
    private struct SodiumVector { let password: [UInt8], salt: [UInt8], length: Int, ops: UInt32, memoryBytes: UInt32 }

    /// The first `tests[]` table in pwhash_argon2id.c (tv()), whose outputs open pwhash_argon2id.exp.
    private func sodiumVectors() throws -> [SodiumVector] {
        var source = try Corpus.text(Self.sodiumDir + "pwhash_argon2id.c")
        let start = try #require(source.range(of: "tests[] = {"))
        source = String(source[start.upperBound...])
        source = String(source[..<(try #require(source.range(of: "};"))).lowerBound])
        source = source.replacingOccurrences(of: #""\s*""#, with: "", options: .regularExpression)
        let pattern = try NSRegularExpression(pattern:
            #"\{\s*"([0-9a-f]+)",\s*(\d+),\s*"([0-9a-f]+)",\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+)\s*\}"#)
        let whole = NSRange(source.startIndex..., in: source)
        return try pattern.matches(in: source, range: whole).map { match in
            let group = { (i: Int) -> String in
                Range(match.range(at: i), in: source).map { String(source[$0]) } ?? ""
            }
            let password = try #require(Corpus.bytes(hex: group(1)))
            try #require(password.count == Int(group(2)))
            return SodiumVector(password: password, salt: try #require(Corpus.bytes(hex: group(3))),
                                length: try #require(Int(group(4))), ops: try #require(UInt32(group(5))),
                                memoryBytes: try #require(UInt32(group(6))))
        }
    }

    /// crypto_pwhash_argon2id(opslimit = t, memlimit = m·1024, p = 1) is plain Argon2id v19, so
    /// these check the shipped `Argon2id.deriveKey` byte-exactly. Entries libsodium refuses
    /// (output shorter than its 16-byte minimum) print a failure line and are skipped.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func libsodiumPwhashVectors() throws {
        let vectors = try sodiumVectors()
        #expect(vectors.count == 8)
        let expected = try Corpus.text(Self.sodiumDir + "pwhash_argon2id.exp").split(separator: "\n").map(String.init)
        var checked = 0
        for (index, vector) in vectors.enumerated() where !expected[index].contains("failure") {
            let parameters = Argon2id.Parameters(memoryKiB: vector.memoryBytes / 1024, iterations: vector.ops, parallelism: 1)
            // The .c lists 32-byte salts, but sodium_hex2bin fills a crypto_pwhash_SALTBYTES (16) buffer.
            let out = try Argon2id.deriveKey(password: vector.password, salt: Array(vector.salt.prefix(16)),
                                             parameters: parameters, length: vector.length)
            #expect(Corpus.hex(out) == expected[index], "tv[\(index)]")
            checked += 1
        }
        #expect(checked == 7)
    }
}
