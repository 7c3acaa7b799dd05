import CustosCore
import CustosCrypto
import CustosViews
import Hummingbird

/// Archive keys (admin): the chain of epochs, the ceremony in progress, proposing and cancelling one;
/// and capture tokens. An administrator only proposes: the custodians' devices make the key.
struct KeysController {
    let ceremonies: CeremonyService
    let users: UserAdministration
    let devices: CustodianDeviceService
    let tokens: CaptureTokenService
    let renderer: Renderer

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.adminKeys, .roles([.admin])) { request, context in
            let done = request.uri.queryParameters["done"].map(String.init) ?? ""
            return try keysPage(context, notice: Self.notices[done], error: nil, status: .ok)
        }
        routes.post(Paths.adminKeys, .roles([.admin])) { request, context in
            let form = try await Form.read(request, context: context)
            let ids = form.all("custodian").compactMap(Int64.init)
            do {
                guard let k = Int(form["threshold"] ?? "") else { throw DomainError.invalidInput("Give the threshold as a number.") }
                let kind: CeremonySetup.Kind = form["kind"] == "redistribution" ? .redistribution : .newKey
                _ = try ceremonies.propose(kind: kind, custodianIDs: ids, threshold: k, actor: context.actor)
            } catch let e as DomainError where e != .auditUnavailable {
                return try keysPage(context, notice: nil, error: e.message, status: e.httpStatus)
            }
            return Response(status: .seeOther, headers: [.location: Paths.adminKeys + "?done=proposed"])
        }
        routes.post(Paths.adminCeremonyCancel, .roles([.admin])) { _, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("There is no ceremony with that number.") }
            do {
                try ceremonies.cancel(id: id, actor: context.actor)
            } catch let e as DomainError where e != .auditUnavailable {
                return try keysPage(context, notice: nil, error: e.message, status: e.httpStatus)
            }
            return Response(status: .seeOther, headers: [.location: Paths.adminKeys + "?done=cancelled"])
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
                return tokensPage(context, created: nil, error: e.message, status: e.httpStatus)
            }
        }
        routes.post(Paths.adminTokenRevoke, .roles([.admin])) { _, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("No such capture token.") }
            try tokens.revoke(id: id, actor: context.actor)
            return Response(status: .seeOther, headers: [.location: Paths.adminTokens])
        }
    }

    static let notices = [
        "proposed": "The ceremony is proposed. Each named custodian now runs `custos custodian ceremony` on their own device; the epoch is in force once all have signed.",
        "cancelled": "The ceremony is cancelled; the share boxes it collected are deleted.",
    ]

    private func keysPage(_ context: AppContext, notice: String?, error: String?, status: HTTPResponse.Status) throws -> Response {
        let (chain, problem) = try ceremonies.verifiedPrefix()
        let epochs = chain.reversed().map { e in
            EpochRow(epoch: e.epoch, kind: e.record.kind == "redistribution" ? "Same key, new custodians" : "New key",
                     threshold: e.record.threshold, shareCount: e.record.shareCount, createdAt: TimeFormat.utc(e.record.createdAt),
                     createdBy: e.record.createdBy, fingerprint: Hex.encode(Array(e.publicKey.point.bytes.prefix(8))),
                     transcriptHash: Hex.encode(e.transcript.hash))
        }
        let open = try ceremonies.openSnapshot().map { s in
            OpenCeremony(id: s.record.id, epoch: s.record.epoch,
                         kind: s.record.kind == .newKey ? "a new key" : "the current key to a new set of custodians",
                         threshold: s.setup.threshold, shareCount: s.setup.shareCount, phase: s.phase.title,
                         members: s.members.map { CeremonyMemberRow(username: $0.username, fingerprint: $0.identity.fingerprint) },
                         waitingFor: s.waitingFor.joined(separator: ", "),
                         endorsers: s.previous.map { "\($0.transcript.setup.threshold) of the custodians of epoch \($0.epoch) must also sign" } ?? "",
                         cancelAction: Paths.with(Paths.adminCeremonyCancel, id: s.record.id))
        }
        let past = try ceremonies.recent().filter { $0.status != .open }.prefix(10).map {
            PastCeremony(id: $0.id, epoch: $0.epoch, kind: $0.kind.name, status: $0.status.title, outcome: $0.outcome ?? "")
        }
        let candidates = try users.all().filter { $0.roles.contains(.custodian) && !$0.disabled }.map { u in
            let device = try devices.device(of: u.id)
            return CandidateRow(id: u.id, username: u.username, displayName: u.displayName, ready: device != nil,
                                fingerprint: device?.identity.fingerprint ?? "")
        }
        return renderer.page("admin/keys", KeysView(
            chrome: ChromeBuilder.make("Archive keys", context: context, current: Paths.adminKeys, notice: notice,
                                       error: error ?? problem.map { "The key chain does not verify: \($0). Nothing is served or captured beyond it." }),
            epochs: epochs, hasEpoch: !epochs.isEmpty, trustRoot: chain.first.map { Hex.encode($0.transcript.hash) } ?? "",
            open: open, past: Array(past), hasPast: !past.isEmpty, candidates: candidates,
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
}

struct EpochRow: Sendable {
    var epoch: Int; var kind: String; var threshold: Int; var shareCount: Int; var createdAt: String; var createdBy: String
    var fingerprint: String; var transcriptHash: String
}
struct CeremonyMemberRow: Sendable { var username: String; var fingerprint: String }
struct OpenCeremony: Sendable {
    var id: Int64; var epoch: Int; var kind: String; var threshold: Int; var shareCount: Int; var phase: String
    var members: [CeremonyMemberRow]; var waitingFor: String; var endorsers: String; var cancelAction: String
}
struct PastCeremony: Sendable { var id: Int64; var epoch: Int; var kind: String; var status: String; var outcome: String }
struct CandidateRow: Sendable { var id: Int64; var username: String; var displayName: String; var ready: Bool; var fingerprint: String }
struct KeysView: Sendable {
    var chrome: Chrome; var epochs: [EpochRow]; var hasEpoch: Bool; var trustRoot: String; var open: OpenCeremony?
    var past: [PastCeremony]; var hasPast: Bool; var candidates: [CandidateRow]; var readyCount: Int; var action: String
}
struct TokenRow: Sendable {
    var id: Int64; var name: String; var createdAt: String; var createdBy: String; var lastUsed: String
    var revoked: Bool; var revokedAt: String; var revokeAction: String
}
struct CreatedToken: Sendable { var name: String; var secret: String }
struct TokensView: Sendable { var chrome: Chrome; var tokens: [TokenRow]; var created: CreatedToken?; var action: String }
