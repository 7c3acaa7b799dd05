import CustosCore
import CustosViews
import Foundation
import Hummingbird

/// Decryption requests: an auditor files one, key custodians approve or reject it, a custodian or
/// security revokes a grant. Every page shows metadata only.
struct RequestsController {
    let decryption: DecryptionService
    let search: SearchService
    let review: ReviewService
    let renderer: Renderer
    /// Served over HTTPS: commands shown to copy name an https:// server.
    let tls: Bool
    static let viewers: Access = .roles([.auditor, .custodian, .security])

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.requests, Self.viewers) { _, context, auth in
            let role = auth.session.activeRole
            let rows = try decryption.list(user: auth.user, role: role).map(RequestRow.init)
            return renderer.page("requests/list", RequestListView(
                chrome: ChromeBuilder.make("Decryption requests", context: context, current: Paths.requests),
                rows: rows, isAuditor: role == .auditor, isCustodian: role == .custodian,
                pending: rows.filter { $0.pending }.count))
        }
        routes.get(Paths.requestsNew, .roles([.auditor])) { request, context in
            let params = SearchController.pairs(request)
            do {
                return try newPage(context, params: params, typed: RequestForm(), error: nil, status: .ok)
            } catch let e as DomainError where e != .auditUnavailable {
                return try newPage(context, params: [], typed: RequestForm(), error: e.message, status: e.httpStatus)
            }
        }
        routes.post(Paths.requests, .roles([.auditor])) { request, context, auth in
            let form = try await Form.read(request, context: context)
            let typed = RequestForm(justification: form["justification"] ?? "", reference: form["reference"] ?? "",
                                    hours: Int(form["hours"] ?? "") ?? 0, matter: form["matter"] ?? "")
            let ids = form.all("message_id")
            do {
                let parsed = try ids.map { raw -> Int64 in
                    guard let id = Int64(raw), id > 0 else { throw DomainError.invalidInput("Message numbers must be whole numbers.") }
                    return id
                }
                let matter = typed.matter.trimmingCharacters(in: .whitespaces)
                var matterID: Int64?
                if !matter.isEmpty {
                    guard let id = Int64(matter), id > 0 else { throw DomainError.invalidInput("A matter number is a whole number.") }
                    matterID = id
                }
                let id = try decryption.file(messageIDs: parsed, justification: typed.justification, reference: typed.reference,
                                             hours: typed.hours, matterID: matterID, user: auth.user, actor: context.actor)
                return Response(status: .seeOther, headers: [.location: Paths.with(Paths.request, id: id)])
            } catch let e as DomainError where e != .auditUnavailable {
                let kept = ids.filter { Int64($0) != nil }.prefix(decryption.policy.maximumMessages).map { ("message_id", $0) }
                return try newPage(context, params: Array(kept), typed: typed, error: e.message, status: e.httpStatus)
            }
        }
        routes.get(Paths.request, Self.viewers) { request, context, auth in
            let done = request.uri.queryParameters["done"].map(String.init) ?? ""
            return try detailPage(request, context, auth, id: Self.id(context), notice: Self.notices[done], error: nil, status: .ok)
        }
        routes.post(Paths.requestReject, .roles([.custodian])) { request, context, auth in
            let id = try Self.id(context)
            let form = try await Form.read(request, context: context)
            do {
                try decryption.reject(id: id, reason: form["reason"] ?? "", user: auth.user, actor: context.actor)
                return Self.done(id, "rejected")
            } catch let e as DomainError where e != .auditUnavailable {
                return try detailPage(request, context, auth, id: id, notice: nil, error: e.message, status: e.httpStatus)
            }
        }
        routes.post(Paths.requestRevoke, .roles([.custodian, .security])) { request, context, auth in
            let id = try Self.id(context)
            let form = try await Form.read(request, context: context)
            do {
                try decryption.revoke(id: id, reason: form["reason"] ?? "", actor: context.actor)
                return Self.done(id, "revoked")
            } catch let e as DomainError where e != .auditUnavailable {
                return try detailPage(request, context, auth, id: id, notice: nil, error: e.message, status: e.httpStatus)
            }
        }
    }

    /// After a change, the request page by GET, so reloading it repeats nothing.
    static func done(_ id: Int64, _ what: String) -> Response {
        Response(status: .seeOther, headers: [.location: Paths.with(Paths.request, id: id) + "?done=" + what])
    }

    static let notices = [
                "rejected": "You rejected the request. It is closed, and any partial decryptions made for it are deleted.",
        "revoked": "The grant is revoked and its keys are deleted.",
    ]

    static func id(_ context: AppContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("There is no request with that number.") }
        return id
    }

    /// The new-request page: the messages chosen by id, or by a search (up to the request limit).
    private func newPage(_ context: AppContext, params: [(String, String)], typed: RequestForm, error: String?,
                         status: HTTPResponse.Status) throws -> Response {
        let limit = decryption.policy.maximumMessages
        var ids = params.filter { $0.0 == "message_id" }.compactMap { Int64($0.1) }
        var total = ids.count
        var fromSearch: String?
        let filters = params.filter { SearchQuery.parameterNames.contains($0.0) && $0.0 != "cursor" }
        if ids.isEmpty && !filters.isEmpty {
            let q = try SearchQuery.parse(filters)
            let selection = try search.select(q, limit: limit, actor: context.actor)
            ids = selection.ids
            total = selection.total
            fromSearch = SearchController.describe(SearchService.encode(q.parameters))
        }
        ids = Array(Set(ids)).sorted()
        if ids.count > limit { ids = Array(ids.prefix(limit)) }
        let shown = try search.hits(ids: Array(ids.suffix(25).reversed()), purpose: "decryption request form", actor: context.actor)
        let hours = decryption.policy.maximumHours
        return renderer.page("requests/new", RequestNewView(
            chrome: ChromeBuilder.make("New decryption request", context: context, current: Paths.requests, error: error),
            count: ids.count, total: total, truncated: total > ids.count, limit: limit, fromSearch: fromSearch,
            hits: shown.map { HitRow($0) }, moreCount: ids.count > shown.count ? ids.count - shown.count : nil,
            hidden: ids.map { HiddenField(name: "message_id", value: String($0)) },
            justification: typed.justification, reference: typed.reference, matter: typed.matter,
            hours: (1...hours).map { OptionRow(value: String($0), label: $0 == 1 ? "1 hour" : "\($0) hours",
                                               selected: $0 == (typed.hours == 0 ? hours : typed.hours)) },
            hasMessages: !ids.isEmpty, action: Paths.requests), status: status)
    }

    private func detailPage(_ request: Request, _ context: AppContext, _ auth: Authenticated, id: Int64, notice: String?, error: String?, status: HTTPResponse.Status) throws -> Response {
        let role = auth.session.activeRole
        let d = try decryption.view(id: id, user: auth.user, actor: context.actor)
        let r = d.record
        let isRequester = role == .auditor && r.requesterID == auth.user.id
        var reviewSet: ReviewSetView?
        if isRequester && d.live {
            let set = try review.reviewSet(requestID: id, user: auth.user, actor: context.actor)
            let hits = try search.hits(ids: set.items.map(\.messageID), purpose: "granted messages of request \(id)", actor: context.actor)
            reviewSet = ReviewSetView(set, hits: hits)
        }
        let view = RequestDetailView(
            chrome: ChromeBuilder.make("Decryption request \(id)", context: context, current: Paths.requests, notice: notice, error: error),
            id: id, status: r.status.title, statusKey: r.status.rawValue, requester: r.requesterName, filedAt: TimeFormat.utc(r.createdAt),
            reference: d.reference, justification: d.justification, hours: r.hours, messageCount: r.messageCount,
            threshold: r.threshold, approvals: d.approvals,
            decisions: d.decisions.map { DecisionRow(username: $0.username, decision: $0.approved ? "approved" : "rejected", at: TimeFormat.utc($0.at)) },
            platforms: d.platforms.map { FacetRow(label: $0.name, count: $0.count) },
            participants: d.participants.map { FacetRow(label: $0.display, count: $0.count) },
            participantMore: d.participantTotal > d.participants.count ? d.participantTotal - d.participants.count : nil,
            showParticipants: role != .security,
            firstSent: d.firstSentAt.map(TimeFormat.utc) ?? "—", lastSent: d.lastSentAt.map(TimeFormat.utc) ?? "—",
            approveBy: r.status == .pending ? TimeFormat.utc(r.approveBy) : nil,
            expiresAt: r.expiresAt.map(TimeFormat.utc), live: d.live,
            closedBy: r.closedBy, closedAt: r.closedAt.map(TimeFormat.utc), closeReason: d.closeReason,
            canDecide: d.approvalBlocker == nil, blocker: role == .custodian ? d.approvalBlocker : nil,
            approveCommand: "custos custodian approve --server \(CustodianDeviceController.baseURL(request, tls: tls)) --key custodian.key \(id)",
            rejectAction: Paths.with(Paths.requestReject, id: id),
            canRevoke: d.live && (role == .custodian || role == .security), revokeAction: Paths.with(Paths.requestRevoke, id: id),
            isRequester: isRequester, review: reviewSet, matterID: d.matterID)
        return renderer.page("requests/request", view, status: status)
    }
}

/// What the person typed into the request form, kept when it is shown again with an error.
struct RequestForm: Sendable {
    var justification = ""
    var reference = ""
    var hours = 0
    var matter = ""
}

struct RequestRow: Sendable {
    var id: Int64
    var path: String
    var filedAt: String
    var requester: String
    var messages: Int
    var status: String
    var statusKey: String
    var threshold: Int
    var expiresAt: String
    var pending: Bool

    init(_ r: DecryptionRequestRecord) {
        id = r.id
        path = Paths.with(Paths.request, id: r.id)
        filedAt = TimeFormat.utc(r.createdAt)
        requester = r.requesterName
        messages = r.messageCount
        status = r.status.title
        statusKey = r.status.rawValue
        threshold = r.threshold
        expiresAt = r.expiresAt.map(TimeFormat.utc) ?? ""
        pending = r.status == .pending
    }
}

struct RequestListView: Sendable {
    var chrome: Chrome
    var rows: [RequestRow]
    var isAuditor: Bool
    var isCustodian: Bool
    var pending: Int
}

struct RequestNewView: Sendable {
    var chrome: Chrome
    var count: Int
    var total: Int
    var truncated: Bool
    var limit: Int
    var fromSearch: String?
    var hits: [HitRow]
    var moreCount: Int?
    var hidden: [HiddenField]
    var justification: String
    var reference: String
    var matter: String
    var hours: [OptionRow]
    var hasMessages: Bool
    var action: String
}

struct DecisionRow: Sendable { var username: String; var decision: String; var at: String }

struct RequestDetailView: Sendable {
    var chrome: Chrome
    var id: Int64
    var status: String
    var statusKey: String
    var requester: String
    var filedAt: String
    var reference: String
    var justification: String
    var hours: Int
    var messageCount: Int
    var threshold: Int
    var approvals: Int
    var decisions: [DecisionRow]
    var platforms: [FacetRow]
    var participants: [FacetRow]
    var participantMore: Int?
    var showParticipants: Bool
    var firstSent: String
    var lastSent: String
    var approveBy: String?
    var expiresAt: String?
    var live: Bool
    var closedBy: String?
    var closedAt: String?
    var closeReason: String?
    var canDecide: Bool
    var blocker: String?
    var approveCommand: String
    var rejectAction: String
    var canRevoke: Bool
    var revokeAction: String
    var isRequester: Bool
    var review: ReviewSetView?
    var matterID: Int64?
}
