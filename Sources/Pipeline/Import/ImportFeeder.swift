import Archive
import Crypto
import Foundation
import Ingest
import Logging
import Loop

/// The front half of `import`: walks what the command line names (files, folders recursively, globs, `-` for
/// paths on standard input, archives entry by entry) and puts each document durably into the spool, where
/// the engine takes it as it takes uploads.
///
/// Nothing is read whole: files and archive entries stream through a ``SpoolWriter`` on libuv's pool. Entry
/// names are data (the display name of a document), never paths. Documents are committed in groups, so the
/// directory sync is shared, and feeding waits while the spool is above its high-water mark.
@LoopActor
public final class ImportFeeder {
    /// What one import feeds under.
    public struct Options: Sendable {
        public var tenant: String
        public var batchID: DocumentID
        /// Limits on archives read entry by entry.
        public var archiveLimits: ArchiveLimits
        /// Documents committed together (one directory sync for the group).
        public var commitGroup = 32
        /// Whether feeding waits while the spool is above its high-water mark (`import`). An archive the
        /// server already acknowledged is read whatever the mark: the worker reading it is one of those that
        /// drain the spool, and waiting on it could wait forever.
        public var waitsForRoom = true
        /// Files copied into the spool at once: each copy ends with two `fsync`s, and overlapping them keeps
        /// the disk's queue full (the file system groups their journal commits).
        public var parallelCopies = 8
        /// The tenant's monthly limit: asked before each group is committed how many of `n` documents may go;
        /// the rest (and every later entry) are recorded failed `quota_exceeded` with the answer's message,
        /// their bytes not kept. Nil: no limit.
        public var admit: (@LoopActor (_ n: Int) async -> (admitted: Int, message: String))?

        public init(tenant: String, batchID: DocumentID, archiveLimits: ArchiveLimits = ArchiveLimits()) {
            self.tenant = tenant
            self.batchID = batchID
            self.archiveLimits = archiveLimits
        }
    }

    /// What feeding did.
    public struct Tally: Sendable, Equatable {
        /// Documents committed to the spool (archive entries each count, refused ones too).
        public var spooled = 0
        /// Bytes of them.
        public var bytes = 0
        /// Archives read.
        public var archives = 0
        /// Paths named that could not be read, with why.
        public var unreadable: [String] = []
    }

    private let spool: Spool
    private let options: Options
    private let logger: Logger
    private var group: [SpooledDocument] = []
    private var copiesInFlight = 0
    private let copySlots = Waiters()
    /// The first spool failure of a copy running on its own; thrown at the next step.
    private var copyFailure: SystemError?
    public private(set) var tally = Tally()
    /// Set to stop feeding (SIGINT): what is committed stays; the rest of the paths are not read.
    public var isCancelled = false
    /// Called after each group is committed (progress).
    public var onCommit: @LoopActor (Tally) -> Void = { _ in }

    public init(spool: Spool, options: Options, logger: Logger) {
        self.spool = spool
        self.options = options
        self.logger = logger
    }

    /// Feeds every path in order; `-` reads further paths from standard input, one per line. Throws only
    /// when the spool itself fails (a disk error): then nothing more can be acknowledged.
    public func feed(_ paths: [String]) async throws {
        for path in paths {
            if path == "-" {
                while !isCancelled, let line = await Offload.runNonThrowing({ readLine(strippingNewline: true) }) {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    if !trimmed.isEmpty { try await feed(path: trimmed) }
                }
            } else {
                try await feed(path: path)
            }
        }
        while copiesInFlight > 0 { await copySlots.wait() }
        if let copyFailure { throw copyFailure }
        try await flush()
    }

    /// Reads the archive at `path` (a document of the spool sent to `POST /api/v1/imports`) into documents,
    /// named `name` in what it reports.
    /// `key` identifies the archive (its SHA-256) in the content keys of refused entries. Throws when the
    /// archive cannot be read at all (it then stays in the spool), or when the spool fails.
    public func expandArchive(at path: String, named name: String, key: String) async throws {
        let readable = await Offload.runNonThrowing { access(path, R_OK) == 0 }
        guard readable else { throw Unreadable(why: "cannot read the spooled archive \(path)") }
        expanding = true
        if let format = await Offload.runNonThrowing({ ArchiveFormat.detect(path: path) }) {
            try await feedArchive(path, format: format, name: name, key: key)
        } else {
            try await refuse(name: name, key: ["not-an-archive", key], code: "corrupt",
                             detail: "\(name) is not a zip, tar, tar.gz or tar.zst archive")
        }
        try await flush()
    }

    /// Reading an archive the server acknowledged: an archive that cannot be opened is an error (it stays in
    /// the spool), not a path to report.
    private var expanding = false

    // MARK: Paths

    private func feed(path: String) async throws {
        if isCancelled { return }
        let kind = await Offload.runNonThrowing { PathKind.of(path) }
        switch kind {
        case .file:
            try await feedFile(path)
        case .directory:
            try await walk(path)
        case .missing:
            let matches = await Offload.runNonThrowing { Glob.expand(path) }
            if matches.isEmpty {
                unreadable(path, "no such file or directory")
            } else {
                for match in matches { try await feed(path: match) }
            }
        case .other(let what):
            unreadable(path, what)
        }
    }

    /// Folders are walked depth first in name order; symbolic links to folders are not followed (no loops).
    private func walk(_ directory: String) async throws {
        let listing = await Offload.runNonThrowing { () -> Result<[String], Unreadable> in
            do {
                return .success(try FileManager.default.contentsOfDirectory(atPath: directory).sorted())
            } catch {
                return .failure(Unreadable(why: "cannot list the folder: \((error as NSError).localizedDescription)"))
            }
        }
        switch listing {
        case .failure(let failure):
            unreadable(directory, failure.why)
        case .success(let names):
            for name in names where !name.hasPrefix(".") {
                if isCancelled { return }
                let child = directory.hasSuffix("/") ? directory + name : directory + "/" + name
                let kind = await Offload.runNonThrowing { PathKind.of(child, followLinksToDirectories: false) }
                switch kind {
                case .file: try await feedFile(child)
                case .directory: try await walk(child)
                case .missing, .other: continue
                }
            }
        }
    }

    private func unreadable(_ path: String, _ why: String) {
        tally.unreadable.append("\(path): \(why)")
        logger.error("cannot import a path; the others are imported", metadata: ["path": "\(path)", "error": "\(why)"])
    }

    // MARK: Files and archives

    private func feedFile(_ path: String) async throws {
        let format = await Offload.runNonThrowing { ArchiveFormat.detect(path: path) }
        let name = Self.displayName(of: path)
        // DOCX, ODT and their kin are zips, and documents: a zip is read as an archive only when its name says
        // so (`.zip`); tar, gzip and zstd streams by their bytes.
        if let format, format != .zip || Self.namedAsArchive(name) {
            let size = await Offload.runNonThrowing { PathKind.size(path) }
            if try await feedArchive(path, format: format, key: "\(path)\0\(size)") { return }
            // A gzip or zstd stream with no tar inside (`changelog.gz`): a document after all; extraction says
            // what it is.
        }
        if Self.namedAsArchive(name) {
            // Named as an archive but none of the formats: one failed document says so.
            try await refuse(name: name, key: ["not-an-archive", path], code: "corrupt",
                             detail: "\(name) is named as an archive but is not a zip, tar, tar.gz or tar.zst file")
            return
        }
        while copiesInFlight >= options.parallelCopies { await copySlots.wait() }
        if let copyFailure { throw copyFailure }
        let template = metadata(filename: name)
        let temporary = spool.temporaryDirectory
        copiesInFlight += 1
        EventLoop.spawn { [self] in await copy(path, into: temporary, metadata: template) }
    }

    /// One file into the spool, on its own task (``Options/parallelCopies`` of them at once).
    private func copy(_ path: String, into temporary: String, metadata template: DocumentMetadata) async {
        let result = await Offload.runNonThrowing { () -> Result<SpooledDocument, ImportFailure> in
            Self.copy(path, into: temporary, metadata: template)
        }
        switch result {
        case .success(let document):
            do {
                try await add(document)
            } catch {
                copyFailure = copyFailure ?? (error as? SystemError) ?? SystemError("commit", path: path, errno: EIO)
            }
        case .failure(.source(let why)): unreadable(path, why)
        case .failure(.spool(let error)): copyFailure = copyFailure ?? error
        }
        copiesInFlight -= 1
        copySlots.resumeAll()
    }

    /// Each entry of the archive becomes a document; a refused entry becomes a failed document with its
    /// code, and the archive goes on. A damaged archive keeps the entries read before the damage and adds one
    /// failed document for the rest.
    /// Returns false, having done nothing, when the file turns out not to be an archive and neither its name
    /// nor the request says it is one.
    @discardableResult
    private func feedArchive(_ path: String, format: ArchiveFormat, name: String? = nil, key: String) async throws
        -> Bool
    {
        let archiveName = name ?? Self.displayName(of: path)
        let limits = options.archiveLimits
        let opened = await Offload.runNonThrowing { () -> Result<ReaderBox, ArchiveError> in
            do throws(ArchiveError) {
                return .success(ReaderBox(try ArchiveReader(path: path, limits: limits)))
            } catch {
                return .failure(error)
            }
        }
        let box: ReaderBox
        switch opened {
        case .success(let opened): box = opened
        case .failure(let error) where error.code == ArchiveError.unreadable.code:
            if expanding { throw Unreadable(why: error.message) }
            unreadable(path, error.message)
            return true
        case .failure(let error) where error.code == ArchiveError.notAnArchive.code && !expanding
            && !Self.namedAsArchive(archiveName):
            return false
        case .failure(let error):
            tally.archives += 1
            try await refuse(name: archiveName, key: ["archive", key], code: Self.documentCode(error), detail: error.message)
            return true
        }
        tally.archives += 1
        let temporary = spool.temporaryDirectory
        while !isCancelled {
            let template = metadata(filename: nil)
            let step = await Offload.runNonThrowing { () -> ArchiveStep in
                box.entriesRead += 1
                return Self.nextEntry(box.reader, archiveName: archiveName, into: temporary, metadata: template)
            }
            switch step {
            case .end:
                return true
            case .skipped:
                continue
            case .document(let document):
                try await add(document)
            case .refused(let name, let index, let code, let detail):
                try await refuse(name: name, key: ["entry", key, String(index), name], code: code, detail: detail)
            case .broken(let error):
                // The entries before the damage are in; one failed document stands for the rest.
                try await refuse(name: archiveName, key: ["broken", key, String(box.entriesRead - 1)],
                                 code: Self.documentCode(error),
                                 detail: "\(error.message) (after \(box.entriesRead - 1) entries)")
                return true
            case .spoolFailed(let error):
                throw error
            }
        }
        return true
    }

    /// The document code for an archive that could not be read on.
    private static func documentCode(_ error: ArchiveError) -> String {
        error.code == ArchiveError.notAnArchive.code ? "corrupt" : error.code
    }

    /// Set once the tenant's monthly limit refused documents: every later one is refused with it.
    private var quotaMessage: String?

    /// Records a document past the monthly limit as failed `quota_exceeded`, keyed by its content (so the
    /// same archive imported next month does not collide with this row), without its bytes.
    private func refuseOverQuota(_ original: DocumentMetadata, message: String) async throws -> SpooledDocument {
        var metadata = metadata(filename: original.filename)
        metadata.refusal = DocumentMetadata.Refusal(code: "quota_exceeded", detail: message)
        var hasher = SHA256()
        hasher.update(data: Array("resume-ingest over quota\0\(options.tenant)\0".utf8) + original.sha256)
        metadata.sha256 = Array(hasher.finalize())
        return try await emptyDocument(metadata)
    }

    /// Writes a document of no bytes with `metadata` into `tmp/` (a refusal's record), on the pool.
    private func emptyDocument(_ metadata: DocumentMetadata) async throws -> SpooledDocument {
        let temporary = spool.temporaryDirectory
        let result = await Offload.runNonThrowing { () -> Result<SpooledDocument, SystemError> in
            do throws(SystemError) {
                return .success(try SpoolWriter(temporaryDirectory: temporary).finish(metadata))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// A failed document for something that was not read: empty bytes, the refusal, and a content key made
    /// from what identifies it (so that importing the same archive again gives the same row, and two
    /// refused entries never share one).
    private func refuse(name: String, key: [String], code: String, detail: String) async throws {
        var metadata = metadata(filename: name)
        metadata.refusal = DocumentMetadata.Refusal(code: code, detail: detail)
        var hasher = SHA256()
        hasher.update(data: Array("resume-ingest refused\0\(options.tenant)\0".utf8))
        for part in key { hasher.update(data: Array(part.utf8) + [0]) }
        metadata.sha256 = Array(hasher.finalize())
        try await add(try await emptyDocument(metadata))
    }

    private func metadata(filename: String?) -> DocumentMetadata {
        DocumentMetadata(id: DocumentID(), tenant: options.tenant, batchID: options.batchID, filename: filename,
                         declaredType: nil, size: 0, sha256: [],
                         receivedAtMilliseconds: SystemClock.shared.unixMilliseconds())
    }

    // MARK: Groups

    private func add(_ document: SpooledDocument) async throws {
        group.append(document)
        if group.count >= options.commitGroup { try await flush() }
    }

    private func flush() async throws {
        guard !group.isEmpty else { return }
        // Above the high-water mark the engine has to catch up first: the spool is the only large buffer,
        // and it stays within its marks.
        while options.waitsForRoom, spool.isFull, !isCancelled { await UVTimer.sleep(milliseconds: 100) }
        var documents = group
        group = []
        if let admit = options.admit {
            let counted = documents.filter { $0.metadata.refusal == nil }
            var admitted = counted.count
            if quotaMessage != nil {
                admitted = 0
            } else if !counted.isEmpty {
                let answer = await admit(counted.count)
                admitted = min(max(0, answer.admitted), counted.count)
                if admitted < counted.count { quotaMessage = answer.message }
            }
            if admitted < counted.count {
                let over = Array(counted[admitted...])
                let overIDs = Set(over.map(\.metadata.id))
                documents.removeAll { overIDs.contains($0.metadata.id) }
                await Offload.runNonThrowing { over.forEach { $0.discard() } }
                for document in over {
                    documents.append(try await refuseOverQuota(document.metadata,
                                                               message: quotaMessage ?? "Monthly document limit reached"))
                }
            }
        }
        try await spool.commit(documents)
        tally.spooled += documents.count
        tally.bytes += documents.reduce(0) { $0 + $1.metadata.size }
        onCommit(tally)
    }

    // MARK: On the pool

    /// A path (or the spooled archive) that cannot be read.
    public struct Unreadable: Error, CustomStringConvertible {
        public var why: String
        public var description: String { why }
    }

    private enum ImportFailure: Error {
        /// The file to import could not be read.
        case source(String)
        /// The spool could not be written: nothing more can be acknowledged.
        case spool(SystemError)
    }

    private enum ArchiveStep: Sendable {
        case end
        case skipped
        case document(SpooledDocument)
        case refused(name: String, index: Int, code: String, detail: String)
        case broken(ArchiveError)
        case spoolFailed(SystemError)
    }

    /// The reader moves between pool jobs, one at a time (the feeder awaits each job before the next).
    private final class ReaderBox: @unchecked Sendable {
        let reader: ArchiveReader
        /// Entries asked for so far (the last one may have been the damage).
        var entriesRead = 0
        init(_ reader: ArchiveReader) { self.reader = reader }
    }

    nonisolated static let chunkSize = 64 << 10

    private nonisolated static func copy(_ path: String, into temporary: String, metadata: DocumentMetadata)
        -> Result<SpooledDocument, ImportFailure>
    {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return .failure(.source(String(cString: strerror(errno)))) }
        defer { close(input) }
        let writer: SpoolWriter
        do throws(SystemError) {
            writer = try SpoolWriter(temporaryDirectory: temporary)
        } catch {
            return .failure(.spool(error))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(input, buffer.baseAddress, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                let why = String(cString: strerror(errno))
                writer.discard()
                return .failure(.source(why))
            }
            if n == 0 { break }
            do throws(SystemError) {
                try writer.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            } catch {
                writer.discard()
                return .failure(.spool(error))
            }
        }
        do throws(SystemError) {
            return .success(try writer.finish(metadata))
        } catch {
            return .failure(.spool(error))
        }
    }

    private nonisolated static func nextEntry(_ reader: ArchiveReader, archiveName: String, into temporary: String,
                                              metadata: DocumentMetadata) -> ArchiveStep
    {
        let entry: ArchiveEntry
        do throws(ArchiveError) {
            guard let next = try reader.next() else { return .end }
            entry = next
        } catch {
            return .broken(error)
        }
        let name = entry.name.isEmpty ? "\(archiveName)#\(entry.index)" : entry.name
        if entry.kind == .directory { return .skipped }
        if let refusal = entry.refusal {
            return .refused(name: name, index: entry.index, code: refusal.code, detail: refusal.message)
        }
        let writer: SpoolWriter
        do throws(SystemError) {
            writer = try SpoolWriter(temporaryDirectory: temporary)
        } catch {
            return .spoolFailed(error)
        }
        do throws(ArchiveReadError<SystemError>) {
            try reader.readEntry { (bytes: UnsafeRawBufferPointer) throws(SystemError) in try writer.write(bytes) }
        } catch {
            writer.discard()
            switch error {
            case .write(let spoolError): return .spoolFailed(spoolError)
            case .entry(let failure):
                return .refused(name: name, index: entry.index, code: failure.code, detail: failure.message)
            }
        }
        var metadata = metadata
        metadata.filename = name
        do throws(SystemError) {
            return .document(try writer.finish(metadata))
        } catch {
            return .spoolFailed(error)
        }
    }

    /// Whether a name says "archive" (then a file that is none of the formats is an error, not a document).
    nonisolated static func namedAsArchive(_ name: String) -> Bool {
        let lower = name.lowercased()
        return [".zip", ".tar", ".tgz", ".tar.gz", ".tar.zst", ".tzst"].contains { lower.hasSuffix($0) }
    }

    /// The last path component, for display.
    nonisolated static func displayName(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}

/// What a path on the command line is.
enum PathKind: Equatable {
    case file, directory, missing
    case other(String)

    /// The file's size in bytes (0 when it cannot be read).
    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    static func of(_ path: String, followLinksToDirectories: Bool = true) -> PathKind {
        var info = stat()
        let rc = followLinksToDirectories ? stat(path, &info) : lstat(path, &info)
        if rc != 0 {
            if errno == ENOENT || errno == ENOTDIR { return .missing }
            return .other(String(cString: strerror(errno)))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK:
            // Not followed inside folders when it leads to a folder; a link to a file is imported.
            var target = stat()
            guard stat(path, &target) == 0 else { return .other("a broken symbolic link") }
            return (target.st_mode & S_IFMT) == S_IFREG ? .file : .other("a symbolic link to a folder (not followed)")
        default:
            return .other("not a regular file or a folder")
        }
    }
}

/// Shell-style patterns (`*`, `?`, `[...]`) for paths a shell did not expand (quoted, or read from stdin).
enum Glob {
    static func expand(_ pattern: String) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return [] }
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}
