import CustosCore
import CustosRuntime
import CustosTestSupport
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// `GET /metrics` (issue 19): only for the peers the operator allowed, labels that never carry what a client
/// wrote, and counters that move with the work. The registry is process-wide and tests run in parallel, so
/// every count is compared as "at least this much more than before".
@Suite struct MetricsTests {
    /// The live client connects to "localhost", which reaches the server as 127.0.0.1 or ::1.
    static let loopback = [try! IPNetwork("127.0.0.1/32"), try! IPNetwork("::1/128")]

    static var allowingLoopback: WebConfiguration {
        var configuration = WebConfiguration()
        configuration.metricsFrom = loopback
        return configuration
    }

    @Test func nobodyReadsMetricsWithoutAnAllowList() async throws {
        let h = try await Harness.make()
        try await h.run(.live) { client in
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .notFound && !r.text.contains("custos_"))
        }
    }

    @Test func aPeerOutsideTheListGets404EvenWhenItsProxyNamesAnAllowedClient() async throws {
        // Loopback is a trusted proxy here and names a client inside the allowed network: the connection's own
        // peer still decides, and it is outside.
        var configuration = WebConfiguration.behindLoopbackProxy
        configuration.metricsFrom = [try IPNetwork("10.0.0.0/8")]
        let h = try await Harness.make(configuration: configuration)
        try await h.run(.live) { client in
            let r = try await client.execute(uri: "/metrics", method: .get, headers: [.xForwardedFor: "10.1.2.3"])
            #expect(r.status == .notFound && !r.text.contains("custos_"))
        }
    }

    @Test func withoutAPeerAddressNothingIsAllowed() async throws {
        var configuration = WebConfiguration()
        configuration.metricsFrom = [try IPNetwork("0.0.0.0/0"), try IPNetwork("::/0")]
        let h = try await Harness.make(configuration: configuration)
        try await h.run(.router) { client in
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .notFound)
        }
    }

    @Test func anAllowedPeerSeesRequestCountsAndLatencyMove() async throws {
        let h = try await Harness.make(configuration: Self.allowingLoopback)
        try await h.run(.live) { client in
            let before = try await Self.scrape(client)
            for _ in 1...3 { #expect(try await client.execute(uri: "/login", method: .get).status == .ok) }
            let after = try await Self.scrape(client)
            let requests = #"custos_http_requests_total{route="/login",method="GET",status="200"}"#
            let timed = #"custos_http_request_duration_seconds_count{route="/login",method="GET"}"#
            #expect(Self.value(after, requests) >= Self.value(before, requests) + 3)
            #expect(Self.value(after, timed) >= Self.value(before, timed) + 3)
            // Every scrape is itself a request, counted by the time of the next one.
            #expect(Self.value(after, #"custos_http_requests_total{route="/metrics",method="GET",status="200"}"#) >= 1)
        }
    }

    @Test func labelsNameRouteTemplatesAndNeverWhatTheClientWrote() async throws {
        let h = try await Harness.make(configuration: Self.allowingLoopback)
        let declared = Set(h.table.map(\.path))
        try await h.run(.live) { client in
            _ = try await client.execute(uri: "/requests/987654321?q=zebraquery", method: .get)
            _ = try await client.execute(uri: "/no-such-page/55555?token=quagga", method: .get)
            _ = try await client.execute(uri: "/admin/users/424242/roles", method: .post)
            let text = try await Self.scrape(client)
            #expect(text.contains(#"custos_http_requests_total{route="/requests/{id}",method="GET",status="303"}"#))
            let labels = Self.labelSets(in: text).joined(separator: "\n")
            for secret in ["987654321", "zebraquery", "55555", "quagga", "no-such-page", "424242", "?"] {
                #expect(!labels.contains(secret), "\(secret) reached a label")
            }
            for route in Self.labelValues("route", in: labels) {
                #expect(declared.contains(route) || ["unmatched", "static"].contains(route), "route label \(route)")
            }
            for method in Self.labelValues("method", in: labels) {
                #expect(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"].contains(method), "method label \(method)")
            }
        }
    }

    @Test func ingestAuditAndWriterWaitCountersMoveAndGaugesFollowTheDatabase() async throws {
        let before = MetricsBackend.registry.emitToString()
        let w = try await DecryptionWorld.make(messages: 3)
        let token = try require(try w.system.captureTokens.authenticate(w.f.token))
        // Again: three duplicates; and one item that fails validation.
        var bad = try w.f.item("bad", uid: "email:metrics-bad")
        bad.epoch = 9_999
        let again = try (0..<3).map { i in try w.f.item("again \(i)", uid: "email:grant-\(i)") } + [bad]
        let results = try w.system.ingest.ingest(again, token: token, client: "test")
        #expect(results.map(\.status) == [.duplicate, .duplicate, .duplicate, .rejected])

        let request = try w.file()
        var text = try await Self.scrape(w.system)
        let ingested = { (outcome: String) in #"custos_ingest_messages_total{outcome="\#(outcome)"}"# }
        #expect(Self.value(text, ingested("stored")) >= Self.value(before, ingested("stored")) + 3)
        #expect(Self.value(text, ingested("duplicate")) >= Self.value(before, ingested("duplicate")) + 3)
        #expect(Self.value(text, ingested("rejected")) >= Self.value(before, ingested("rejected")) + 1)
        // The ceremony, the users, two ingest batches and the filing were all audited.
        #expect(Self.value(text, "custos_audit_appends_total") >= Self.value(before, "custos_audit_appends_total") + 5)
        #expect(Self.value(text, "custos_db_write_wait_seconds_count") > Self.value(before, "custos_db_write_wait_seconds_count"))
        #expect(Self.value(text, "custos_requests_pending") == 1 && Self.value(text, "custos_grants_live") == 0)

        try await w.approve(request, by: 0)
        try await w.approve(request, by: 1)
        text = try await Self.scrape(w.system)
        #expect(Self.value(text, "custos_requests_pending") == 0 && Self.value(text, "custos_grants_live") == 1)
        // Past its end a grant is no longer live, even before the timer closes it.
        w.clock.advance(3 * 3_600)
        text = try await Self.scrape(w.system)
        #expect(Self.value(text, "custos_grants_live") == 0)
    }

    // SQLite's one writer lock; PostgreSQL's writers wait on the same metric in PostgresArchiveStore.write.
    @Test(.enabled(if: TestDatabase.isSQLite)) func aWriterThatWaitsForAnotherIsTimed() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let database = try h.system.sqliteDatabase()
        let sum = "custos_db_write_wait_seconds_sum"
        let before = Self.value(MetricsBackend.registry.emitToString(), sum)
        // One writer takes the lock on a thread of its own and keeps it until 0.5 s after a second one has asked; the
        // second one's wait is what it measures itself (most of the 0.5 s, unless a loaded machine delays it).
        let holds = Atomic<Bool>(false)
        let asked = Atomic<Bool>(false)
        Thread {
            _ = try? database.write { _ in
                holds.store(true, ordering: .releasing)
                // Generous: on a machine loaded by other work the asking task can be kept off a CPU for seconds.
                let deadline = Date().addingTimeInterval(60)
                while !asked.load(ordering: .acquiring), Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
                Thread.sleep(forTimeInterval: 0.5)
            }
        }.start()
        let deadline = ContinuousClock.now + .seconds(60)
        while !holds.load(ordering: .acquiring), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        asked.store(true, ordering: .releasing)
        let started = ContinuousClock.now
        try database.write { _ in }
        let elapsed = ContinuousClock.now - started
        let waited = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        #expect(waited > 0.05, "the second writer did not wait (\(waited) s): the machine delayed it past the hold")
        #expect(Self.value(MetricsBackend.registry.emitToString(), sum) >= before + waited * 0.8)
    }

    // MARK: Helpers

    /// GET /metrics on `client`, which must be an allowed peer.
    static func scrape(_ client: any TestClientProtocol) async throws -> String {
        let r = try await client.execute(uri: "/metrics", method: .get)
        #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        return r.text
    }

    /// GET /metrics from loopback, on an application of its own over `system`.
    static func scrape(_ system: CustosSystem) async throws -> String {
        let (router, _) = try await buildRouter(system: system, configuration: allowingLoopback)
        return try await Application(router: router).test(.live) { try await scrape($0) }
    }

    /// The value of the sample `series` (name with its labels exactly as exposed); 0 when absent.
    static func value(_ text: String, _ series: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? .nan
        }
        return 0
    }

    /// The label set of every sample, `{…}` without the braces.
    static func labelSets(in text: String) -> [Substring] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { return nil }
            return line[line.index(after: open)..<close]
        }
    }

    /// Every value label `name` takes in `text`.
    static func labelValues(_ name: String, in text: String) -> Set<String> {
        var values: Set<String> = []
        var rest = Substring(text)
        while let start = rest.range(of: "\(name)=\"") {
            rest = rest[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            values.insert(String(rest[..<end]))
            rest = rest[end...]
        }
        return values
    }
}
