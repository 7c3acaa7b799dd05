import CustosCore
import CustosCrypto
import Hummingbird

/// Key ceremonies (admin), capture tokens (admin) and the custodian's own passphrase.
struct KeysController {
    let keys: KeyCeremonyService
    let tokens: CaptureTokenService
    let renderer: Renderer

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.adminKeys, .roles([.admin])) { request, context in
            let done = request.uri.queryParameters["done"].map(String.init)
            return try keysPage(context, notice: done == "epoch" ? "A new key epoch is in force. Capture clients encrypt to it from now on." : nil,
                                error: nil, status: .ok)
        }
        routes.post(Paths.adminKeys, .roles([.admin])) { request, context in
            let form = try await Form.read(request, context: context)
            let ids = form.all("custodian").compactMap(Int64.init)
            do {
                guard let k = Int(form["threshold"] ?? "") else { throw DomainError.invalidInput("Give the threshold as a number.") }
                _ = try keys.startEpoch(custodianIDs: ids, threshold: k, actor: context.actor)
            } catch let e as DomainError where e != .auditUnavailable {
                return try keysPage(context, notice: nil, error: e.message, status: .badRequest)
            }
            return Response(status: .seeOther, headers: [.location: Paths.adminKeys + "?done=epoch"])
        }
        routes.get(Paths.adminTokens, .roles([.admin])) { _, context in
            tokensPage(context, created: nil, error: nil, status: .ok)
        }
        routes.post(Paths.adminTokens, .roles([.admin])) { request, context in
            let form = try await Form.read(request, context: context)
            do {
                let (record, secret) = try tokens.create(name: form["name"] ?? "", actor: context.actor)
                return tokensPage(context, created: CreatedToken(name: record.name, secret: secret), error: nil, status: .created)
            } catch let e as DomainError where e != .auditUnavailable {
                return tokensPage(context, created: nil, error: e.message, status: .badRequest)
            }
        }
        routes.post(Paths.adminTokenRevoke, .roles([.admin])) { _, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("No such capture token.") }
            try tokens.revoke(id: id, actor: context.actor)
            return Response(status: .seeOther, headers: [.location: Paths.adminTokens])
        }
        routes.get(Paths.custodianKey, .roles([.custodian])) { _, context in
            try custodianPage(context, notice: nil, error: nil, status: .ok)
        }
        routes.post(Paths.custodianKey, .roles([.custodian])) { request, context in
            guard let auth = context.auth else { throw Redirect(Paths.login) }
            let form = try await Form.read(request, context: context)
            do {
                try await keys.setPassphrase(user: auth.user, passphrase: form["passphrase"] ?? "", confirm: form["confirm"] ?? "",
                                             current: form["current"], actor: context.actor)
            } catch let e as DomainError where e != .auditUnavailable {
                return try custodianPage(context, notice: nil, error: e.message, status: .badRequest)
            }
            return try custodianPage(context, notice: "Your custodian passphrase is set. Keep it apart from your sign-in password; nobody can recover it.",
                                     error: nil, status: .ok)
        }
    }

    private func keysPage(_ context: AppContext, notice: String?, error: String?, status: HTTPResponse.Status) throws -> Response {
        let epochs = try keys.epochs().map { e in
            EpochRow(epoch: e.epoch, threshold: e.threshold, shareCount: e.shareCount, createdAt: TimeFormat.utc(e.createdAt),
                     createdBy: e.createdBy, fingerprint: Hex.encode(Array(e.publicKey.suffix(32).prefix(8))))
        }
        let candidates = try keys.candidates().map {
            CandidateRow(id: $0.user.id, username: $0.user.username, displayName: $0.user.displayName, ready: $0.hasKey)
        }
        return renderer.page("admin/keys", KeysView(
            chrome: ChromeBuilder.make("Archive keys", context: context, current: Paths.adminKeys, notice: notice, error: error),
            epochs: epochs, hasEpoch: !epochs.isEmpty, candidates: candidates,
            readyCount: candidates.filter(\.ready).count, action: Paths.adminKeys), status: status)
    }

    private func tokensPage(_ context: AppContext, created: CreatedToken?, error: String?, status: HTTPResponse.Status) -> Response {
        let rows = ((try? tokens.all()) ?? []).map { t in
            TokenRow(id: t.id, name: t.name, createdAt: TimeFormat.utc(t.createdAt), createdBy: t.createdBy,
                     lastUsed: t.lastUsedAt.map(TimeFormat.utc) ?? "Never", revoked: t.revokedAt != nil,
                     revokedAt: t.revokedAt.map(TimeFormat.utc) ?? "", revokeAction: Paths.with(Paths.adminTokenRevoke, id: t.id))
        }
        return renderer.page("admin/tokens", TokensView(
            chrome: ChromeBuilder.make("Capture tokens", context: context, current: Paths.adminTokens, error: error),
            tokens: rows, created: created, action: Paths.adminTokens), status: status)
    }

    private func custodianPage(_ context: AppContext, notice: String?, error: String?, status: HTTPResponse.Status) throws -> Response {
        guard let auth = context.auth else { throw Redirect(Paths.login) }
        let hasKey = try keys.candidates().first { $0.user.id == auth.user.id }?.hasKey ?? false
        return renderer.page("custodian/key", CustodianKeyView(
            chrome: ChromeBuilder.make("Custodian passphrase", context: context, current: Paths.custodianKey, notice: notice, error: error),
            hasKey: hasKey, minimumLength: KeyCeremonyService.minimumPassphraseLength, action: Paths.custodianKey), status: status)
    }
}

struct EpochRow: Sendable { var epoch: Int; var threshold: Int; var shareCount: Int; var createdAt: String; var createdBy: String; var fingerprint: String }
struct CandidateRow: Sendable { var id: Int64; var username: String; var displayName: String; var ready: Bool }
struct KeysView: Sendable {
    var chrome: Chrome; var epochs: [EpochRow]; var hasEpoch: Bool; var candidates: [CandidateRow]; var readyCount: Int; var action: String
}
struct TokenRow: Sendable {
    var id: Int64; var name: String; var createdAt: String; var createdBy: String; var lastUsed: String
    var revoked: Bool; var revokedAt: String; var revokeAction: String
}
struct CreatedToken: Sendable { var name: String; var secret: String }
struct TokensView: Sendable { var chrome: Chrome; var tokens: [TokenRow]; var created: CreatedToken?; var action: String }
struct CustodianKeyView: Sendable { var chrome: Chrome; var hasKey: Bool; var minimumLength: Int; var action: String }
