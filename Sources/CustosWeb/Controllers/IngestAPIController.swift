import CustosCore
import CustosCrypto
import Foundation
import Hummingbird

/// The capture clients' API: the current archive key, and batches of envelopes.
struct IngestAPIController {
    let keys: KeyCeremonyService
    let ingest: IngestService

    /// Largest request body accepted (a full batch of large messages, base64-encoded).
    static let maximumBody = 48 * 1024 * 1024

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.apiArchiveKey, .anyone) { _, _ in
            guard let current = try keys.currentKey() else {
                throw HTTPError(.serviceUnavailable, message: "No archive key exists yet: an administrator must run a key ceremony first.")
            }
            let body = ArchiveKeyResponse(epoch: current.record.epoch, publicKey: Data(current.key.point.bytes).base64EncodedString(),
                                          threshold: current.record.threshold, shareCount: current.record.shareCount)
            return try Self.json(body, status: .ok)
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
