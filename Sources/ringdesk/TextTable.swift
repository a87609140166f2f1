/// An aligned plain-text table: a header row, then rows padded to each column's widest cell.
/// Cells of `wrapping` columns longer than their width continue on the following lines
/// (broken at spaces) instead of being cut.
struct TextTable {
    var columns: [String]
    /// Columns (by index) padded on the left, for numbers.
    var rightAligned: Set<Int> = []
    /// Column index → widest line; longer cells wrap.
    var wrapping: [Int: Int] = [:]
    private(set) var rows: [[String]] = []

    init(_ columns: [String], rightAligned: Set<Int> = [], wrapping: [Int: Int] = [:]) {
        self.columns = columns
        self.rightAligned = rightAligned
        self.wrapping = wrapping
    }

    mutating func add(_ row: [String]) {
        rows.append(row)
    }

    func render() -> String {
        // Each row becomes one or more physical lines; a wrapped cell's continuation lines leave
        // the other columns blank.
        let lines: [[String]] = rows.flatMap { row -> [[String]] in
            let cells = columns.indices.map { index -> [String] in
                let cell = index < row.count ? row[index] : ""
                return wrapping[index].map { Self.wrap(cell, width: $0) } ?? [cell]
            }
            let height = cells.map(\.count).max() ?? 1
            return (0..<height).map { line in cells.map { line < $0.count ? $0[line] : "" } }
        }
        var widths = columns.map(\.count)
        for line in lines {
            for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func render(_ cells: [String]) -> String {
            var parts: [String] = []
            for index in columns.indices {
                let cell = cells[index]
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                let isLast = index == columns.count - 1
                parts.append(rightAligned.contains(index) ? padding + cell : (isLast ? cell : cell + padding))
            }
            var text = parts.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        return ([render(columns)] + lines.map(render)).joined(separator: "\n")
    }

    /// Lines of at most `width` characters, broken at spaces; a word longer than `width` is
    /// split. Newlines in the text become spaces.
    static func wrap(_ text: String, width: Int) -> [String] {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        var lines: [String] = []
        var current = ""
        for word in words {
            var word = Substring(word)
            while word.count > width {
                if !current.isEmpty { lines.append(current); current = "" }
                lines.append(String(word.prefix(width)))
                word = word.dropFirst(width)
            }
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
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
