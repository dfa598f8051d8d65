import Loop
import Foundation

/// Files and directories named on a command line (directories walked lazily, in name order).
@LoopActor
public final class FileListSource: ExtractionSource {
    private var pending: [String]
    private var counter = 0

    public init(paths: [String]) { pending = paths.reversed() }

    public func next() async -> ExtractionInput? {
        while let path = pending.popLast() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                let children = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                pending += children.sorted().reversed().map { path + "/" + $0 }
                continue
            }
            counter += 1
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
            let name = path.split(separator: "/").last.map(String.init)
            return ExtractionInput(id: String(counter), path: path, filename: name, size: size)
        }
        return nil
    }
}
