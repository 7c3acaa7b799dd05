import AsyncHTTPClient
import CustosCore
import CustosCrypto
import Foundation

/// A custodian device's side of the API: every request signed with the device key (method, path, body
/// hash, time, nonce), JSON in and out. Used by `custos custodian …` on the custodian's own machine.
///
/// Not `Sendable`: its signer holds the unlocked device, which lives on the one task that runs the command.
public struct CustodianClient {
    /// Signs one request; returns the headers (the device stays on the caller's side).
    public typealias Signer = (_ method: String, _ path: String, _ body: [UInt8]) throws -> [(String, String)]

    public let server: String
    let http: HTTPClient
    let sign: Signer

    /// Runs `body` with a client for `server`, then shuts its connections down.
    public static func session<T>(server: String, sign: @escaping Signer, _ body: (CustodianClient) async throws -> T) async throws -> T {
        let base = try IngestClient.baseURL(server)
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        configuration.redirectConfiguration = .disallow
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let client = CustodianClient(server: base, http: http, sign: sign)
        do {
            let result = try await body(client)
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// `POST /api/v1/custodian/enrol` (not signed: the code authorises it, the proof shows the keys are held).
    public func enrol(code: String, identity: DeviceIdentity, proof: [UInt8]) async throws -> (username: String, fingerprint: String) {
        struct Body: Encodable {
            var code: String, encryptionKey: String, signingKey: String, proof: String
            enum CodingKeys: String, CodingKey { case code, proof, encryptionKey = "encryption_key", signingKey = "signing_key" }
        }
        struct Answer: Decodable { var username: String; var fingerprint: String }
        let body = Body(code: code, encryptionKey: Data(identity.encryptionKey.bytes).base64EncodedString(),
                        signingKey: Data(identity.signingKey).base64EncodedString(), proof: Data(proof).base64EncodedString())
        let answer: Answer = try await send("POST", "/api/v1/custodian/enrol", body: body, signed: false)
        return (answer.username, answer.fingerprint)
    }

    /// An unsigned GET, decoded (health checks, public endpoints).
    public func getUnsigned<T: Decodable>(_ path: String) async throws -> T {
        try await send("GET", path, body: nil as [String: String]?, signed: false)
    }

    /// A signed GET, decoded.
    public func get<T: Decodable>(_ path: String) async throws -> T {
        try await send("GET", path, body: nil as [String: String]?, signed: true)
    }

    /// A signed POST of `body` as JSON, decoded.
    public func post<T: Decodable>(_ path: String, _ body: some Encodable) async throws -> T {
        try await send("POST", path, body: body, signed: true)
    }

    private func send<T: Decodable, B: Encodable>(_ method: String, _ path: String, body: B?, signed: Bool) async throws -> T {
        var request = HTTPClientRequest(url: server + path)
        request.method = .init(rawValue: method)
        var bytes: [UInt8] = []
        if let body {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            bytes = [UInt8](try encoder.encode(body))
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(bytes)
        }
        request.headers.add(name: "Accept", value: "application/json")
        if signed {
            for (name, value) in try sign(method, path, bytes) { request.headers.add(name: name, value: value) }
        }
        let response: HTTPClientResponse
        do { response = try await http.execute(request, timeout: .seconds(120)) } catch {
            throw CustodianClientError.unreachable("\(server): \(error)")
        }
        var data = Data()
        for try await chunk in response.body {
            data.append(contentsOf: chunk.readableBytesView)
            guard data.count <= 64 << 20 else { throw CustodianClientError.refused(status: 0, "the answer is larger than 64 MiB") }
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw CustodianClientError.refused(status: status, IngestClient.message(in: data, status: status))
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw CustodianClientError.refused(status: status, "the answer cannot be read (\(error))")
        }
    }
}

/// Why a custodian command could not go on.
public enum CustodianClientError: Error, Sendable, CustomStringConvertible {
    case unreachable(String)
    case refused(status: Int, String)
    case ceremony(String)

    public var description: String {
        switch self {
        case .unreachable(let m): "the server could not be reached: \(m)"
        case .refused(let status, let m): status == 0 ? m : "the server answered \(status): \(m)"
        case .ceremony(let m): m
        }
    }
}
