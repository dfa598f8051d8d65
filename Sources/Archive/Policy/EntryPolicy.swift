/// What is refused before any byte of an entry is read. Pure.
///
/// In order, the first that applies: an unsafe name; a kind other than a regular file; the format's own refusal
/// (encrypted, an unsupported method…); a name that says archive; a declared size over the limits.
enum EntryPolicy {
    /// Why `member` is refused outright, or nil when its bytes may be read.
    static func refusal(for member: ArchiveMember, limits: ArchiveLimits) -> ArchiveEntryFailure? {
        let name = EntryName.display(member.rawName)
        if let problem = EntryName.problem(member.rawName, maxBytes: limits.maxNameBytes) {
            return .unsafeEntry("\(name): \(problem)")
        }
        switch member.kind {
        case .file, .directory:
            break
        case .symlink:
            return .unsafeEntry("\(name) is a symbolic link")
        case .hardLink:
            return .unsafeEntry("\(name) is a hard link")
        case .device:
            return .unsafeEntry("\(name) is a device")
        case .fifo:
            return .unsafeEntry("\(name) is a named pipe")
        case .other:
            return .unsafeEntry("\(name) is not a regular file")
        }
        if let refusal = member.refusal { return refusal }
        if let nested = NestedArchive.kind(name: member.rawName, head: []) {
            return .nestedArchive("\(name) is an archive (\(nested)); archives inside archives are not read")
        }
        return sizeRefusal(for: member, name: name, limits: limits)
    }

    /// A declared size over ``ArchiveLimits/maxEntryBytes`` (a bomb when its declared ratio is over
    /// ``ArchiveLimits/maxRatio`` too), or a declared ratio over the limit.
    static func sizeRefusal(for member: ArchiveMember, name: String, limits: ArchiveLimits) -> ArchiveEntryFailure? {
        let declared = member.declaredSize
        let budget = InflationBudget(
            maxBytes: UInt64(max(0, limits.maxEntryBytes)),
            maxRatio: member.compressedSize.map { _ in
                UInt64(max(1, limits.maxRatio))
            }, ratioThreshold: UInt64(max(0, limits.ratioThresholdBytes)))
        let ratioBroken = member.compressedSize.map { declared > budget.ratioCeiling(compressed: $0) } ?? false
        let sizes =
            "\(InflationBudget.describe(declared))"
            + (member.compressedSize.map { " from \(InflationBudget.describe($0))" } ?? "")
        if ratioBroken {
            return .decompressionBomb(
                "\(name) declares \(sizes): over the limit of \(limits.maxRatio):1")
        }
        if declared > budget.maxBytes {
            return .tooLarge(
                "\(name) declares \(sizes): over the limit of \(InflationBudget.describe(budget.maxBytes)) per entry")
        }
        return nil
    }
}
