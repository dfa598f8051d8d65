import Loop

/// Results of per-page OCR runs as they end, awaited one at a time by the document's extraction.
///
/// Each page runs in its own task (``EventLoop/spawn(_:)``, so the runs stay on the loop) and ``deliver(_:_:)``s
/// its result; the extraction feeds each result to its ``OCRFanOut`` as ``next()`` returns it.
@LoopActor
final class PageResults {
    private var ready: [(page: Int, result: ConverterStep.Result)] = []
    private var waiter: CheckedContinuation<(page: Int, result: ConverterStep.Result), Never>?

    init() {}

    /// Page `page` ended with `result`.
    func deliver(_ page: Int, _ result: ConverterStep.Result) {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: (page, result))
        } else {
            ready.append((page, result))
        }
    }

    /// The next page to end, in the order they ended.
    func next() async -> (page: Int, result: ConverterStep.Result) {
        if !ready.isEmpty { return ready.removeFirst() }
        precondition(waiter == nil, "one reader at a time")
        return await withCheckedContinuation(isolation: LoopActor.shared) { waiter = $0 }
    }
}
