import Metrics
import CustosStore
import Prometheus

/// The process's one metrics backend: swift-metrics bootstrapped with a Prometheus registry the first time
/// anything asks for it. swift-metrics may be bootstrapped once per process, and a process (a test run) may
/// build many applications, so they all share this registry: every counter in it is process-wide.
public enum MetricsBackend {
    /// The registry every swift-metrics counter, timer and recorder of this process reports to.
    public static let registry: PrometheusCollectorRegistry = bootstrap()

    /// Latency buckets of HTTP requests (seconds): pages take milliseconds, exports and verification longer.
    static let requestBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
    /// Buckets of the wait for the writer: mostly none, so finer at the bottom.
    static let writerWaitBuckets: [Duration] = [
        .microseconds(10), .microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50),
        .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    /// Runs once (a static `let` is initialised exactly once, even when many threads ask at the same time).
    private static func bootstrap() -> PrometheusCollectorRegistry {
        // Bootstrapping a second time would stop the process; when this process already has a Prometheus backend,
        // report to its registry instead.
        if let existing = MetricsSystem.factory as? PrometheusMetricsFactory { return existing.registry }
        let registry = PrometheusCollectorRegistry()
        guard MetricsSystem.factory is NOOPMetricsHandler else {
            // Another backend owns swift-metrics: /metrics can then show only the gauges it computes itself.
            return registry
        }
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = requestBuckets
        factory.durationHistogramBuckets[WriterWait.metricName] = writerWaitBuckets
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
