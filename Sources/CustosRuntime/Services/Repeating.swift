import ServiceLifecycle

/// Runs `body` after `first` and then `interval` after each run ends, until the service running it is told
/// to shut down gracefully or its task is cancelled: then it returns at once, or as soon as the run in
/// progress ends (a run is synchronous work on the database and is never cut short).
func repeating(first: Duration, every interval: Duration, _ body: @escaping @Sendable () -> Void) async {
    await cancelWhenGracefulShutdown {
        var delay = first
        while true {
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
            body()
            delay = interval
        }
    }
}
