import Foundation
import Logging
import Loop
import Sink

/// Counts since start, for `/metrics` and tests.
public struct ScoringCounters: Sendable, Equatable {
    /// Candidates claimed from the queue (a candidate claimed again after a lost lease counts again).
    public var claimed = 0
    public var scored = 0
    /// Candidates failed, by code (`not_parsed`, `llm_invalid_output`, …).
    public var failed: [String: Int] = [:]
    /// Reasons written (their quotes verified), dropped (a quote not in the resume) and re-anchored (a quote in
    /// the resume at other offsets than the scorer said).
    public var reasonsVerified = 0
    public var reasonsDropped = 0
    public var reasonsReanchored = 0
    /// Outcomes not written because the candidate was gone or asked for again meanwhile (a job deleted).
    public var discarded = 0
    public var runsCompleted = 0
    /// Candidates given back to the queue after an error (the database away) or a cancelled scoring.
    public var released = 0
    /// Tokens an LLM scorer spent (prompt, completion, of the prompt served from the endpoint's cache).
    public var promptTokens = 0
    public var completionTokens = 0
    public var cachedTokens = 0
}

/// Scores what `scoring_queue` holds, on every engine with a database: claims due candidates across tenants
/// with a lease, reads each job and its documents with the tenant set, scores them (``CandidateScoring``) and
/// writes the outcomes with their queue rows taken in one transaction. Nothing is kept in memory between
/// rounds: after a crash or restart the queue says what is left, and a lease that ran out makes a candidate
/// due again (on whichever engine claims it).
@LoopActor
public final class ScoringWorker {
    public private(set) var counters = ScoringCounters()
    private let queue: ScoringQueue
    private let scorer: any CandidateScoring
    private let logger: Logger
    /// Candidates claimed per round, and how long a claim holds.
    private let batchSize: Int
    private let leaseSeconds: Int
    /// Claims after which a candidate still without an outcome fails `scoring_abandoned` rather than being
    /// scored again: one whose scoring kills the engine (every lease then runs out) or whose write keeps
    /// failing would otherwise be claimed for ever, and its run never complete.
    private let maxAttempts: Int
    private let pollMilliseconds: UInt64
    /// This engine's claim token (a new one per start: a claim left by a previous run is not ours).
    private let claim = UUID().uuidString.lowercased()
    private let nap = Nap()
    private var loop: Task<Void, Never>?
    /// Renews this engine's leases while rounds are out (a third of the lease apart).
    private let renewNap = Nap()
    private var renewing: Task<Void, Never>?
    private var closed = false
    private var claimFailures = 0
    /// Rounds being scored now, by number (at most the scorer's ``CandidateScoring/concurrentRounds``).
    private var rounds: [Int: Task<Void, Never>] = [:]
    /// What each round holds, for the lease renewal.
    private var held: [Int: [ClaimedCandidate]] = [:]
    private var nextRound = 0
    /// Hears each run that completed (its webhook is queued there).
    public var completed: @LoopActor (CompletedRun) async -> Void = { _ in }

    public init(queue: ScoringQueue, scorer: any CandidateScoring, logger: Logger, batchSize: Int = 64,
                leaseSeconds: Int = 300, pollMilliseconds: UInt64 = 1_000, maxAttempts: Int = 5) {
        self.queue = queue
        self.scorer = scorer
        self.logger = logger
        self.batchSize = max(1, batchSize)
        self.leaseSeconds = max(10, leaseSeconds)
        self.maxAttempts = max(1, maxAttempts)
        self.pollMilliseconds = pollMilliseconds
    }

    public var scorerName: String { scorer.name }

    public func start() {
        guard !closed, loop == nil else { return }
        loop = EventLoop.spawn { [self] in await run() }
        renewing = EventLoop.spawn { [self] in await renewLeases() }
    }

    /// While rounds are out, renews their leases every third of a lease: a round waiting on an LLM that is away
    /// may take longer than a lease, and a lease that ran out would let another engine score the candidate too
    /// and count a claim against it.
    private func renewLeases() async {
        let every = UInt64(leaseSeconds) * 1_000 / 3
        while !closed {
            await renewNap.nap(milliseconds: every)
            let holding = held.values.flatMap { $0 }
            guard !closed, !holding.isEmpty else { continue }
            do throws(PGError) {
                try await queue.renew(holding, claim: claim, leaseSeconds: leaseSeconds)
            } catch {
                logger.warning("could not renew the leases of candidates being scored", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Looks at the queue now (candidates were just made pending) rather than at the next poll.
    public func wake() { nap.wake() }

    /// Gives up job `jobID`'s scoring in progress (the job was deleted): its candidates are gone from the
    /// database already, and an LLM scorer stops spending tokens on them.
    public func cancel(jobID: String) { scorer.cancel(jobID: jobID) }

    /// Stops: the scorer closes (what it had not scored is given back to the queue, due at once for whichever
    /// engine runs next), the rounds in progress write what they have, and the loop ends.
    public func close() async {
        guard !closed else { return }
        closed = true
        nap.close()
        renewNap.close()
        await scorer.close()
        await loop?.value
        loop = nil
        await renewing?.value
        renewing = nil
        while let round = rounds.first?.value { await round.value }
    }

    private func run() async {
        while !closed {
            if rounds.count >= scorer.concurrentRounds {
                // Woken when a round ends (a wake-up before the nap ends it at once).
                await nap.nap(milliseconds: pollMilliseconds)
                continue
            }
            let claimed: [ClaimedCandidate]
            do throws(PGError) {
                claimed = try await queue.claim(claim, limit: batchSize, leaseSeconds: leaseSeconds)
                if claimFailures > 0 {
                    logger.info("claiming candidates to score again", metadata: ["failures": "\(claimFailures)"])
                    claimFailures = 0
                }
            } catch {
                if claimFailures == 0 { logger.warning("could not claim candidates to score", metadata: ["error": "\(error)"]) }
                claimFailures += 1
                await nap.nap(milliseconds: min(30_000, pollMilliseconds << min(5, claimFailures)))
                continue
            }
            counters.claimed += claimed.count
            // One job of one tenant at a time, in the order claimed.
            var groups: [(key: String, candidates: [ClaimedCandidate])] = []
            var position: [String: Int] = [:]
            for candidate in claimed {
                let key = candidate.tenantID + "/" + candidate.jobID
                if let at = position[key] {
                    groups[at].candidates.append(candidate)
                } else {
                    position[key] = groups.count
                    groups.append((key, [candidate]))
                }
            }
            if !claimed.isEmpty {
                let number = nextRound
                nextRound += 1
                held[number] = claimed
                rounds[number] = EventLoop.spawn { [self] in await round(number, groups.map(\.candidates)) }
            }
            // Nothing due: wait for the next poll or a wake-up. A short claim does not mean the queue is empty
            // (each tenant is read up to its share), so the loop claims again (waiting first if rounds are full).
            if claimed.isEmpty { await nap.nap(milliseconds: pollMilliseconds) }
        }
    }

    /// One round: the claimed candidates, a job at a time.
    private func round(_ number: Int, _ groups: [[ClaimedCandidate]]) async {
        for group in groups { await score(group) }
        rounds[number] = nil
        held[number] = nil
        nap.wake()
    }

    /// Scores claimed candidates of one job and tenant, and writes them; on an error, gives them back.
    private func score(_ group: [ClaimedCandidate]) async {
        guard let first = group.first else { return }
        do throws(PGError) {
            let (job, documents) = try await queue.inputs(job: first.jobID, documents: group.map(\.documentID),
                                                          tenantID: first.tenantID)
            // A job deleted meanwhile: its candidates and queue rows went with it.
            guard let job else {
                counters.discarded += group.count
                return
            }
            // Candidates claimed too often without an outcome are not scored again: they fail, with why.
            let worn = Dictionary(uniqueKeysWithValues: group.filter { $0.attempts > maxAttempts }
                .map { ($0.documentID, $0.attempts - 1) })
            var abandoned: [CandidateOutcome] = []
            for (document, tries) in worn.sorted(by: { $0.key < $1.key }) {
                logger.error("a candidate was claimed again and again without an outcome; it fails scoring_abandoned",
                             metadata: ["job": "\(job.id)", "document": "\(document)", "claims": "\(tries)"])
                abandoned.append(.failed(document, code: CandidateScoringFailure.abandoned,
                                         detail: "claimed \(tries) times without an outcome (the engine scoring it "
                                             + "stopped, or its result could not be written)", scorer: scorer.name))
            }
            let all = abandoned + (await scorer.score(job: job, candidates: documents.filter { worn[$0.documentID] == nil }))
            // Cancelled is not an outcome: those candidates go back to the queue, due at once.
            let outcomes = all.filter { $0.errorCode != CandidateScoringFailure.cancelled }
            let cancelled = Set(all.filter { $0.errorCode == CandidateScoringFailure.cancelled }.map(\.documentID))
            if !cancelled.isEmpty {
                counters.released += cancelled.count
                try? await queue.release(group.filter { cancelled.contains($0.documentID) }, claim: claim, delaySeconds: 0,
                                         counted: false)
            }
            let (written, completedRuns) = try await queue.write(outcomes, job: job.id, revision: job.revision,
                                                                 claim: claim, tenantID: first.tenantID)
            count(outcomes, written: written)
            counters.discarded += group.count - cancelled.count - written
            for run in completedRuns {
                counters.runsCompleted += 1
                await completed(run)
            }
        } catch {
            logger.warning("could not score candidates; they are due again shortly",
                           metadata: ["job": "\(first.jobID)", "count": "\(group.count)", "error": "\(error)"])
            counters.released += group.count
            try? await queue.release(group, claim: claim, delaySeconds: 5)
        }
    }

    private func count(_ outcomes: [CandidateOutcome], written: Int) {
        for outcome in outcomes {
            if let code = outcome.errorCode {
                counters.failed[code, default: 0] += 1
            } else {
                counters.scored += 1
            }
            counters.reasonsDropped += outcome.reasonsDropped
            counters.reasonsReanchored += outcome.reasonsReanchored
            counters.reasonsVerified += outcome.reasonsKept
            counters.promptTokens += outcome.promptTokens ?? 0
            counters.completionTokens += outcome.completionTokens ?? 0
            counters.cachedTokens += outcome.cachedTokens ?? 0
        }
    }
}
