#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, read strictly from its textual form. An IPv4-mapped IPv6 address
/// (::ffff:10.0.0.1) is read as the IPv4 address it carries, so one client has one form.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// Four bytes for IPv4, sixteen for IPv6, in network order.
    public let bytes: [UInt8]

    /// Whether this is an IPv4 address (mapped ones included).
    public var isIPv4: Bool { bytes.count == 4 }

    /// The address written in `text` (no port, brackets or zone), or nil if it is not exactly one.
    public init?(_ text: some StringProtocol) {
        // A C string would end at a NUL and let trailing text through unread.
        guard !text.isEmpty, !text.utf8.contains(0) else { return nil }
        let text = String(text)
        if text.utf8.contains(UInt8(ascii: ":")) {
            var raw = in6_addr()
            guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
            let all = withUnsafeBytes(of: &raw) { Array($0) }
            bytes = all.starts(with: Self.mappedPrefix) ? Array(all[12...]) : all
        } else {
            var raw = in_addr()
            guard inet_pton(AF_INET, text, &raw) == 1 else { return nil }
            bytes = withUnsafeBytes(of: &raw) { Array($0) }
        }
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The first twelve bytes of every IPv4-mapped IPv6 address.
    static let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]

    /// Dotted decimal for IPv4, the canonical compressed form (RFC 5952) for IPv6.
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return buffer.withUnsafeBufferPointer { pointer in
            String(decoding: UnsafeRawBufferPointer(pointer).prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
