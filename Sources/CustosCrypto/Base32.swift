internal import ExtrasBase64

/// RFC 4648 base32 (upper-case alphabet), the form authenticator apps expect TOTP secrets in. The
/// coding is swift-extras-base64's; this type adds the policy for keys people read and type.
public enum Base32 {
    /// Encodes `bytes` without `=` padding, as otpauth:// URIs carry it.
    public static func encode(_ bytes: [UInt8]) -> String {
        ExtrasBase64.Base32.encodeToString(bytes: bytes, options: .omitPaddingCharacter)
    }

    /// Decodes case-insensitively, skipping spaces and `=` wherever they stand; nil on any other
    /// character or an impossible length (1, 3 or 6 symbols left over after the last full group of 8).
    public static func decode(_ string: String) -> [UInt8]? {
        let symbols = string.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "=") }
        // The package itself skips tabs, line breaks and "+" and stops at "="; a typed key may hold none of them.
        guard symbols.allSatisfy(isSymbol), ![1, 3, 6].contains(symbols.count % 8) else { return nil }
        return try? ExtrasBase64.Base32.decode(bytes: symbols)
    }

    private static func isSymbol(_ character: UInt8) -> Bool {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "2")...UInt8(ascii: "7"): true
        default: false
        }
    }
}
