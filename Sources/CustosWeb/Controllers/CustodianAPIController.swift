import CustosCore
import CustosCrypto
import Foundation
import Hummingbird

/// The custodian devices' API: ceremonies and decryption requests. Every route needs a request signed by
/// an enrolled device (`DeviceSignatureMiddleware`); the server relays and checks, and never receives a
/// share, a passphrase or a custodian secret.
struct CustodianAPIController {
    let ceremonies: CeremonyService
    let decryption: DecryptionService

    /// Largest body a device sends: a dealing for 255 custodians, or partials for 2,000 messages.
    static let maximumBody = 4 * 1024 * 1024

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.apiCustodianCeremony, .custodianDevice) { _, context in
            let device = try Self.device(context)
            guard let state = try ceremonies.deviceState(user: device.user) else {
                throw HTTPError(.notFound, message: "No key ceremony has been proposed.")
            }
            return try IngestAPIController.json(state, status: .ok)
        }
        routes.post(Paths.apiCustodianCeremonyCommit, .custodianDevice) { request, context in
            let (device, id, step) = try await Self.step(request, context)
            try ceremonies.commit(id: id, digest: try Self.bytes(step.digest, "digest"), user: device.user,
                                  device: device.device.identity, actor: device.actor(client: context.clientAddress))
            return try IngestAPIController.json(["status": "committed"], status: .ok)
        }
        routes.post(Paths.apiCustodianCeremonyDealing, .custodianDevice) { request, context in
            let (device, id, step) = try await Self.step(request, context)
            try ceremonies.reveal(id: id, dealing: try Self.bytes(step.dealing, "dealing"), user: device.user,
                                  device: device.device.identity, actor: device.actor(client: context.clientAddress))
            return try IngestAPIController.json(["status": "revealed"], status: .ok)
        }
        routes.post(Paths.apiCustodianCeremonyReceipt, .custodianDevice) { request, context in
            let (device, id, step) = try await Self.step(request, context)
            let complaints: [Complaint]
            do { complaints = try (step.complaints ?? []).map { try $0.complaint() } } catch {
                throw HTTPError(.badRequest, message: "A complaint cannot be read.")
            }
            switch try ceremonies.receipt(id: id, complaints: complaints, user: device.user, device: device.device.identity,
                                          actor: device.actor(client: context.clientAddress)) {
            case .accepted: return try IngestAPIController.json(["status": "accepted"], status: .ok)
            case .failed(let reason): return try IngestAPIController.json(["status": "failed", "reason": reason], status: .ok)
            }
        }
        routes.post(Paths.apiCustodianCeremonySignature, .custodianDevice) { request, context in
            let (device, id, step) = try await Self.step(request, context)
            let epoch = try ceremonies.sign(id: id, signature: try Self.bytes(step.signature, "signature"), user: device.user,
                                            device: device.device.identity, actor: device.actor(client: context.clientAddress))
            return try IngestAPIController.json(["status": epoch == nil ? "signed" : "active"], status: .ok)
        }
        routes.get(Paths.apiCustodianRequests, .custodianDevice) { _, context in
            let device = try Self.device(context)
            let rows = try decryption.pending(user: device.user, actor: device.actor(client: context.clientAddress))
            return try IngestAPIController.json(PendingRequestsWire(requests: rows), status: .ok)
        }
        routes.get(Paths.apiCustodianRequest, .custodianDevice) { _, context in
            let device = try Self.device(context)
            let task = try decryption.approvalTask(id: try Self.id(context), user: device.user, actor: device.actor(client: context.clientAddress))
            return try IngestAPIController.json(ApprovalTaskWire(task), status: .ok)
        }
        routes.post(Paths.apiCustodianRequestApprove, .custodianDevice) { request, context in
            let device = try Self.device(context)
            let wire: ApprovalWire = try await Self.decode(request, context)
            var partials: [Int64: PartialDecryption] = [:]
            for p in wire.partials {
                guard let data = Data(base64Encoded: p.partial), let partial = try? PartialDecryption(serialized: [UInt8](data)),
                      partials.updateValue(partial, forKey: p.messageID) == nil else {
                    throw HTTPError(.badRequest, message: "Partial decryption for message \(p.messageID) cannot be read or repeats.")
                }
            }
            let outcome = try await decryption.approve(id: try Self.id(context), partials: partials, user: device.user,
                                                       device: device.device.identity, actor: device.actor(client: context.clientAddress))
            switch outcome {
            case .recorded(let approvals, let needed):
                return try IngestAPIController.json(DecisionWire(status: "recorded", approvals: approvals, needed: needed), status: .ok)
            case .granted(let expiresAt):
                return try IngestAPIController.json(DecisionWire(status: "granted", expiresAt: expiresAt), status: .ok)
            }
        }
        routes.post(Paths.apiCustodianRequestReject, .custodianDevice) { request, context in
            let device = try Self.device(context)
            let wire: RejectionWire = try await Self.decode(request, context)
            try decryption.reject(id: try Self.id(context), reason: wire.reason, user: device.user,
                                  actor: device.actor(client: context.clientAddress))
            return try IngestAPIController.json(DecisionWire(status: "rejected"), status: .ok)
        }
    }

    static func device(_ context: AppContext) throws -> AuthenticatedDevice {
        guard let device = context.device else { throw HTTPError(.unauthorized, message: "A request signed by an enrolled custodian device is required.") }
        return device
    }

    static func id(_ context: AppContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("There is no such record.") }
        return id
    }

    static func step(_ request: Request, _ context: AppContext) async throws -> (AuthenticatedDevice, Int64, CeremonyStepWire) {
        (try device(context), try id(context), try await decode(request, context))
    }

    static func decode<T: Decodable>(_ request: Request, _ context: AppContext) async throws -> T {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: maximumBody) } catch {
            throw HTTPError(.contentTooLarge, message: "The body is larger than \(maximumBody / 1024 / 1024) MiB.")
        }
        do { return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView)) } catch {
            throw HTTPError(.badRequest, message: "The body cannot be read: \(IngestAPIController.describe(error))")
        }
    }

    static func bytes(_ text: String?, _ field: String) throws -> [UInt8] {
        guard let text, let data = Data(base64Encoded: text) else { throw HTTPError(.badRequest, message: "Give \(field) as base64.") }
        return [UInt8](data)
    }
}
