import Metrics

/// How long callers wait for the one writer connection: SQLite's counterpart of a connection pool's wait,
/// and the first sign that writes queue behind each other.
public enum WriterWait {
    /// The histogram's name (seconds), for the metrics backend's bucket settings.
    public static let metricName = "custos_db_write_wait_seconds"

    /// Records one wait; a label lookup in the backend, small beside the transaction that follows.
    public static func record(_ waited: Duration) {
        Metrics.Timer(label: metricName).record(duration: waited)
    }
}
