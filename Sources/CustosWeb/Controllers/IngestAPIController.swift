import CustosCore
import CustosCrypto
import Foundation
import Hummingbird

/// The capture clients' API: the current archive key, and batches of envelopes.
struct IngestAPIController {
    let ceremonies: CeremonyService
    let ingest: IngestService

    /// Largest request body accepted (a full batch of large messages, base64-encoded).
    static let maximumBody = 48 * 1024 * 1024

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.apiArchiveKey, .anyone) { _, _ in
            guard let current = try Self.chain(ceremonies).last else {
                throw HTTPError(.serviceUnavailable, message: "No archive key exists yet: the key custodians must complete a key ceremony first.")
            }
            let body = ArchiveKeyResponse(epoch: current.epoch, publicKey: Data(current.publicKey.point.bytes).base64EncodedString(),
                                          threshold: current.record.threshold, shareCount: current.record.shareCount)
            return try Self.json(body, status: .ok)
        }
        routes.get(Paths.apiArchiveKeys, .anyone) { _, _ in
            let chain = try Self.chain(ceremonies)
            guard !chain.isEmpty else {
                throw HTTPError(.serviceUnavailable, message: "No archive key exists yet: the key custodians must complete a key ceremony first.")
            }
            return try Self.json(ArchiveKeysResponse(epochs: chain.map(\.signed)), status: .ok)
        }
        routes.post(Paths.apiMessages, .captureToken) { request, context in
            guard let token = context.captureToken else { throw HTTPError(.unauthorized) }
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: Self.maximumBody) } catch {
                throw HTTPError(.contentTooLarge, message: "The batch is larger than \(Self.maximumBody / 1024 / 1024) MiB; send smaller batches.")
            }
            let batch: IngestRequest
            do {
                batch = try JSONDecoder().decode(IngestRequest.self, from: Data(buffer.readableBytesView))
            } catch {
                throw HTTPError(.badRequest, message: "The body is not a valid ingest batch: \(Self.describe(error))")
            }
            let results = try ingest.ingest(batch.messages, token: token, client: context.clientAddress)
            return try Self.json(IngestResponse(results: results), status: .ok)
        }
    }

    /// The verified chain; a chain that does not verify is served to nobody (the operator sees why in the log and
    /// on the keys page), so no capture client is handed a key the custodians did not sign.
    static func chain(_ ceremonies: CeremonyService) throws -> [VerifiedEpoch] {
        let (chain, problem) = try ceremonies.verifiedPrefix()
        if problem != nil {
            throw HTTPError(.serviceUnavailable, message: "The archive's key chain does not verify; an operator must investigate before capture can go on.")
        }
        return chain
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Names the field that failed to decode, never echoing the value.
    static func describe(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "malformed JSON" }
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch e {
        case .keyNotFound(let key, let c): return "missing field \(path(c)).\(key.stringValue)"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "wrong type at \(path(c))"
        case .dataCorrupted(let c): return c.codingPath.isEmpty ? "malformed JSON" : "invalid value at \(path(c))"
        @unknown default: return "malformed JSON"
        }
    }
}
