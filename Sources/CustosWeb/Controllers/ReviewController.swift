import CustosCore
import CustosViews
import Hummingbird

/// Legal's side of review: the coding layout of a matter (or of the archive) that reviewers code with.
struct ReviewController {
    let review: ReviewService
    let holds: HoldService
    let renderer: Renderer

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.codingLayout, .roles([.legal])) { _, context, auth in
            try layoutPage(matterID: nil, context, auth, typed: nil, notice: nil, error: nil, status: .ok)
        }
        routes.post(Paths.codingLayout, .roles([.legal])) { request, context, auth in
            try await saveLayout(matterID: nil, request, context, auth)
        }
        routes.get(Paths.matterCodingLayout, .roles([.legal])) { request, context, auth in
            let saved = request.uri.queryParameters["saved"] != nil ? "The coding layout is saved." : nil
            return try layoutPage(matterID: try Self.id(context), context, auth, typed: nil, notice: saved, error: nil, status: .ok)
        }
        routes.post(Paths.matterCodingLayout, .roles([.legal])) { request, context, auth in
            try await saveLayout(matterID: try Self.id(context), request, context, auth)
        }
        routes.get(Paths.matterNotes, .roles([.legal])) { _, context, auth in
            let id = try Self.id(context)
            let notes = try review.matterNotes(matterID: id, user: auth.user, actor: context.actor).map(NoteRow.init)
            return renderer.page("review/notes", MatterNotesView(
                chrome: ChromeBuilder.make("Review notes of matter \(id)", context: context, current: Paths.matters),
                notes: notes, noteCount: notes.count, openCount: notes.filter(\.open).count,
                resolvedCount: notes.filter { $0.resolved != nil }.count, backPath: Paths.with(Paths.matter, id: id)))
        }
        routes.get(Paths.matterCodingCSV, .roles([.legal])) { _, context, auth in
            let id = try Self.id(context)
            return Self.csv(try review.codingCSV(matterID: id, user: auth.user, actor: context.actor), name: "custos-matter-\(id)-coding.csv")
        }
        routes.get(Paths.matterPrivilegeLog, .roles([.legal])) { _, context, auth in
            let id = try Self.id(context)
            return Self.csv(try review.privilegeLogCSV(matterID: id, user: auth.user, actor: context.actor),
                            name: "custos-matter-\(id)-privilege-log.csv")
        }
    }

    static func csv(_ export: ReviewService.Export, name: String) -> Response {
        Response(status: .ok, headers: [
            .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
            .contentDisposition: "attachment; filename=\"\(name)\"",
        ], body: .init(byteBuffer: ByteBuffer(string: export.csv)))
    }

    private func saveLayout(matterID: Int64?, _ request: Request, _ context: AppContext, _ auth: Authenticated) async throws -> Response {
        let form = try await Form.read(request, context: context)
        let text = form["layout"] ?? ""
        do {
            try review.defineLayout(matterID: matterID, text: text, user: auth.user, actor: context.actor)
            let page = matterID.map { Paths.with(Paths.matterCodingLayout, id: $0) } ?? Paths.codingLayout
            return Response(status: .seeOther, headers: [.location: page + "?saved=1"])
        } catch DomainError.invalidInput(let message) {
            return try layoutPage(matterID: matterID, context, auth, typed: text, notice: nil, error: message, status: .badRequest)
        }
    }

    private func layoutPage(matterID: Int64?, _ context: AppContext, _ auth: Authenticated, typed: String?, notice: String?,
                            error: String?, status: HTTPResponse.Status) throws -> Response {
        var canEdit = true
        var title = "Coding layout of the archive"
        if let matterID {
            let matter = try holds.matter(id: matterID, user: auth.user, actor: context.actor)
            canEdit = matter.isMember
            title = "Coding layout of matter \(matterID)"
        }
        let current = try review.layout(scope: matterID.map { .matter($0) } ?? .archive)
        let view = CodingLayoutView(
            chrome: ChromeBuilder.make(title, context: context, current: Paths.matters, notice: notice, error: error),
            text: typed ?? current.layout.text, defined: current.defined, canEdit: canEdit,
            action: matterID.map { Paths.with(Paths.matterCodingLayout, id: $0) } ?? Paths.codingLayout,
            fields: current.layout.fields.map { f in
                LayoutFieldRow(label: f.label, key: f.key, choices: f.choices.map { "\($0.label) (\($0.key))" }.joined(separator: ", "))
            },
            tags: current.layout.tags.map { "\($0.label) (\($0.key))" }.joined(separator: ", "),
            backPath: matterID.map { Paths.with(Paths.matter, id: $0) } ?? Paths.matters)
        return renderer.page("review/layout", view, status: status)
    }

    static func id(_ context: AppContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("There is no matter with that number.") }
        return id
    }
}

struct LayoutFieldRow: Sendable { var label: String; var key: String; var choices: String }

/// Legal's list of a matter's notes and escalations.
struct MatterNotesView: Sendable {
    var chrome: Chrome
    var notes: [NoteRow]
    var noteCount: Int
    var openCount: Int
    var resolvedCount: Int
    var backPath: String
}

/// The coding layout page.
struct CodingLayoutView: Sendable {
    var chrome: Chrome
    var text: String
    var defined: Bool
    var canEdit: Bool
    var action: String
    var fields: [LayoutFieldRow]
    var tags: String
    var backPath: String
}
