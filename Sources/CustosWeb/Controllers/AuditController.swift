import CustosCore
import CustosCrypto
import CustosViews
import Foundation
import Hummingbird

/// Security's audit explorer: filtered pages of the log, one entry with the checkpoint sealing it,
/// verification on demand and exports with hashes. Viewing, exporting and verifying are audited.
struct AuditController {
    let explorer: AuditExplorer
    /// Verifies the chain, its signatures and the head file, then (if the chain holds) every envelope.
    let verify: @Sendable () throws -> (audit: AuditVerifier.Report, archive: ArchiveVerifier.Report?)
    let renderer: Renderer
    static let security: Access = .roles([.security])

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.audit, Self.security) { request, context in
            let params = SearchController.pairs(request)
            do {
                return try listPage(context, query: try AuditQuery.parse(params), notice: nil, error: nil, status: .ok)
            } catch let e as DomainError where e != .auditUnavailable {
                return try listPage(context, query: AuditQuery(), notice: nil, error: e.message, status: e.httpStatus)
            }
        }
        routes.get(Paths.auditEntry, Self.security) { _, context in
            guard let seq = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("There is no such entry.") }
            let (e, checkpoint) = try explorer.entry(seq: seq, actor: context.actor)
            return renderer.page("audit/entry", AuditEntryView(
                chrome: ChromeBuilder.make("Audit entry \(seq)", context: context, current: Paths.audit),
                row: AuditRow(e), details: Self.prettyDetails(e.details), prevHash: Hex.encode(e.prevHash), hash: Hex.encode(e.hash),
                checkpointSeq: checkpoint?.seq, checkpointAt: checkpoint.map { TimeFormat.utc($0.at) },
                checkpointSignature: checkpoint.map { Hex.encode($0.signature) },
                previousPath: seq > 1 ? Paths.with(Paths.auditEntry, id: seq - 1) : nil, nextPath: Paths.with(Paths.auditEntry, id: seq + 1)))
        }
        routes.post(Paths.auditVerify, Self.security) { _, context in
            let (audit, archive) = try verify()
            let ok = audit.ok && archive?.ok == true
            let failure = audit.failure ?? archive?.failure
            try explorer.recordVerification(ok: ok, entries: audit.entries, messages: archive?.messages ?? 0, failure: failure, actor: context.actor)
            let notice = ok
                ? "Verified: \(audit.entries) audit entries chain correctly, \(audit.checkpoints) signed checkpoints and the signed head hold, "
                    + "and \(archive?.messages ?? 0) archived messages match their hashes and ingest records."
                : nil
            return try listPage(context, query: AuditQuery(), notice: notice,
                                error: ok ? nil : "Verification FAILED: \(failure ?? "unknown failure")", status: ok ? .ok : .conflict,
                                verification: ok ? "ok" : "failed")
        }
        routes.post(Paths.auditExport, Self.security) { request, context in
            let form = try await Form.read(request, context: context)
            let q = try AuditQuery.parse(AuditQuery.parameterNames.filter { $0 != "cursor" }.compactMap { name in form[name].map { (name, $0) } })
            let jsonLines = form["format"] == "jsonl"
            let export = try explorer.export(q, jsonLines: jsonLines, actor: context.actor)
            return Response(status: .ok, headers: [
                .contentType: jsonLines ? "application/x-ndjson; charset=utf-8" : "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"custos-audit.\(jsonLines ? "jsonl" : "csv")\"",
            ], body: .init(byteBuffer: ByteBuffer(string: export.text)))
        }
    }

    /// The details JSON, one `key: value` per line.
    static func prettyDetails(_ json: String) -> [PartRow] {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            return [PartRow(part: "details", display: json)]
        }
        return obj.keys.sorted().map { PartRow(part: $0, display: "\(obj[$0] ?? "")") }
    }

    private func listPage(_ context: AppContext, query: AuditQuery, notice: String?, error: String?, status: HTTPResponse.Status,
                          verification: String? = nil) throws -> Response {
        let page = try explorer.page(query, actor: context.actor)
        let filters = SearchService.encode(query.parameters)
        return renderer.page("audit/list", AuditListView(
            chrome: ChromeBuilder.make("Audit log", context: context, current: Paths.audit, notice: notice, error: error),
            actor: query.actor ?? "", target: query.target ?? "", after: query.after ?? "", before: query.before ?? "",
            roles: [OptionRow(value: "", label: "any role", selected: query.role == nil)]
                + (Role.allCases.map(\.rawValue) + ["capture", "none"]).map { OptionRow(value: $0, label: $0, selected: $0 == query.role) },
            actions: [OptionRow(value: "", label: "any action", selected: query.action == nil)]
                + AuditAction.allCases.map(\.rawValue).sorted().map { OptionRow(value: $0, label: $0, selected: $0 == query.action) },
            rows: page.entries.map(AuditRow.init),
            nextPath: page.next.map { Paths.audit + "?" + SearchService.encode(query.parameters + [("cursor", $0.encoded)]) },
            headSeq: page.head?.seq ?? 0, headHash: page.head.map { Hex.encode($0.hash) } ?? "",
            headAt: page.head.map { TimeFormat.utc($0.at) } ?? "—",
            checkpointSeq: page.lastCheckpoint?.seq, checkpointAt: page.lastCheckpoint.map { TimeFormat.utc($0.at) },
            checkpointHash: page.lastCheckpoint.map { Hex.encode($0.hash) },
            hidden: query.parameters.map { HiddenField(name: $0.0, value: $0.1) }, filtered: !filters.isEmpty,
            verification: verification, exportLimit: AuditExplorer.exportLimit.formatted(.number.grouping(.automatic))), status: status)
    }
}

struct AuditRow: Sendable {
    var seq: Int64
    var path: String
    var at: String
    var actor: String
    var role: String
    var action: String
    var target: String
    var client: String

    init(_ e: AuditEntry) {
        seq = e.seq
        path = Paths.with(Paths.auditEntry, id: e.seq)
        at = TimeFormat.utc(e.at)
        actor = e.actor
        role = e.role
        action = e.action
        target = e.target
        client = e.client
    }
}

struct AuditListView: Sendable {
    var chrome: Chrome
    var actor: String
    var target: String
    var after: String
    var before: String
    var roles: [OptionRow]
    var actions: [OptionRow]
    var rows: [AuditRow]
    var nextPath: String?
    var headSeq: Int64
    var headHash: String
    var headAt: String
    var checkpointSeq: Int64?
    var checkpointAt: String?
    var checkpointHash: String?
    var hidden: [HiddenField]
    var filtered: Bool
    var verification: String?
    var exportLimit: String
}

struct AuditEntryView: Sendable {
    var chrome: Chrome
    var row: AuditRow
    var details: [PartRow]
    var prevHash: String
    var hash: String
    var checkpointSeq: Int64?
    var checkpointAt: String?
    var checkpointSignature: String?
    var previousPath: String?
    var nextPath: String
}
