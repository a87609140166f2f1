/// An aligned plain-text table: a header row, then rows padded to each column's widest cell.
struct TextTable {
    var columns: [String]
    /// Columns (by index) padded on the left, for numbers.
    var rightAligned: Set<Int> = []
    private(set) var rows: [[String]] = []

    init(_ columns: [String], rightAligned: Set<Int> = []) {
        self.columns = columns
        self.rightAligned = rightAligned
    }

    mutating func add(_ row: [String]) {
        rows.append(row)
    }

    func render() -> String {
        var widths = columns.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for index in columns.indices {
                let cell = index < cells.count ? cells[index] : ""
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                let isLast = index == columns.count - 1
                parts.append(rightAligned.contains(index) ? padding + cell : (isLast ? cell : cell + padding))
            }
            return parts.joined(separator: "  ")
        }
        return ([line(columns)] + rows.map(line)).joined(separator: "\n")
    }
}

/// Label/value pairs printed as two aligned columns.
struct FieldList {
    private(set) var fields: [(String, String)] = []

    mutating func add(_ label: String, _ value: String?) {
        if let value { fields.append((label, value)) }
    }

    func render() -> String {
        let width = fields.map(\.0.count).max() ?? 0
        return fields.map { label, value in
            label + String(repeating: " ", count: width - label.count) + "  " + value
        }.joined(separator: "\n")
    }
}
