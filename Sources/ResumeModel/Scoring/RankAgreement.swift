/// How far two scorings of the same candidates rank them alike: Spearman's ρ, the Pearson correlation of
/// their ranks. Tied scores share the average of the ranks they span, so a tie counts as neither order (the
/// built-in scorer's whole-number scores tie often).
package enum RankAgreement {
    /// ρ between `a` and `b` (the same candidates in the same order), from -1 to 1; nil when there are fewer
    /// than two candidates or either side gives all of them the same score (no order to agree with).
    package static func spearman(_ a: [Double], _ b: [Double]) -> Double? {
        precondition(a.count == b.count, "two scorings of the same candidates")
        guard a.count >= 2 else { return nil }
        return pearson(ranks(a), ranks(b))
    }

    /// Each value's rank, 1 for the smallest; tied values get the mean of the ranks they span.
    package static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            // Positions i...j hold ranks i+1...j+1; their mean is the middle one.
            let shared = Double(i + j + 2) / 2
            for k in i...j { ranks[order[k]] = shared }
            i = j + 1
        }
        return ranks
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        let n = Double(x.count)
        let meanX = x.reduce(0, +) / n
        let meanY = y.reduce(0, +) / n
        var covariance = 0.0
        var varianceX = 0.0
        var varianceY = 0.0
        for (a, b) in zip(x, y) {
            covariance += (a - meanX) * (b - meanY)
            varianceX += (a - meanX) * (a - meanX)
            varianceY += (b - meanY) * (b - meanY)
        }
        guard varianceX > 0, varianceY > 0 else { return nil }
        return covariance / (varianceX * varianceY).squareRoot()
    }
}
