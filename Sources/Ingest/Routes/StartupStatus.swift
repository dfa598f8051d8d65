import HTTP1
import Loop
/// What `GET /startup-status` reports: one entry per component (spool, database, converters, LLM), each
/// registered by the stage that owns it.
@LoopActor
public final class StartupStatus {
    /// One component's state.
    public struct Component: Sendable {
        /// `"ok"`, `"degraded"` or `"down"`.
        public var status: String
        /// A short human sentence.
        public var detail: String
        public init(status: String, detail: String) {
            self.status = status
            self.detail = detail
        }
    }

    private var components: [(name: String, probe: @LoopActor () -> Component)] = []

    public init() {}

    /// Adds a component whose state `probe` reads at each request.
    public func register(_ name: String, probe: @escaping @LoopActor () -> Component) {
        components.append((name, probe))
    }

    package func render(spool: Spool) -> [UInt8] {
        var root = JSONText.Object()
        var spoolObject = JSONText.Object()
        spoolObject.string("status", spool.isFull ? "full" : "ok")
        spoolObject.string("directory", spool.directory)
        spoolObject.int("backlog_files", spool.depthFiles)
        spoolObject.int("backlog_bytes", spool.depthBytes)
        spoolObject.int("receiving_bytes", spool.receivingBytes)
        spoolObject.int("high_water_files", spool.marks.highWaterFiles)
        spoolObject.int("high_water_bytes", spool.marks.highWaterBytes)
        var componentsObject = JSONText.Object()
        componentsObject.object("spool", spoolObject)
        var overall = spool.isFull ? "degraded" : "ok"
        for (name, probe) in components {
            let c = probe()
            var o = JSONText.Object()
            o.string("status", c.status)
            o.string("detail", c.detail)
            componentsObject.object(name, o)
            if c.status != "ok" { overall = "degraded" }
        }
        root.string("status", overall)
        root.object("components", componentsObject)
        return root.finished() + [0x0A]
    }
}
