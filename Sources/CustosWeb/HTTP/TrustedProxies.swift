import Foundation

/// The reverse proxies whose X-Forwarded-For Custos believes, and how it finds the client behind them.
/// The header is read only on connections from one of these proxies; anyone else could write anything there.
public struct TrustedProxies: Sendable {
    public let networks: [IPNetwork]

    public init(_ networks: [IPNetwork]) {
        self.networks = networks
    }

    /// Whether `address` belongs to a trusted proxy.
    public func contains(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }

    /// The client address of a request whose connection comes from `peer` and which carries `forwardedFor`
    /// (every X-Forwarded-For line, joined with commas).
    ///
    /// From a trusted peer, the hops are walked from the right, past those that are trusted proxies
    /// themselves, and the first other hop is the client: every hop to its right was written by a proxy we
    /// trust, while everything to its left came from the client and is not looked at. If every hop is a
    /// trusted proxy the leftmost is the client. A hop that is not an IP address makes the header unreadable,
    /// so the peer is the client.
    public func clientAddress(peer: String, forwardedFor: String?) -> String {
        guard let forwardedFor, let peerAddress = IPAddress(peer), contains(peerAddress) else { return peer }
        var leftmost: IPAddress?
        for hop in forwardedFor.split(separator: ",", omittingEmptySubsequences: false).reversed() {
            guard let address = IPAddress(hop.trimmingCharacters(in: .whitespaces)) else { return peer }
            if !contains(address) { return address.description }
            leftmost = address
        }
        return leftmost?.description ?? peer
    }
}
