import CustosCore
import CustosCrypto
import CustosViews
import Foundation
import Hummingbird

/// Custodian devices: the custodian's page (the device in force, a one-time enrolment code) and the API a
/// device uses to enrol its public keys and, signed, to identify itself.
struct CustodianDeviceController {
    let devices: CustodianDeviceService
    let renderer: Renderer
    /// Served over HTTPS, so the enrol command names an https:// server.
    let tls: Bool

    /// Largest enrolment request accepted (four short fields).
    static let maximumEnrolBody = 64 * 1024

    func addRoutes(to routes: SecureRouter) {
        routes.post(Paths.apiCustodianEnrol, .anyone) { request, context in try await enrol(request, context) }
        routes.get(Paths.apiCustodianWhoami, .custodianDevice) { _, context in try whoami(context) }
        routes.get(Paths.custodianDevice, .roles([.custodian])) { _, context, auth in try page(context, auth, created: nil, status: .ok) }
        routes.post(Paths.custodianDeviceCode, .roles([.custodian])) { request, context, auth in try await createCode(request, context, auth) }
    }

    /// POST /api/v1/custodian/enrol: registers a device's public keys against a one-time code.
    private func enrol(_ request: Request, _ context: AppContext) async throws -> Response {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: Self.maximumEnrolBody) } catch {
            throw HTTPError(.contentTooLarge, message: "An enrolment request is at most \(Self.maximumEnrolBody / 1024) KiB.")
        }
        let body: EnrolRequest
        do {
            body = try JSONDecoder().decode(EnrolRequest.self, from: Data(buffer.readableBytesView))
        } catch {
            throw DomainError.invalidInput("The body is not a valid enrolment request: \(IngestAPIController.describe(error))")
        }
        guard let encryptionKey = DeviceRequestSignature.bytes(base64: body.encryptionKey),
              let signingKey = DeviceRequestSignature.bytes(base64: body.signingKey),
              let proof = DeviceRequestSignature.bytes(base64: body.proof) else {
            throw DomainError.invalidInput("encryption_key, signing_key and proof must be standard base64.")
        }
        let identity: DeviceIdentity
        do { identity = try DeviceIdentity(encryptionKey: encryptionKey, signingKey: signingKey) } catch let e as CryptoError {
            throw DomainError.invalidInput("The device keys are not usable: \(Self.describe(e)).")
        }
        let (user, device) = try devices.enrol(code: body.code, identity: identity, proof: proof, client: context.clientAddress)
        return try IngestAPIController.json(DeviceAnswer(username: user.username, fingerprint: device.fingerprint), status: .created)
    }

    /// GET /api/v1/custodian/whoami: whose device signed this request.
    private func whoami(_ context: AppContext) throws -> Response {
        guard let signed = context.device else { throw HTTPError(.unauthorized) }
        return try IngestAPIController.json(DeviceAnswer(username: signed.user.username, fingerprint: signed.device.fingerprint), status: .ok)
    }

    /// POST /custodian/device/code: a new one-time code, shown on this answer only.
    private func createCode(_ request: Request, _ context: AppContext, _ auth: Authenticated) async throws -> Response {
        let code = try devices.createEnrolmentCode(user: auth.user, actor: context.actor)
        let command = "custos custodian enrol --server \(Self.baseURL(request, tls: tls)) --key custodian.key --code \(code)"
        return try page(context, auth, created: CreatedEnrolmentCode(code: code, command: command,
                                                               validMinutes: Int(CustodianDeviceService.codeLifetime / 60)), status: .created)
    }

    private func page(_ context: AppContext, _ auth: Authenticated, created: CreatedEnrolmentCode?, status: HTTPResponse.Status) throws -> Response {
        let device = try devices.device(of: auth.user.id)
        return renderer.page("custodian/device", CustodianDeviceView(
            chrome: ChromeBuilder.make("Custodian device", context: context, current: Paths.custodianDevice),
            hasDevice: device != nil, fingerprint: device?.fingerprint ?? "", enrolledAt: device.map { TimeFormat.utc($0.enrolledAt) } ?? "",
            created: created, codeAction: Paths.custodianDeviceCode), status: status)
    }

    /// This server's address as the browser reached it (the Host header), or the default local address when the
    /// header is absent or holds anything but a host name or address and a port.
    static func baseURL(_ request: Request, tls: Bool) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]".utf8)
        guard let host = request.head.authority, (1...255).contains(host.utf8.count), host.utf8.allSatisfy(allowed.contains) else {
            return "http://127.0.0.1:8080"
        }
        return (tls ? "https://" : "http://") + host
    }

    static func describe(_ e: CryptoError) -> String {
        switch e {
        case .invalidKey(let m), .invalidInput(let m), .operationFailed(let m): m
        case .authenticationFailed: "authentication failed"
        }
    }
}

/// The enrolment request a device sends: the code as typed, and base64 of Y, V and the proof.
struct EnrolRequest: Decodable {
    var code: String
    var encryptionKey: String
    var signingKey: String
    var proof: String

    enum CodingKeys: String, CodingKey {
        case code, proof
        case encryptionKey = "encryption_key"
        case signingKey = "signing_key"
    }
}

/// Whose device this is, and its fingerprint to compare with the one the CLI prints.
struct DeviceAnswer: Encodable {
    var username: String
    var fingerprint: String
}

/// A code just made, with the command that uses it.
struct CreatedEnrolmentCode: Sendable { var code: String; var command: String; var validMinutes: Int }

/// The custodian device page.
struct CustodianDeviceView: Sendable {
    var chrome: Chrome
    var hasDevice: Bool
    var fingerprint: String
    var enrolledAt: String
    var created: CreatedEnrolmentCode?
    var codeAction: String
}
