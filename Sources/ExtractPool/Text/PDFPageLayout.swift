/// One PDF page's text in reading order, from the line boxes `pdftotext -bbox-layout` reports. Pure.
///
/// `pdftotext -layout` prints a page row by row across its whole width. On a one-column page that is what a
/// reader wants (a right-aligned date stays on its job's line), but on a page set in two columns (a sidebar
/// template, a LinkedIn export, a two-column CV) it interleaves them: the sidebar's "Bristol, United Kingdom"
/// runs into the main column's job title. So each page is looked at first:
///
/// - **Columns** are a vertical *gutter*: an x position that no line crosses over a band of the page (the
///   band runs between the lines that do cross it: a name and title above, a footer below), with
///   substantial text on both sides — at least ``minColumnLines`` lines each, each side filling at least
///   ``minColumnFill`` of its own height with text. A two-column *table* also has a gutter but is read
///   across (a date beside each job, a heading beside its items, a bullet beside its sentence): its side
///   with fewer lines is sparse (low fill) or its lines share their baselines with the other side's
///   (``maxAlignedShare``); such a page is not columned.
/// - A **columned page** is written as: the rows above the band, the left column, a blank line, the right
///   column, a blank line, the rows below the band.
/// - **Every other page**, and each column, is written row by row the way `-layout` does: lines whose middles
///   fall within a row's first line go on that row, left to right, a run of spaces apart; a gap of more than
///   half a line between rows becomes a blank line.
///
/// Coordinates are PDF points, y growing downwards (as `pdftotext` reports them).
enum PDFPageLayout {
    /// One line of text as `pdftotext` grouped it (words joined by a space) and its box.
    struct Line: Equatable, Sendable {
        var xMin: Double
        var yMin: Double
        var xMax: Double
        var yMax: Double
        var text: String

        var height: Double { yMax - yMin }
        var middle: Double { (yMin + yMax) / 2 }
    }

    /// Where a page's columns are: the gutter's x and which of the page's lines (sorted by ``Line/yMin``)
    /// the columned band holds.
    struct Columns: Equatable {
        var gutter: Double
        var band: Range<Int>
    }

    /// Lines each column needs for the page to count as columned.
    static let minColumnLines = 8
    /// The share of a column's own height its lines must fill (a date column beside jobs fills about a tenth).
    static let minColumnFill = 0.5
    /// The most of the shorter column's lines that may sit on a baseline of the other column (table rows do).
    static let maxAlignedShare = 0.7
    /// How far (points) a line may overhang the gutter and still count as beside it, not across it.
    static let slack = 1.0

    /// The page's text, lines separated by `\n`, without a trailing line break.
    static func text(of lines: [Line]) -> String {
        let sorted = lines.sorted { $0.yMin < $1.yMin }
        guard let columns = columns(inSorted: sorted) else { return rows(sorted).joined(separator: "\n") }
        let band = sorted[columns.band]
        let left = band.filter { $0.xMax <= columns.gutter + slack }
        let right = band.filter { $0.xMax > columns.gutter + slack }
        var out: [String] = []
        for part in [Array(sorted[..<columns.band.lowerBound]), left, right, Array(sorted[columns.band.upperBound...])]
        where !part.isEmpty {
            if !out.isEmpty { out.append("") }
            out += rows(part)
        }
        return out.joined(separator: "\n")
    }

    // MARK: Columns

    /// The page's columns, or nil when it reads across. `sorted` is ordered by ``Line/yMin``.
    static func columns(inSorted sorted: [Line]) -> Columns? {
        guard sorted.count >= 2 * minColumnLines else { return nil }
        let left = sorted.map(\.xMin).min()!, right = sorted.map(\.xMax).max()!
        let width = right - left
        // Candidate gutters every 2 pt across the middle of the text; the best band is the one whose smaller
        // side holds the most lines.
        var best: (columns: Columns, smaller: Int)?
        var x = left + 0.15 * width
        while x < left + 0.85 * width {
            var start = 0
            for index in 0...sorted.count {
                let crosses = index < sorted.count && sorted[index].xMin < x - slack && sorted[index].xMax > x + slack
                guard crosses || index == sorted.count else { continue }
                let band = start..<index
                start = index + 1
                let leftCount = sorted[band].count { $0.xMax <= x + slack }
                let smaller = min(leftCount, band.count - leftCount)
                if smaller >= minColumnLines, smaller > best?.smaller ?? 0 {
                    best = (Columns(gutter: x, band: band), smaller)
                }
            }
            x += 2
        }
        guard let best, readsAsColumns(sorted[best.columns.band], gutter: best.columns.gutter) else { return nil }
        return best.columns
    }

    /// Whether a band with a gutter holds two columns rather than a two-column table.
    static func readsAsColumns(_ band: ArraySlice<Line>, gutter: Double) -> Bool {
        let left = band.filter { $0.xMax <= gutter + slack }
        let right = band.filter { $0.xMax > gutter + slack }
        guard fill(left) >= minColumnFill, fill(right) >= minColumnFill else { return false }
        let (fewer, more) = left.count <= right.count ? (left, right) : (right, left)
        let aligned = fewer.count { line in more.contains { abs($0.yMax - line.yMax) < 1 } }
        return Double(aligned) <= maxAlignedShare * Double(fewer.count)
    }

    /// The share of a column's height, from its first line's top to its last line's bottom, that its lines
    /// cover.
    static func fill(_ column: [Line]) -> Double {
        guard let top = column.map(\.yMin).min(), let bottom = column.map(\.yMax).max(), bottom > top else { return 0 }
        return column.reduce(0) { $0 + $1.height } / (bottom - top)
    }

    // MARK: Rows

    /// `lines` (ordered by ``Line/yMin``) row by row, as `-layout` prints them; blank strings for gaps.
    static func rows(_ lines: [Line]) -> [String] {
        struct Row {
            var first: Line
            var lines: [Line]
            var yMin: Double
            var yMax: Double
        }
        var rows: [Row] = []
        for line in lines.sorted(by: { $0.middle < $1.middle }) {
            if let last = rows.last, line.middle >= last.first.yMin, line.middle <= last.first.yMax {
                rows[rows.count - 1].lines.append(line)
                rows[rows.count - 1].yMin = min(last.yMin, line.yMin)
                rows[rows.count - 1].yMax = max(last.yMax, line.yMax)
            } else {
                rows.append(Row(first: line, lines: [line], yMin: line.yMin, yMax: line.yMax))
            }
        }
        var out: [String] = []
        var previous: Row?
        for row in rows {
            if let previous, row.yMin - previous.yMax > 0.5 * min(previous.first.height, row.first.height) {
                out.append("")
            }
            out.append(row.lines.sorted { $0.xMin < $1.xMin }.map(\.text).joined(separator: "   "))
            previous = row
        }
        return out
    }
}
