import ArgumentParser
import Foundation
import Hummingbird
import Logging

/// `custos-bench hello` (internal): a bare Hummingbird application with one route, `GET /hello`, in a process of
/// its own like the server under test, so the search page's throughput can be set beside what the framework
/// alone serves on this machine at the same moment. Exits by itself when the benchmark that started it is gone.
struct HelloServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hello", abstract: "Internal: the bare Hummingbird baseline.",
                                                    shouldDisplay: false)

    @Option var port: Int
    @Option(help: "The benchmark's process id; the server exits when it disappears.") var parent: Int32

    /// The one route's path.
    static let path = "/hello"

    func run() async throws {
        let parent = self.parent
        Thread.detachNewThread {
            while getppid() == parent { sleep(1) }
            Foundation.exit(0)
        }
        let router = Router()
        router.get(RouterPath(Self.path)) { _, _ in "Hello" }
        var logger = Logger(label: "custos-bench-hello")
        logger.logLevel = .info
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
                              logger: logger)
        try await app.runService()
    }
}
