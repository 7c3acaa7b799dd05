import CustosCore
import CustosCrypto
import Foundation
import Testing

/// Issue 18, point 16: canonically equal addresses get one blind token, so holds and searches do not miss
/// messages; and no all-ASCII address's token changes (so no existing token needs migrating).
@Suite struct AddressNormalizationTests {
    @Test func punycodeMatchesRFC3492() throws {
        // RFC 3492 section 7.1 samples, and two well-known domains.
        #expect(Punycode.encode("bücher") == "bcher-kva")
        #expect(Punycode.encode("münchen") == "mnchen-3ya")
        #expect(Punycode.encode("ليهمابتكلموشعربي؟") == "egbpdaj6bu4bxfgehfvwxn")
        #expect(Punycode.encode("他们为什么不说中文") == "ihqwcrb4cv8a8dqg056pqjye")
        #expect(Punycode.encode("Pročprostěnemluvíčesky") == "Proprostnemluvesky-uyb24dma41a")
        #expect(Punycode.encode("3年B組金八先生") == "3B-ww4c5e180e575a65lsy2b")
        #expect(Punycode.domainToASCII("mail.bücher.de") == "mail.xn--bcher-kva.de")
    }

    @Test func composedDecomposedAndPunycodeAddressesShareOneToken() throws {
        let indexer = try MetadataIndexer(keys: ServerKeys.ephemeral())
        let composed = "J\u{00FC}rgen@B\u{00FC}cher.de"         // ü as one scalar
        let decomposed = "ju\u{0308}rgen@bu\u{0308}cher.de"      // u + combining diaeresis
        let ascii = "jürgen@xn--bcher-kva.de"
        #expect(indexer.participantToken(composed) == indexer.participantToken(decomposed))
        #expect(indexer.participantToken(composed) == indexer.participantToken(ascii))
        #expect(indexer.participantToken(composed) != indexer.participantToken("jurgen@bucher.de"))
        // A domain typed in Unicode finds addresses whatever form they came in.
        let fromAddress = try #require(MetadataIndexer.domain(of: MetadataIndexer.normalize(decomposed)))
        #expect(indexer.domainToken("bücher.de") == indexer.domainToken(fromAddress))
        #expect(indexer.domainToken("XN--BCHER-KVA.DE") == indexer.domainToken("Bu\u{0308}cher.de"))
    }

    @Test func asciiAddressesAreNormalisedExactlyAsBefore() throws {
        // The rule for ASCII input is unchanged (trim, lower-case A–Z): their tokens stay as stored.
        for (raw, expected) in [("  Alice@Example.COM ", "alice@example.com"), ("bob@xn--bcher-kva.de", "bob@xn--bcher-kva.de"),
                                ("whatsapp:+15551234567", "whatsapp:+15551234567"), ("UPPER", "upper")] {
            #expect(MetadataIndexer.normalize(raw) == expected)
            #expect(MetadataIndexer.normalize(raw) == raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased())
        }
    }
}
