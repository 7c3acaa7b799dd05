/// A block of IP addresses in CIDR notation (10.0.0.0/8, 2001:db8::/32), or one bare address
/// (a /32 or /128). Parsing is strict: a prefix out of range or host bits set is an error, not a guess.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the block (its host bits are zero).
    public let address: IPAddress
    /// How many leading bits every address in the block shares with `address`.
    public let prefixLength: Int

    /// Why a CIDR could not be read; `description` is the message for the operator.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case notAnAddress
        case prefixNotANumber
        case prefixOutOfRange(String)
        case hostBitsSet(network: String)

        public var description: String {
            switch self {
            case .notAnAddress: "not an IPv4 or IPv6 address"
            case .prefixNotANumber: "prefix length must be a decimal number"
            case .prefixOutOfRange(let range): "prefix length must be \(range)"
            case .hostBitsSet(let network): "host bits are set (the network is \(network))"
            }
        }
    }

    /// Reads `text`, written as ADDRESS or ADDRESS/PREFIX.
    public init(_ text: String) throws(ParseError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { throw .notAnAddress }
        let writtenAsIPv6 = parts[0].contains(":")
        var prefix = address.bytes.count * 8
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...3).contains(digits.count), digits.allSatisfy({ ("0"..."9").contains($0) }),
                  digits == "0" || !digits.hasPrefix("0"), let written = Int(digits) else { throw .prefixNotANumber }
            switch (address.isIPv4, writtenAsIPv6) {
            case (false, _):
                guard written <= 128 else { throw .prefixOutOfRange("0–128 for IPv6") }
                prefix = written
            case (true, false):
                guard written <= 32 else { throw .prefixOutOfRange("0–32 for IPv4") }
                prefix = written
            case (true, true):
                // ::ffff:10.0.0.0/104 is 10.0.0.0/8: mapped addresses are held as IPv4.
                guard (96...128).contains(written) else { throw .prefixOutOfRange("96–128 for an IPv4-mapped IPv6 address") }
                prefix = written - 96
            }
        }
        let network = IPAddress(bytes: Self.masked(address.bytes, prefix))
        guard network == address else { throw .hostBitsSet(network: "\(network)/\(prefix)") }
        self.address = address
        self.prefixLength = prefix
    }

    /// Whether `candidate` lies in this block; an IPv4 block never holds an IPv6 address, nor the reverse.
    public func contains(_ candidate: IPAddress) -> Bool {
        candidate.bytes.count == address.bytes.count && Self.masked(candidate.bytes, prefixLength) == address.bytes
    }

    public var description: String { "\(address)/\(prefixLength)" }

    /// `bytes` with every bit after the first `prefix` cleared.
    static func masked(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let kept = min(max(prefix - index * 8, 0), 8)
            return kept == 0 ? 0 : byte & ~UInt8(0xff >> kept)
        }
    }
}
