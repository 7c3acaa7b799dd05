import CustosCore
import CustosCrypto
import CustosStore
import CustosWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A custodian device's key pairs, made in the test as the CLI makes them on the custodian's machine.
struct DeviceKeys: Sendable {
    let signing: Ed25519.KeyPair
    let scalar: Ristretto255.Scalar
    let identity: DeviceIdentity

    init() throws {
        signing = Ed25519.generateKeyPair()
        scalar = Ristretto255.Scalar.random()
        identity = try DeviceIdentity(encryptionKey: Ristretto255.Point.baseMultiple(scalar), signingKey: signing.publicKey)
    }

    /// The enrolment proof for `code`, signed by `signer` (this device's own key unless an adversary's).
    func proof(code: String, signer: Ed25519.KeyPair? = nil) throws -> [UInt8] {
        try Ed25519.sign(DeviceEnrolment.message(code: code, identity: identity), secretKey: (signer ?? signing).secretKey)
    }
}

/// Driving the custodian device pages and API the way the CLI and a custodian's browser do.
enum DeviceClient {
    /// Signs in a custodian (password and TOTP), as the page that makes codes requires.
    static func signedIn(_ client: any TestClientProtocol, _ h: Harness, _ person: Person) async throws -> Browser {
        let b = Browser(client)
        let r = try await b.signIn(person.user.username, person.password, totp: person.totpSecret.map { h.code($0) })
        #expect(r.headers[.location] == "/", "sign-in of \(person.user.username)")
        return b
    }

    /// Makes a code on the custodian device page and reads it from the answer.
    static func makeCode(_ b: Browser) async throws -> (code: String, page: String) {
        try await b.get(Paths.custodianDevice)
        let r = try await b.post(Paths.custodianDeviceCode, [])
        #expect(r.status == .created)
        let code = try #require(r.text.firstMatch(of: /id="code" class="wrap">(enr_[A-Z2-7]{32})</)?.1)
        return (String(code), r.text)
    }

    /// POSTs an enrolment request as the CLI would.
    static func enrol(_ client: any TestClientProtocol, code: String, encryptionKey: [UInt8], signingKey: [UInt8],
                      proof: [UInt8]) async throws -> TestResponse {
        let body: [String: String] = ["code": code, "encryption_key": DeviceRequestSignature.base64(encryptionKey),
                                      "signing_key": DeviceRequestSignature.base64(signingKey), "proof": DeviceRequestSignature.base64(proof)]
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await client.execute(uri: Paths.apiCustodianEnrol, method: .post, headers: [.contentType: "application/json"],
                                        body: ByteBuffer(bytes: Array(data)))
    }

    /// Enrols `keys` with `code`, expecting success.
    static func enrol(_ client: any TestClientProtocol, code: String, keys: DeviceKeys) async throws -> TestResponse {
        try await enrol(client, code: code, encryptionKey: keys.identity.encryptionKey.bytes, signingKey: keys.identity.signingKey,
                        proof: try keys.proof(code: code))
    }

    /// The four signature headers for a request.
    static func headers(_ keys: DeviceKeys, method: String, path: String, body: [UInt8] = [], time: Int64) throws -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in try DeviceRequestSignature.headers(method: method, path: path, body: body, time: time,
                                                                signingSecretKey: keys.signing.secretKey, signingKey: keys.signing.publicKey) {
            fields[HTTPField.Name(name)!] = value
        }
        return fields
    }

    /// Sends a request with the given headers and body.
    static func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields,
                     body: [UInt8] = []) async throws -> TestResponse {
        try await client.execute(uri: path, method: method, headers: headers, body: body.isEmpty ? nil : ByteBuffer(bytes: body))
    }

    /// A JSON answer's string fields.
    static func fields(_ r: TestResponse) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: Data(r.body.readableBytesView))
        return try #require(object as? [String: Any]).compactMapValues { $0 as? String }
    }

    /// A JSON error answer's message ("" when there is none).
    static func error(_ r: TestResponse) -> String {
        ((try? fields(r)) ?? [:])["error"] ?? ""
    }

    /// Rows of a table, counted.
    static func count(_ h: Harness, _ table: String) throws -> Int64 {
        try h.system.withRawDatabase { try $0.queryOne("SELECT count(*) FROM " + table)?.int(0) ?? -1 }
    }

    /// Audit entries of one action.
    static func audit(_ h: Harness, _ action: AuditAction) throws -> [AuditEntry] {
        try h.system.archive.read { try $0.audit.entries(action: action.rawValue) }
    }
}
