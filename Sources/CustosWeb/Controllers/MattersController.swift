import CustosCore
import CustosViews
import Foundation
import Hummingbird

/// Matters and legal holds, for the legal role: open a matter, preview and place holds, release them
/// with a reason, track who was notified. Every page shows metadata only.
struct MattersController {
    let holds: HoldService
    let renderer: Renderer
    static let legal: Access = .roles([.legal])

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.matters, Self.legal) { _, context in
            try listPage(context, typed: ("", ""), error: nil, status: .ok)
        }
        routes.post(Paths.matters, Self.legal) { request, context, auth in
            let form = try await Form.read(request, context: context)
            let typed = (form["name"] ?? "", form["description"] ?? "")
            do {
                let id = try holds.createMatter(name: typed.0, description: typed.1, user: auth.user, actor: context.actor)
                return Self.redirect(Paths.with(Paths.matter, id: id) + "?done=opened")
            } catch let e as DomainError where e != .auditUnavailable {
                return try listPage(context, typed: typed, error: e.message, status: e.httpStatus)
            }
        }
        routes.get(Paths.matter, Self.legal) { request, context, auth in
            let done = request.uri.queryParameters["done"].map(String.init) ?? ""
            return try matterPage(context, auth, id: try Self.id(context), notice: Self.notices[done], error: nil, status: .ok)
        }
        routes.post(Paths.matterEdit, Self.legal) { request, context, auth in
            let id = try Self.id(context)
            let form = try await Form.read(request, context: context)
            do {
                guard let status = MatterRecord.Status(rawValue: form["status"] ?? "") else {
                    throw DomainError.invalidInput("Choose whether the matter is open or closed.")
                }
                try holds.updateMatter(id: id, name: form["name"] ?? "", description: form["description"] ?? "", status: status,
                                       user: auth.user, actor: context.actor)
                return Self.redirect(Paths.with(Paths.matter, id: id) + "?done=updated")
            } catch let e as DomainError where e != .auditUnavailable {
                return try matterPage(context, auth, id: id, notice: nil, error: e.message, status: e.httpStatus)
            }
        }
        routes.post(Paths.matterMembers, Self.legal) { request, context, auth in
            let id = try Self.id(context)
            let form = try await Form.read(request, context: context)
            do {
                try holds.addMember(matterID: id, username: form["username"] ?? "", user: auth.user, actor: context.actor)
                return Self.redirect(Paths.with(Paths.matter, id: id) + "?done=member")
            } catch let e as DomainError where e != .auditUnavailable {
                return try matterPage(context, auth, id: id, notice: nil, error: e.message, status: e.httpStatus)
            }
        }
        routes.get(Paths.matterHoldsNew, Self.legal) { request, context, auth in
            let id = try Self.id(context)
            let fields = SearchController.pairs(request)
            return try newHoldPage(context, auth, matterID: id, fields: fields, preview: !fields.isEmpty)
        }
        routes.post(Paths.matterHolds, Self.legal) { request, context, auth in
            let id = try Self.id(context)
            let form = try await Form.read(request, context: context)
            let fields = HoldFields(form: form)
            do {
                let scope = try fields.scope()
                let hold = try holds.place(matterID: id, scope: scope, user: auth.user, actor: context.actor)
                return Self.redirect(Paths.with(Paths.hold, id: hold) + "?done=placed")
            } catch let e as DomainError where e != .auditUnavailable {
                return try newHoldPage(context, auth, matterID: id, fields: fields.pairs, preview: false, error: e.message,
                                       status: e.httpStatus)
            }
        }
        routes.get(Paths.hold, Self.legal) { request, context, auth in
            let done = request.uri.queryParameters["done"].map(String.init) ?? ""
            return try holdPage(context, auth, id: try Self.id(context), notice: Self.notices[done], error: nil, status: .ok)
        }
        routes.post(Paths.holdRelease, Self.legal) { request, context, auth in
            try await holdAction(request, context, auth, done: "released") { form, auth, id in
                try holds.release(id: id, reason: form["reason"] ?? "", user: auth.user, actor: context.actor)
            }
        }
        routes.post(Paths.holdNotices, Self.legal) { request, context, auth in
            try await holdAction(request, context, auth, done: "notified") { form, auth, id in
                try holds.addNotice(holdID: id, person: form["person"] ?? "", user: auth.user, actor: context.actor)
            }
        }
        routes.post(Paths.holdNoticeAcknowledge, Self.legal) { request, context, auth in
            try await holdAction(request, context, auth, done: "acknowledged") { form, auth, id in
                guard let notice = Int64(form["notice"] ?? "") else { throw DomainError.invalidInput("Choose a notice.") }
                try holds.acknowledge(noticeID: notice, holdID: id, user: auth.user, actor: context.actor)
            }
        }
    }

    static let notices = [
        "opened": "The matter is open, and you work on it. Place legal holds to preserve what it needs.",
        "updated": "The matter is updated.",
        "member": "The person now works on this matter.",
        "placed": "The hold is in force: nothing it covers can be disposed of, including messages captured from now on.",
        "released": "The hold is released. What it alone kept is disposed of when its retention period ends.",
        "notified": "The notice is recorded.",
        "acknowledged": "The acknowledgement is recorded.",
    ]

    static func redirect(_ location: String) -> Response { Response(status: .seeOther, headers: [.location: location]) }

    static func id(_ context: AppContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("There is no such page.") }
        return id
    }

    private func holdAction(_ request: Request, _ context: AppContext, _ auth: Authenticated, done: String,
                            _ body: (Form, Authenticated, Int64) throws -> Void) async throws -> Response {
        let id = try Self.id(context)
        let form = try await Form.read(request, context: context)
        do {
            try body(form, auth, id)
            return Self.redirect(Paths.with(Paths.hold, id: id) + "?done=" + done)
        } catch let e as DomainError where e != .auditUnavailable {
            return try holdPage(context, auth, id: id, notice: nil, error: e.message, status: e.httpStatus, reason: form["reason"] ?? "")
        }
    }

    // MARK: Pages

    private func listPage(_ context: AppContext, typed: (String, String), error: String?, status: HTTPResponse.Status) throws -> Response {
        let rows = try holds.matters(actor: context.actor).map { m in
            MatterRow(id: m.record.id, path: Paths.with(Paths.matter, id: m.record.id), name: m.name, status: m.record.status.rawValue,
                      activeHolds: m.record.activeHolds, createdBy: m.record.createdBy, createdAt: TimeFormat.utc(m.record.createdAt))
        }
        return renderer.page("matters/list", MatterListView(
            chrome: ChromeBuilder.make("Matters and legal holds", context: context, current: Paths.matters, error: error),
            rows: rows, name: typed.0, description: typed.1, action: Paths.matters), status: status)
    }

    private func matterPage(_ context: AppContext, _ auth: Authenticated, id: Int64, notice: String?, error: String?, status: HTTPResponse.Status) throws -> Response {
        let d = try holds.matter(id: id, user: auth.user, actor: context.actor)
        let m = d.matter
        return renderer.page("matters/matter", MatterView(
            chrome: ChromeBuilder.make("Matter \(id): \(m.name)", context: context, current: Paths.matters, notice: notice, error: error),
            id: id, name: m.name, description: m.description, status: m.record.status.rawValue, open: m.record.status == .open,
            createdBy: m.record.createdBy, createdAt: TimeFormat.utc(m.record.createdAt), updatedAt: TimeFormat.utc(m.record.updatedAt),
            members: d.members.map { MemberRow(username: $0.username, addedAt: TimeFormat.utc($0.addedAt)) },
            holds: d.holds.map { HoldRow($0) }, activeHolds: m.record.activeHolds, isMember: d.isMember,
            newHoldPath: Paths.with(Paths.matterHoldsNew, id: id), editAction: Paths.with(Paths.matterEdit, id: id),
            membersAction: Paths.with(Paths.matterMembers, id: id), searchPath: Paths.search + "?matter=\(id)",
            codingLayoutPath: Paths.with(Paths.matterCodingLayout, id: id),
            codingCSVPath: Paths.with(Paths.matterCodingCSV, id: id), privilegeLogPath: Paths.with(Paths.matterPrivilegeLog, id: id),
            notesPath: Paths.with(Paths.matterNotes, id: id),
            statuses: [OptionRow(value: "open", label: "open", selected: m.record.status == .open),
                       OptionRow(value: "closed", label: "closed", selected: m.record.status == .closed)]), status: status)
    }

    private func newHoldPage(_ context: AppContext, _ auth: Authenticated, matterID: Int64, fields: [(String, String)], preview: Bool, error: String? = nil,
                             status: HTTPResponse.Status = .ok) throws -> Response {
        let d = try holds.matter(id: matterID, user: auth.user, actor: context.actor)
        let typed = HoldFields(pairs: fields)
        var covered: Int?
        var problem = error
        var status = status
        if preview {
            do {
                covered = try holds.preview(matterID: matterID, scope: try typed.scope(), user: auth.user, actor: context.actor)
            } catch let e as DomainError where e != .auditUnavailable {
                problem = e.message
                status = e.httpStatus
            }
        }
        let searchQuery = typed.searchLink()
        return renderer.page("matters/hold-new", HoldNewView(
            chrome: ChromeBuilder.make("New legal hold in matter \(matterID)", context: context, current: Paths.matters, error: problem),
            matterID: matterID, matterName: d.matter.name, matterPath: Paths.with(Paths.matter, id: matterID),
            open: d.matter.record.status == .open, isMember: d.isMember,
            participant: typed.participant, domain: typed.domain, conversation: typed.conversation, platform: typed.platform,
            after: typed.after, before: typed.before, previewed: covered != nil, covered: covered ?? 0,
            previewAction: Paths.with(Paths.matterHoldsNew, id: matterID), placeAction: Paths.with(Paths.matterHolds, id: matterID),
            searchPath: searchQuery.map { Paths.search + "?" + $0 }), status: status)
    }

    private func holdPage(_ context: AppContext, _ auth: Authenticated, id: Int64, notice: String?, error: String?, status: HTTPResponse.Status,
                          reason: String = "") throws -> Response {
        let d = try holds.hold(id: id, user: auth.user, actor: context.actor)
        let r = d.record
        return renderer.page("matters/hold", HoldView(
            chrome: ChromeBuilder.make("Legal hold \(id)", context: context, current: Paths.matters, notice: notice, error: error),
            id: id, matterName: d.matter.name, matterPath: Paths.with(Paths.matter, id: r.matterID), active: r.active,
            status: r.active ? "active" : "released", scope: d.scope, covered: d.covered,
            placedBy: r.placedBy, placedAt: TimeFormat.utc(r.placedAt), releasedBy: r.releasedBy, releasedAt: r.releasedAt.map(TimeFormat.utc),
            releaseReason: d.releaseReason, isMember: d.isMember, canRelease: d.isMember && r.active, reason: reason,
            releaseAction: Paths.with(Paths.holdRelease, id: id), searchPath: Paths.search + "?hold=\(id)",
            notices: d.notices.map { n in
                NoticeRow(id: n.record.id, person: n.person, notifiedAt: TimeFormat.utc(n.record.notifiedAt), notifiedBy: n.record.notifiedBy,
                          acknowledgedAt: n.record.acknowledgedAt.map(TimeFormat.utc), canAcknowledge: d.isMember && n.record.acknowledgedAt == nil)
            },
            pendingNotices: d.notices.filter { $0.record.acknowledgedAt == nil }.count,
            noticeAction: Paths.with(Paths.holdNotices, id: id), acknowledgeAction: Paths.with(Paths.holdNoticeAcknowledge, id: id)),
            status: status)
    }
}

/// The hold form's fields as typed (each may hold several values, one per line).
struct HoldFields: Sendable {
    var participant = ""
    var domain = ""
    var conversation = ""
    var platform = ""
    var after = ""
    var before = ""

    init(form: Form) {
        participant = form.all("participant").joined(separator: "\n")
        domain = form.all("domain").joined(separator: "\n")
        conversation = form.all("conversation").joined(separator: "\n")
        platform = form.all("platform").joined(separator: "\n")
        after = form["after"] ?? ""
        before = form["before"] ?? ""
    }

    init(pairs: [(String, String)]) {
        func all(_ name: String) -> String { pairs.filter { $0.0 == name }.map(\.1).joined(separator: "\n") }
        participant = all("participant")
        domain = all("domain")
        conversation = all("conversation")
        platform = all("platform")
        after = pairs.first { $0.0 == "after" }?.1 ?? ""
        before = pairs.first { $0.0 == "before" }?.1 ?? ""
    }

    var pairs: [(String, String)] {
        [("participant", participant), ("domain", domain), ("conversation", conversation), ("platform", platform),
         ("after", after), ("before", before)].filter { !$0.1.isEmpty }
    }

    func scope() throws -> HoldScope {
        try HoldScope.parse(participant: [participant], domain: [domain], conversation: [conversation], platform: [platform],
                            after: after, before: before)
    }

    /// The same scope as a search, when search can express it (one value per kind, no conversation list).
    func searchLink() -> String? {
        guard let s = try? scope(), s.participants.count <= 1, s.domains.count <= 1, s.conversations.count <= 1, s.platforms.count <= 1 else {
            return nil
        }
        var p: [(String, String)] = []
        if let v = s.participants.first { p.append(("participant", v)) }
        if let v = s.domains.first { p.append(("domain", v)) }
        if let v = s.conversations.first { p.append(("conversation", v)) }
        if let v = s.platforms.first { p.append(("platform", v)) }
        if let v = s.after { p.append(("after", v)) }
        if let v = s.before { p.append(("before", v)) }
        return SearchService.encode(p)
    }
}
