import CustosCaptureClient
import CustosCore
import CustosTestSupport
import CustosWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A custodian's device talking to the API in-process: every request signed as `custos custodian` signs it.
struct DeviceAPI {
    let client: any TestClientProtocol
    let custodian: TestCustodian
    let clock: ManualClock

    func call(_ method: HTTPRequest.Method, _ path: String, json: [UInt8] = []) async throws -> TestResponse {
        let signed = try custodian.withDevice {
            try $0.requestHeaders(method: method.rawValue, path: path, body: json, time: clock.now())
        }
        var headers = HTTPFields()
        for (name, value) in signed { headers[HTTPField.Name(name)!] = value }
        if !json.isEmpty { headers[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: headers, body: json.isEmpty ? nil : ByteBuffer(bytes: json))
    }

    /// Fetches request `id`, computes the partials on the device and uploads them, as `custos custodian approve` does.
    func approve(_ id: String) async throws -> TestResponse {
        let task = try JSONDecoder().decode(ApprovalTaskWire.self, from: Data(try await call(.get, "/api/v1/custodian/requests/\(id)").body.readableBytesView))
        let wire = try custodian.withDevice { try CustodianApprover.partials(for: task, device: $0) }
        return try await call(.post, "/api/v1/custodian/requests/\(id)/approve", json: [UInt8](try JSONEncoder().encode(wire)))
    }
}

/// The decryption journey through the web app, each person in a session of its own.
@Suite struct DecryptionWebTests {
    @Test func requestApproveReadAndExpireThroughThePages() async throws {
        let w = try await DecryptionWorld.make(messages: 3)
        let h = w.f.harness
        try await h.run { client in
            let auditor = Browser(client)
            try await auditor.signIn("auditor1", w.auditor.password)
            let results = try await auditor.get("/search?platform=email")
            #expect(results.text.contains("name=\"message_id\" value=\"\(w.ids[0])\""))
            let new = try await auditor.get("/requests/new?message_id=\(w.ids[0])&message_id=\(w.ids[1])")
            #expect(new.status == .ok && new.text.contains("<span id=\"selected-count\">2</span>"))
            // A bad form comes back with an error and what was typed.
            let bad = try await auditor.post("/requests", [("message_id", "\(w.ids[0])"), ("justification", "short <b>"), ("reference", "M-1"), ("hours", "2")])
            #expect(bad.status == .badRequest && bad.text.contains("short &lt;b&gt;") && !bad.text.contains("short <b>"))
            let filed = try await auditor.post("/requests", [
                ("message_id", "\(w.ids[0])"), ("message_id", "\(w.ids[1])"),
                ("justification", "Investigating a leak of <script>Q3</script> numbers."), ("reference", "MATTER-7"), ("hours", "2"),
            ])
            #expect(filed.status == .seeOther)
            let location = try #require(filed.headers[.location])
            #expect(location.hasPrefix("/requests/"))

            // First custodian approves; the content stays closed.
            let keeper1 = w.f.custodians[0]
            let c1 = Browser(client)
            try await c1.signIn(keeper1.person.user.username, keeper1.person.password, totp: h.code(try #require(keeper1.person.totpSecret)))
            #expect(try await c1.get("/").text.contains("1 decryption request is waiting for a decision."))
            let page = try await c1.get(location)
            // The page shows the command to approve on the device; no form takes a passphrase.
            #expect(page.status == .ok && page.text.contains("id=\"approve-command\"") && page.text.contains("custos custodian approve"))
            #expect(!page.text.contains("type=\"password\"") && !page.text.contains("name=\"passphrase\""))
            #expect(page.text.contains("&lt;script&gt;Q3&lt;/script&gt;") && !page.text.contains("<script>Q3"))
            let requestID = String(location.dropFirst("/requests/".count))
            let approved = try await DeviceAPI(client: client, custodian: keeper1.device, clock: h.clock).approve(requestID)
            #expect(approved.status == .ok && approved.text.contains("\"recorded\""))
            let closed = try await auditor.get("/messages/\(w.ids[0])/content")
            #expect(closed.status == .forbidden)

            // There is no approve route on the web, for anyone: approvals come signed from a device.
            let selfApprove = try await auditor.post(location + "/approve", [("passphrase", "anything at all here"), ("totp", "000000")])
            #expect(selfApprove.status == .notFound || selfApprove.status == .methodNotAllowed || selfApprove.status == .forbidden)

            // Second custodian completes it.
            let keeper2 = w.f.custodians[1]
            let c2 = Browser(client)
            try await c2.signIn(keeper2.person.user.username, keeper2.person.password, totp: h.code(try #require(keeper2.person.totpSecret)))
            try await c2.get(location)
            let granted = try await DeviceAPI(client: client, custodian: keeper2.device, clock: h.clock).approve(requestID)
            #expect(granted.status == .ok && granted.text.contains("\"granted\""))

            // The auditor reads two messages: watermark, no caching, text escaped.
            let grantPage = try await auditor.get(location)
            #expect(grantPage.text.contains("/messages/\(w.ids[0])/content"))
            for i in 0..<2 {
                let read = try await auditor.get("/messages/\(w.ids[i])/content")
                #expect(read.status == .ok)
                #expect(read.headers[.cacheControl] == "no-store")
                #expect(read.text.contains("Viewed by Auditor1 (auditor1)"))
                #expect(read.text.contains("Q3 numbers, part \(i)"))
                #expect(read.text.contains(String(w.plaintexts[i].split(separator: "\r\n").last!.prefix(40))))
            }
            let raw = try await auditor.get("/messages/\(w.ids[0])/content/raw")
            #expect(raw.status == .ok && Array(raw.body.readableBytesView) == Array(w.plaintexts[0].utf8))
            #expect(raw.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            // Not in scope: the third message stays closed.
            #expect(try await auditor.get("/messages/\(w.ids[2])/content").status == .forbidden)

            let views = try h.system.archive.read { try $0.audit.entries(action: AuditAction.contentViewed.rawValue) }
            let grantID = String(location.dropFirst("/requests/".count))
            #expect(views.count == 3)
            #expect(views.allSatisfy { $0.actor == "auditor1" && $0.details.contains("request:\(grantID)") })

            // After the grant's time, content is refused and the keys are gone.
            h.clock.advance(2 * 3_600)
            let again = Browser(client)
            try await again.signIn("auditor1", w.auditor.password)
            #expect(try await again.get("/messages/\(w.ids[0])/content").status == .forbidden)
            #expect(try h.system.decryption.keyMaterialCount(requestID: try #require(Int64(grantID))) == 0)
            let expired = try await again.get(location)
            #expect(expired.text.contains("Grant expired"))
        }
    }
}
