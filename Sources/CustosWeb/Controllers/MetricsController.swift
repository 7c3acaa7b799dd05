import CustosCore
import Hummingbird
import Prometheus

extension Paths {
    /// Prometheus's scrape target.
    public static let metrics = "/metrics"
}

/// `GET /metrics` in Prometheus's text format, for the addresses the operator allowed (`--metrics-from`) and
/// nobody else: to everyone else, and to everyone when none is allowed, it answers 404 as if it did not exist.
/// The connection's own peer decides, never X-Forwarded-For, which any client can write.
struct MetricsController {
    let allowed: [IPNetwork]
    let decryption: DecryptionService
    let registry: PrometheusCollectorRegistry

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func addRoutes(to routes: SecureRouter) {
        // Open at the routing level: the scrape carries no session; the peer check below is the rule.
        routes.get(Paths.metrics, .anyone) { _, context in try scrape(context) }
    }

    /// Whether `peer` (the connection's address, "unknown" in-process) is one of the allowed networks.
    func admits(_ peer: String) -> Bool {
        guard let address = IPAddress(peer) else { return false }
        return allowed.contains { $0.contains(address) }
    }

    private func scrape(_ context: AppContext) throws -> Response {
        guard admits(context.peerAddress) else { throw HTTPError(.notFound) }
        var text = registry.emitToBuffer()
        // Computed at each scrape from the database rather than kept: always right, and per archive even when
        // one process (a test run) serves several.
        let open = try decryption.openCounts()
        Self.gauge("custos_grants_live", open.liveGrants, into: &text)
        Self.gauge("custos_requests_pending", open.pendingRequests, into: &text)
        return Response(status: .ok, headers: [.contentType: Self.contentType, .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: text)))
    }

    private static func gauge(_ name: String, _ value: Int, into text: inout [UInt8]) {
        text.append(contentsOf: "# TYPE \(name) gauge\n\(name) \(value)\n".utf8)
    }
}
