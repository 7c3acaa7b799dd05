import Foundation

/// Writes a line to standard output without buffering, so credentials and URLs reach a pipe or
/// a log file before a long-running command (serve, demo) blocks.
func say(_ line: String = "") {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
