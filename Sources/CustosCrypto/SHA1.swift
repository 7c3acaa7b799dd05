/// SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), here only because authenticator apps default to
/// HMAC-SHA1 for TOTP and libsodium has no SHA-1. Not for any other use: SHA-1 collisions are
/// practical, though HMAC-SHA1 as a PRF is still sound.
enum SHA1 {
    static let blockLength = 64
    static let digestLength = 20

    /// The SHA-1 digest of `message`.
    static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var w = [UInt32](repeating: 0, count: 80)

        // Padding: 0x80, zeros to 56 mod 64, then the bit length as a big-endian UInt64.
        var padded = message
        padded.append(0x80)
        while padded.count % blockLength != 56 { padded.append(0) }
        let bitLength = UInt64(message.count) &* 8
        for shift in stride(from: 56, through: 0, by: -8) {
            padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }

        for blockStart in stride(from: 0, to: padded.count, by: blockLength) {
            for t in 0..<16 {
                let i = blockStart + 4 * t
                w[t] = UInt32(padded[i]) << 24 | UInt32(padded[i + 1]) << 16
                    | UInt32(padded[i + 2]) << 8 | UInt32(padded[i + 3])
            }
            for t in 16..<80 {
                w[t] = rotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1)
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4]
            for t in 0..<80 {
                let f: UInt32
                let k: UInt32
                switch t {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
                default: f = b ^ c ^ d; k = 0xCA62_C1D6
                }
                let temp = rotateLeft(a, 5) &+ f &+ e &+ k &+ w[t]
                e = d
                d = c
                c = rotateLeft(b, 30)
                b = a
                a = temp
            }
            h[0] &+= a
            h[1] &+= b
            h[2] &+= c
            h[3] &+= d
            h[4] &+= e
        }
        // The padded copy holds the message (a TOTP secret when called from HMAC): wipe it.
        Sodium.wipe(&padded)

        var digest: [UInt8] = []
        digest.reserveCapacity(digestLength)
        for word in h {
            digest += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16),
                       UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
        return digest
    }

    /// HMAC-SHA1 of `message` under `key` (any length; keys longer than a block are hashed first).
    static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var blockKey = key.count > blockLength ? hash(key) : key
        blockKey += [UInt8](repeating: 0, count: blockLength - blockKey.count)
        var inner = blockKey.map { $0 ^ 0x36 } + message
        var outer = blockKey.map { $0 ^ 0x5C }
        var innerDigest = hash(inner)
        outer += innerDigest
        let mac = hash(outer)
        Sodium.wipe(&blockKey)
        Sodium.wipe(&inner)
        Sodium.wipe(&outer)
        Sodium.wipe(&innerDigest)
        return mac
    }

    @inline(__always)
    private static func rotateLeft(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x << n) | (x >> (32 - n))
    }
}
