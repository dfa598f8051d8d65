#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit (`RLIMIT_NOFILE`): every connection, spool file, pipe and database socket
/// takes one descriptor from it.
package enum DescriptorLimit {
    /// Raises the soft limit to the hard one (at most `ceiling`: a hard limit of "unlimited" cannot be the soft
    /// one). Returns the soft limit before and after; when raising fails the limit stays as it was.
    package static func raise(ceiling: Int = 1 << 20) -> (before: Int, now: Int) {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return (1024, 1024) }
        let before = Int(clamping: limit.rlim_cur)
        let target = limit.rlim_max == rlim_t.max ? rlim_t(ceiling) : min(limit.rlim_max, rlim_t(ceiling))
        guard target > limit.rlim_cur else { return (before, before) }
        var raised = limit
        raised.rlim_cur = target
        guard setrlimit(resource, &raised) == 0 else { return (before, before) }
        return (before, Int(clamping: target))
    }

    private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}
