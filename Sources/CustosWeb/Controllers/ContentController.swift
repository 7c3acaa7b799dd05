import CustosCapture
import CustosCore
import CustosViews
import Foundation
import Hummingbird

/// Message content under a live grant of the viewer's own. The grant check and the audit entry
/// happen in one transaction before anything is decrypted; pages carry a watermark of viewer and
/// time, and nothing here may be cached (the renderer sends `Cache-Control: no-store`).
///
/// Content is shown only as escaped text: HTML parts are turned into plain text by
/// `ContentReader`, and nothing from a message ever reaches the page unescaped.
///
/// The page is also where a reviewer codes the message: the form posts to `/messages/{id}/coding`, which checks the
/// same live grant in the transaction that stores and audits the decision.
struct ContentController {
    let decryption: DecryptionService
    let review: ReviewService
    let renderer: Renderer

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.messageContent, .roles([.auditor])) { request, context, auth in
            let id = try Self.id(context)
            let query = request.uri.queryParameters
            let notice = query["coded"] != nil ? "Your coding is saved and recorded in the audit log."
                : query["noted"] != nil ? "Your note is saved and recorded in the audit log."
                : query["resolved"] != nil ? "The escalation is resolved and recorded in the audit log." : nil
            return try contentPage(id, context, auth, typed: nil, notice: notice, error: nil, status: .ok)
        }
        routes.post(Paths.messageCoding, .roles([.auditor])) { request, context, auth in
            let id = try Self.id(context)
            let form = try await Form.read(request, context: context)
            var codes: [String: String] = [:]
            for (name, value) in form.pairs where !["csrf", "tag", "basis", "go"].contains(name) { codes[name] = value }
            let typed = CodingForm(codes: codes, tags: form.all("tag"), basis: form["basis"] ?? "")
            do {
                let grant = try review.code(messageID: id, codes: typed.codes, tags: typed.tags, basis: typed.basis,
                                            user: auth.user, actor: context.actor)
                var target = Paths.with(Paths.messageContent, id: id) + "?coded=1"
                if form["go"] == "next",
                   let next = try review.position(messageID: id, requestID: grant, user: auth.user, actor: context.actor).nextUnreviewed,
                   next != id {
                    target = Paths.with(Paths.messageContent, id: next) + "?coded=1"
                }
                return Response(status: .seeOther, headers: [.location: target])
            } catch DomainError.invalidInput(let message) {
                // What was chosen comes back with the reason; nothing was stored.
                return try contentPage(id, context, auth, typed: typed, notice: nil, error: message, status: .badRequest)
            }
        }
        routes.post(Paths.messageNotes, .roles([.auditor])) { request, context, auth in
            let id = try Self.id(context)
            let form = try await Form.read(request, context: context)
            let escalate = form["escalate"] == "yes"
            do {
                try review.addNote(messageID: id, text: form["note"] ?? "", escalate: escalate, user: auth.user, actor: context.actor)
                return Response(status: .seeOther, headers: [.location: Paths.with(Paths.messageContent, id: id) + "?noted=1#notes"])
            } catch DomainError.invalidInput(let message) {
                return try contentPage(id, context, auth, typed: nil, typedNote: form["note"] ?? "", notice: nil, error: message,
                                       status: .badRequest)
            }
        }
        routes.post(Paths.noteResolve, .roles([.auditor])) { request, context, auth in
            guard let noteID = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("There is no note with that number.") }
            let form = try await Form.read(request, context: context)
            let message = try review.resolve(noteID: noteID, resolution: form["resolution"] ?? "", user: auth.user, actor: context.actor)
            return Response(status: .seeOther, headers: [.location: Paths.with(Paths.messageContent, id: message) + "?resolved=1#notes"])
        }
        routes.get(Paths.messageContentRaw, .roles([.auditor])) { _, context, auth in
            let id = try Self.id(context)
            let opened = try decryption.openContent(messageID: id, user: auth.user, actor: context.actor, purpose: "download")
            let ext = opened.message.platform == "email" ? "eml" : "json"
            return Response(status: .ok, headers: [
                .contentType: "application/octet-stream", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"custos-message-\(id).\(ext)\"",
            ], body: .init(byteBuffer: ByteBuffer(bytes: opened.message.content)))
        }
    }

    /// Opens the message (an audited view) and shows it with the coding form and the way through the review set.
    private func contentPage(_ id: Int64, _ context: AppContext, _ auth: Authenticated, typed: CodingForm?, typedNote: String = "",
                             notice: String?, error: String?, status: HTTPResponse.Status) throws -> Response {
        let opened = try decryption.openContent(messageID: id, user: auth.user, actor: context.actor, purpose: "page")
        let position = try review.position(messageID: id, requestID: opened.grantID, user: auth.user, actor: context.actor)
        var page = ContentPage(opened, viewer: auth.user, context: context)
        page.chrome = ChromeBuilder.make("Message \(id) — content", context: context, current: Paths.requests, notice: notice, error: error)
        page.coding = CodingPanel(position, messageID: id, typed: typed, typedNote: typedNote)
        return renderer.page("content/message", page, status: status)
    }

    static func id(_ context: AppContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("There is no message with that number.") }
        return id
    }
}

struct HeaderRow: Sendable { var name: String; var value: String }
struct AttachmentRow: Sendable { var name: String; var mediaType: String; var size: String? }
struct TranscriptRow: Sendable {
    var id: Int64
    var sender: String
    var sentAt: String
    var context: String?
    var text: String
    var attachments: [AttachmentRow]
    var current: Bool
}

/// The content page's view model.
struct ContentPage: Sendable {
    var chrome: Chrome
    var viewer: String
    var viewedAt: String
    var grantID: Int64
    var expiresAt: String
    var tiles: [String]
    var isEmail: Bool
    var headers: [HeaderRow]
    var body: String
    var bodyNote: String?
    var attachments: [AttachmentRow]
    var problems: [String]
    var transcript: [TranscriptRow]
    var transcriptCount: Int
    var rawPath: String
    var metadataPath: String
    var grantPath: String
    var coding: CodingPanel?

    init(_ opened: DecryptionService.OpenedContent, viewer user: User, context: AppContext) {
        let id = opened.message.messageID
        let readable = ContentReader.read(platform: opened.message.platform, content: opened.message.content)
        chrome = ChromeBuilder.make("Message \(id) — content", context: context, current: Paths.requests)
        viewer = "\(user.displayName) (\(user.username))"
        viewedAt = TimeFormat.utc(opened.viewedAt)
        grantID = opened.grantID
        expiresAt = TimeFormat.utc(opened.expiresAt)
        tiles = Array(repeating: "\(user.username) · \(viewedAt)", count: 24)
        isEmail = readable.kind == .email
        headers = readable.headers.map { HeaderRow(name: $0.name, value: $0.value) }
        body = readable.body
        bodyNote = readable.bodyNote
        attachments = readable.attachments.map(Self.row)
        var problems = readable.problems
        transcript = opened.transcript.map { m in
            let r = m.messageID == id ? readable : ContentReader.read(platform: m.platform, content: m.content)
            if m.messageID != id { problems += r.problems.map { "Message \(m.messageID): \($0)" } }
            return TranscriptRow(id: m.messageID, sender: r.sender ?? "(unknown sender)", sentAt: TimeFormat.utc(r.sentAt ?? m.sentAt),
                                 context: r.headers.first { $0.name == "Thread" || $0.name == "Parent" }.map { _ in "reply in a thread" },
                                 text: r.body, attachments: r.attachments.map(Self.row), current: m.messageID == id)
        }
        self.problems = problems
        transcriptCount = transcript.count
        rawPath = Paths.with(Paths.messageContentRaw, id: id)
        metadataPath = Paths.with(Paths.message, id: id)
        grantPath = Paths.with(Paths.request, id: opened.grantID)
    }

    static func row(_ a: ReadableAttachment) -> AttachmentRow {
        AttachmentRow(name: a.name ?? "(no name)", mediaType: a.mediaType, size: a.size.map(HitRow.bytes))
    }
}
