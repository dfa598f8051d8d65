import Archive
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The files `loadgen` sends, named by the user as folders (walked recursively), globs or archives, and read
/// from disk one file at a time, pass after pass. Nothing is listed up front: a folder is walked with a stack of
/// open directories, an archive is read entry by entry, so memory does not grow with the corpus.
package struct Corpus: Sendable {
    /// One place files come from.
    package enum Source: Sendable, Equatable {
        /// A folder: every regular file under it, hidden ones (`.name`) skipped.
        case folder(String)
        /// A shell pattern (`dir/*.pdf`, `dir/**/*.docx`): the files under its first folder without wildcards
        /// that match it; `*` stays within one path component unless the pattern has `**`.
        case glob(String)
        /// A `.zip`, `.tar`, `.tar.gz`/`.tgz` or `.tar.zst`: its file entries.
        case archive(String)
        /// One file.
        case file(String)
    }

    /// One file read from the corpus.
    package struct File: Sendable {
        /// Its name as sent in the part's `filename` (the last path component).
        package var name: String
        package var bytes: [UInt8]
    }

    package var sources: [Source]
    /// Files larger than this are skipped (and counted): a load test is not the place for a 2 GiB upload.
    package var maxFileBytes: Int

    package init(paths: [String], maxFileBytes: Int = 64 << 20) throws(LoadGenError) {
        guard !paths.isEmpty else { throw .corpusMissing("(none given: name one with --corpus)") }
        sources = try paths.map { path throws(LoadGenError) in try Self.classify(path) }
        self.maxFileBytes = maxFileBytes
    }

    static let archiveSuffixes = [".zip", ".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst"]

    static func classify(_ path: String) throws(LoadGenError) -> Source {
        if path.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) {
            let base = globBase(path)
            guard isDirectory(base) else { throw .corpusMissing(path) }
            return .glob(path)
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw .corpusMissing(path) }
        if info.st_mode & S_IFMT == S_IFDIR { return .folder(path) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .corpusMissing(path) }
        let lower = path.lowercased()
        if archiveSuffixes.contains(where: { lower.hasSuffix($0) }) { return .archive(path) }
        return .file(path)
    }

    /// The folder a glob is walked from: its path up to the first component with a wildcard.
    static func globBase(_ pattern: String) -> String {
        var parts: [Substring] = []
        for component in pattern.split(separator: "/", omittingEmptySubsequences: false) {
            if component.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) { break }
            parts.append(component)
        }
        let base = parts.joined(separator: "/")
        if base.isEmpty { return pattern.hasPrefix("/") ? "/" : "." }
        return base
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Calls `body` with each file of one pass over the corpus, in order, until it returns false. Returns how
    /// many files were skipped as unreadable or larger than ``maxFileBytes``.
    @discardableResult
    package func forEachFile(_ body: (File) -> Bool) throws(LoadGenError) -> Int {
        var skipped = 0
        var going = true
        for source in sources where going {
            switch source {
            case .file(let path):
                if let file = readFile(path, skipped: &skipped) { going = body(file) }
            case .folder(let root):
                walk(root, pattern: nil) { path in
                    guard let file = readFile(path, skipped: &skipped) else { return true }
                    going = body(file)
                    return going
                }
            case .glob(let pattern):
                walk(Self.globBase(pattern), pattern: pattern) { path in
                    guard let file = readFile(path, skipped: &skipped) else { return true }
                    going = body(file)
                    return going
                }
            case .archive(let path):
                try readArchive(path, skipped: &skipped) { file in
                    going = body(file)
                    return going
                }
            }
        }
        return skipped
    }

    /// Whether one pass would yield at least one file, without reading any file's bytes (for the up-front
    /// "holds no files" error).
    package func hasFiles() throws(LoadGenError) -> Bool {
        for source in sources {
            switch source {
            case .file:
                return true
            case .folder(let root):
                var found = false
                walk(root, pattern: nil) { _ in found = true; return false }
                if found { return true }
            case .glob(let pattern):
                var found = false
                walk(Self.globBase(pattern), pattern: pattern) { _ in found = true; return false }
                if found { return true }
            case .archive(let path):
                do {
                    let reader = try ArchiveReader(path: path, limits: Self.archiveLimits)
                    while let entry = try reader.next() {
                        if entry.refusal == nil && entry.kind == .file { return true }
                    }
                } catch {
                    throw .corpusUnreadable(path, error.description)
                }
            }
        }
        return false
    }

    /// An archive as a corpus is the user's own data: far more entries than an upload may hold.
    static let archiveLimits = ArchiveLimits(maxEntries: Int.max >> 8, maxEntryBytes: 1 << 30,
                                             maxTotalBytes: Int.max >> 1, maxRatio: 1000)

    private func readArchive(_ path: String, skipped: inout Int, _ body: (File) -> Bool) throws(LoadGenError) {
        do {
            let reader = try ArchiveReader(path: path, limits: Self.archiveLimits)
            while let entry = try reader.next() {
                guard entry.kind == .file, entry.refusal == nil, entry.declaredSize <= UInt64(maxFileBytes) else {
                    skipped += 1
                    continue
                }
                var bytes: [UInt8] = []
                bytes.reserveCapacity(Int(entry.declaredSize))
                do {
                    try reader.readEntry { (chunk: UnsafeRawBufferPointer) throws(ArchiveEntryFailure) in
                        bytes.append(contentsOf: chunk)
                    }
                } catch {
                    skipped += 1
                    continue
                }
                let name = entry.name.split(separator: "/").last.map(String.init) ?? entry.name
                if !body(File(name: name, bytes: bytes)) { return }
            }
        } catch {
            throw .corpusUnreadable(path, error.description)
        }
    }

    private func readFile(_ path: String, skipped: inout Int) -> File? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            skipped += 1
            return nil
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= maxFileBytes else {
            skipped += 1
            return nil
        }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        if done < size { bytes.removeLast(size - done) } // the file shrank while read: send what was there
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return File(name: name, bytes: bytes)
    }

    /// Depth-first over `root` with one open directory per level: calls `visit` with each regular file's path
    /// (matching `pattern` when given) until it returns false. Hidden entries are skipped; symlinks to files
    /// are followed, symlinks to folders are not (no loops).
    private func walk(_ root: String, pattern: String?, _ visit: (String) -> Bool) {
        let crossesSlash = pattern?.contains("**") ?? false
        var stack: [(dir: OpaquePointer, path: String)] = []
        guard let first = opendir(root) else { return }
        stack.append((first, root))
        defer { for entry in stack { closedir(entry.dir) } }
        while let top = stack.last {
            guard let entry = readdir(top.dir) else {
                closedir(top.dir)
                stack.removeLast()
                continue
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let path = top.path == "." && pattern != nil ? name
                : top.path.hasSuffix("/") ? top.path + name : top.path + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            if kind == S_IFDIR {
                if let dir = opendir(path) { stack.append((dir, path)) }
                continue
            }
            if kind == S_IFLNK {
                guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            } else if kind != S_IFREG {
                continue
            }
            if let pattern, fnmatch(pattern, path, crossesSlash ? 0 : FNM_PATHNAME) != 0 { continue }
            if !visit(path) { return }
        }
    }
}
