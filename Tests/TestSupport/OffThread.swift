import Foundation

/// Runs a blocking call (psql, a child process waited for) on a thread of its own, holding neither the loop thread nor
/// a thread of the cooperative pool, which tests share two of on these machines. `TestDatabase` refuses to run on the
/// loop thread; a `@LoopActor` test reaches it through this.
public func offThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
