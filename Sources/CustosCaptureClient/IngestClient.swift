import AsyncHTTPClient
import CustosCore
import CustosCrypto
import Foundation

/// How often and how patiently transient failures (connection refused or reset, 5xx, 429) are retried.
public struct RetryPolicy: Sendable {
    /// Attempts per request, the first included.
    public var maximumAttempts: Int
    /// Wait before the second attempt; it doubles each time, up to `maximumDelay`.
    public var initialDelay: Duration
    /// Longest single wait, also the cap on a server's `Retry-After`.
    public var maximumDelay: Duration

    /// Six attempts, waiting 0.5 s, 1 s, 2 s, 4 s, 8 s in between (about 15 s in all).
    public init(maximumAttempts: Int = 6, initialDelay: Duration = .milliseconds(500), maximumDelay: Duration = .seconds(8)) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The wait before attempt `attempt + 1`, honouring a server's `Retry-After` seconds within the cap.
    func delay(after attempt: Int, retryAfter: Int?) -> Duration {
        if let retryAfter, retryAfter >= 0 { return min(.seconds(retryAfter), maximumDelay) }
        let doubled = initialDelay * (1 << min(attempt - 1, 16))
        return min(doubled, maximumDelay)
    }
}

/// The capture client's side of the ingest API: the archive key, and batches of envelopes.
public struct IngestClient: Sendable {
    /// What the server said to one batch.
    public enum BatchAnswer: Sendable {
        /// 200: one result per item.
        case results([IngestResult])
        /// 400 or 413: the batch as a whole was refused, for this reason (nothing was stored).
        case refused(String)
    }

    /// The server's base URL, without a trailing slash.
    public let server: String
    let token: String
    let http: HTTPClient
    let retry: RetryPolicy
    let timeout: Duration

    init(server: String, token: String, http: HTTPClient, retry: RetryPolicy, timeout: Duration) {
        self.server = server
        self.token = token
        self.http = http
        self.retry = retry
        self.timeout = timeout
    }

    /// Runs `body` with a client for `server` (http:// or https://) presenting `token`, then shuts its connections down.
    public static func session<T>(server: String, token: String, retry: RetryPolicy = RetryPolicy(), timeout: Duration = .seconds(300),
                                  _ body: (IngestClient) async throws -> T) async throws -> T {
        let base = try baseURL(server)
        var configuration = HTTPClient.Configuration()
        // Connection failures surface at once, so that `retry` alone decides how long to keep trying.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(timeout.components.seconds))
        configuration.redirectConfiguration = .disallow
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let client = IngestClient(server: base, token: token, http: http, retry: retry, timeout: timeout)
        let result: T
        do {
            result = try await body(client)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        return result
    }

    /// The server URL without trailing slashes; throws unless it is an http(s) URL with a host.
    public static func baseURL(_ server: String) throws -> String {
        var base = server.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host?.isEmpty == false else {
            throw CaptureClientError.invalidServerURL(server)
        }
        return base
    }

    /// `GET /api/v1/archive-keys`, checked from `trust`: the key to seal to, or `untrustedKey` naming what failed.
    public func trustedArchiveKey(_ trust: ArchiveTrust) async throws -> ArchivePublicKey {
        let answer = try await exchange(HTTPClientRequest(url: server + "/api/v1/archive-keys"), final: [503])
        switch answer.status {
        case 200:
            let response: ArchiveKeysResponse
            do { response = try JSONDecoder().decode(ArchiveKeysResponse.self, from: answer.body) } catch {
                throw CaptureClientError.untrustedKey("the server's chain of epochs cannot be read (\(error))")
            }
            return try trust.accept(response)
        case 503: throw CaptureClientError.noArchiveKey(answer.message)
        default: throw CaptureClientError.server(status: answer.status, message: answer.message)
        }
    }

    /// `POST /api/v1/messages` with one JSON batch; retries transient failures, throws on 401 and on answers it cannot use.
    public func upload(_ body: [UInt8], expecting count: Int) async throws -> BatchAnswer {
        var request = HTTPClientRequest(url: server + "/api/v1/messages")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(body)
        let answer = try await exchange(request, final: [])
        switch answer.status {
        case 200:
            guard let response = try? JSONDecoder().decode(IngestResponse.self, from: answer.body) else {
                throw CaptureClientError.invalidResponse("the body is not {results: [...]}")
            }
            guard response.results.count == count else {
                throw CaptureClientError.invalidResponse("\(response.results.count) results for \(count) messages")
            }
            return .results(response.results)
        case 400, 413, 422: return .refused(answer.message)
        case 401: throw CaptureClientError.tokenRefused
        default: throw CaptureClientError.server(status: answer.status, message: answer.message)
        }
    }

    /// A status, the body and the server's `{"error": …}` text.
    struct Answer {
        var status: Int
        var body: Data
        var message: String
    }

    /// Sends `request`, retrying transport errors, 429 and 5xx (except `final` statuses) as the policy allows.
    func exchange(_ request: HTTPClientRequest, final: Set<Int>) async throws -> Answer {
        var attempt = 1
        while true {
            var retryAfter: Int?
            var failure: String
            do {
                let response = try await http.execute(request, timeout: .seconds(timeout.components.seconds))
                var body = Data()
                for try await chunk in response.body {
                    body.append(contentsOf: chunk.readableBytesView)
                    guard body.count <= 64 << 20 else { throw CaptureClientError.invalidResponse("the answer is larger than 64 MiB") }
                }
                let status = Int(response.status.code)
                let answer = Answer(status: status, body: body, message: Self.message(in: body, status: status))
                guard status == 429 || (500..<600).contains(status), !final.contains(status) else { return answer }
                retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }
                failure = "HTTP \(status): \(answer.message)"
            } catch let error where Self.isTransient(error) {
                failure = String(describing: error)
            }
            guard attempt < retry.maximumAttempts else {
                throw CaptureClientError.unreachable("\(failure) (gave up after \(attempt) attempts)")
            }
            try await Task.sleep(for: retry.delay(after: attempt, retryAfter: retryAfter))
            attempt += 1
        }
    }

    /// The `error` field of a JSON error body, shortened; a generic text when there is none.
    static func message(in body: Data, status: Int) -> String {
        struct ErrorBody: Decodable { var error: String }
        guard let text = try? JSONDecoder().decode(ErrorBody.self, from: body).error, !text.isEmpty else {
            return "HTTP \(status) without an explanation"
        }
        return text.count > 500 ? String(text.prefix(500)) + "…" : text
    }

    /// Connection failures and timeouts are worth another try; a bad URL or a cancellation is not.
    static func isTransient(_ error: any Error) -> Bool {
        if error is CancellationError || error is CaptureClientError { return false }
        guard let e = error as? HTTPClientError else { return true }
        let transient: [HTTPClientError] = [.readTimeout, .writeTimeout, .remoteConnectionClosed, .connectTimeout,
                                            .deadlineExceeded, .getConnectionFromPoolTimeout, .uncleanShutdown]
        return transient.contains(e)
    }
}
