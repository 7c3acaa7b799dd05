import AsyncHTTPClient
import Foundation
import Synchronization

/// The timed part of the ingest benchmark: every spooled batch POSTed to `/api/v1/messages` over
/// `connections` concurrent keep-alive connections, as a capture client would send them.
enum HTTPIngest {
    /// What one upload run measured.
    struct Result: Sendable {
        var messages = 0
        var seconds = 0.0
        /// Seconds per batch, request sent to response read.
        var latencies: [Double] = []
        var stored = 0
        var duplicates = 0
        var rejected = 0
        var firstRejection: String?
        var serverCPUSeconds = 0.0
        var clientCPUSeconds = 0.0
        /// Seconds the server's threads were runnable but waiting for a CPU that another process had.
        var serverWaitSeconds = 0.0

        /// Messages per second over the whole run.
        var throughput: Double { seconds > 0 ? Double(messages) / seconds : 0 }

        /// Adds another part of the upload to this one.
        mutating func merge(_ other: Result) {
            messages += other.messages
            seconds += other.seconds
            latencies += other.latencies
            stored += other.stored
            duplicates += other.duplicates
            rejected += other.rejected
            firstRejection = firstRejection ?? other.firstRejection
            serverCPUSeconds += other.serverCPUSeconds
            clientCPUSeconds += other.clientCPUSeconds
            serverWaitSeconds += other.serverWaitSeconds
        }
    }

    /// Uploads the spooled batches numbered `batches` to `server`, presenting `token`.
    static func run(spool: CorpusSpool, batches: Range<Int>, server: ServerProcess, token: String, http: HTTPClient,
                    connections: Int) async throws -> Result {
        let next = Counter()
        next.value.store(batches.lowerBound, ordering: .relaxed)
        let serverCPU = server.cpuSeconds()
        let serverWait = server.scheduling().waiting
        let clientCPU = Measure.ownCPUSeconds()
        let start = Measure.now()
        let parts = try await withThrowingTaskGroup(of: Result.self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var part = Result()
                    while true {
                        let b = next.value.add(1, ordering: .relaxed).oldValue
                        guard b < batches.upperBound else { break }
                        let body = try spool.body(b)
                        try await upload(body, count: spool.range(b).count, server: server, token: token, http: http, into: &part)
                    }
                    return part
                }
            }
            return try await group.reduce(into: [Result]()) { $0.append($1) }
        }
        var total = Result()
        total.seconds = Measure.now() - start
        total.serverCPUSeconds = server.cpuSeconds() - serverCPU
        total.clientCPUSeconds = Measure.ownCPUSeconds() - clientCPU
        total.serverWaitSeconds = server.scheduling().waiting - serverWait
        for p in parts {
            total.messages += p.messages
            total.latencies += p.latencies
            total.stored += p.stored
            total.duplicates += p.duplicates
            total.rejected += p.rejected
            total.firstRejection = total.firstRejection ?? p.firstRejection
        }
        return total
    }

    /// One POST; a non-200 answer stops the benchmark with the server's message.
    private static func upload(_ body: Data, count: Int, server: ServerProcess, token: String, http: HTTPClient,
                               into part: inout Result) async throws {
        var request = HTTPClientRequest(url: server.url + "/api/v1/messages")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body)
        let started = Measure.now()
        let response = try await http.execute(request, timeout: .seconds(300))
        var text: [UInt8] = []
        for try await chunk in response.body { text.append(contentsOf: chunk.readableBytesView) }
        part.latencies.append(Measure.now() - started)
        guard response.status.code == 200 else {
            throw BenchError("the server answered HTTP \(response.status.code): \(String(decoding: text.prefix(500), as: UTF8.self))")
        }
        part.messages += count
        part.stored += occurrences(of: #""status":"stored""#, in: text)
        part.duplicates += occurrences(of: #""status":"duplicate""#, in: text)
        let rejected = occurrences(of: #""status":"rejected""#, in: text)
        part.rejected += rejected
        if rejected > 0, part.firstRejection == nil, let r = text.firstRange(of: Array(#""reason":""#.utf8)) {
            part.firstRejection = String(decoding: text[r.upperBound...].prefix { $0 != UInt8(ascii: "\"") }, as: UTF8.self)
        }
    }

    /// How often `needle` occurs in `haystack` (the response is small: a result per item).
    static func occurrences(of needle: String, in haystack: [UInt8]) -> Int {
        let pattern = Array(needle.utf8)
        var count = 0
        var slice = haystack[...]
        while let r = slice.firstRange(of: pattern) {
            count += 1
            slice = slice[r.upperBound...]
        }
        return count
    }
}

/// A shared counter the upload tasks take batch numbers from.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// A progress line on standard error, so the results on standard output stay clean.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
