import CustosCore
import Hummingbird
import NIOCore

/// For the custodian API only: a request that names a device (`Custos-Device`) must carry that device's
/// signature over its method, path, query, body, time and nonce. The body is read here (to hash it) and put
/// back for the handler. A refused signature answers 401 and is audited; a request without the header passes
/// on unauthenticated, and routes that need a device refuse it (`Access.custodianDevice`).
struct DeviceSignatureMiddleware: RouterMiddleware {
    let devices: CustodianDeviceService
    let clock: any Clock

    /// Largest body a device may send.
    static let maximumBody = 16 * 1024 * 1024

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix(Paths.apiCustodianPrefix), let device = request.headers[.custosDevice] else {
            return try await next(request, context)
        }
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: Self.maximumBody) } catch {
            throw HTTPError(.contentTooLarge, message: "The request body is larger than \(Self.maximumBody / 1024 / 1024) MiB.")
        }
        let path = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        let (user, record) = try devices.authenticate(
            method: request.method.rawValue, path: path, body: Array(body.readableBytesView), device: device,
            time: request.headers[.custosTime] ?? "", nonce: request.headers[.custosNonce] ?? "",
            signature: request.headers[.custosSignature] ?? "", now: clock.now(), client: context.clientAddress)
        var context = context
        context.device = AuthenticatedDevice(user: user, device: record)
        return try await next(request, context)
    }
}
