/// A printed result: a header, rows of cells and notes under it, rendered as a Markdown table with
/// aligned columns so it can go into docs/benchmarks.md as is.
struct ResultTable {
    /// Column titles.
    let columns: [String]
    /// Columns whose cells are numbers, right-aligned.
    let numeric: Set<Int>
    private(set) var rows: [[String]] = []
    /// Lines printed under the table (checks, context).
    private(set) var notes: [String] = []

    /// An empty table with these columns.
    init(columns: [String], numeric: Set<Int>) {
        self.columns = columns
        self.numeric = numeric
    }

    /// The benchmark's main table: figure, Custos, baseline, ratio (Custos ÷ baseline), target and verdict.
    static func comparison() -> ResultTable {
        ResultTable(columns: ["figure", "Custos", "baseline", "ratio", "target", ""], numeric: [1, 2, 3])
    }

    /// Adds a row of cells, one per column.
    mutating func add(_ cells: [String]) { rows.append(cells) }

    /// Adds a comparison row; `met` nil means the figure has no target.
    mutating func add(_ figure: String, custos: String, baseline: String = "—", ratio: String = "—", target: String = "—",
                      met: Bool? = nil) {
        rows.append([figure, custos, baseline, ratio, target, met.map { $0 ? "ok" : "MISSED" } ?? ""])
    }

    /// Adds a line under the table.
    mutating func note(_ line: String) { notes.append(line) }

    /// "0.42×": Custos divided by the baseline.
    static func ratio(_ custos: Double, _ baseline: Double) -> String {
        baseline > 0 ? Measure.fixed(custos / baseline, 2) + "×" : "—"
    }

    /// The table with aligned columns, then the notes.
    func render() -> String {
        var widths = columns.map(\.count)
        for row in rows {
            for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) }
        }
        func line(_ cells: [String]) -> String {
            "| " + widths.indices.map { i in
                let v = i < cells.count ? cells[i] : ""
                let pad = String(repeating: " ", count: widths[i] - v.count)
                return numeric.contains(i) ? pad + v : v + pad
            }.joined(separator: " | ") + " |"
        }
        let rule = "| " + widths.indices.map { i in
            numeric.contains(i) ? String(repeating: "-", count: max(widths[i] - 1, 1)) + ":" : String(repeating: "-", count: widths[i])
        }.joined(separator: " | ") + " |"
        return ([line(columns), rule] + rows.map(line) + [""] + notes).joined(separator: "\n")
    }
}
