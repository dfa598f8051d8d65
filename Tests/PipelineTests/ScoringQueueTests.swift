import Foundation
import Logging
import Loop
@testable import Pipeline
import Sink
import Testing
import TestSupport

/// The scoring queue and worker in-process against a real PostgreSQL: what a deletion, a repeated request or a
/// lost lease does to candidates claimed and not yet written.
@Suite("scoring queue")
struct ScoringQueueTests {
    /// A migrated database with tenant `default`, `count` parsed documents and one that failed, and a job.
    @LoopActor
    final class Setup {
        let pool: SidePool
        let tenantID: String
        let jobs: JobRecords
        let queue: ScoringQueue
        let job: String
        let documents: [String]

        static let logger: Logger = {
            var logger = Logger(label: "scoring")
            logger.logLevel = .error
            return logger
        }()

        init(_ url: String, count: Int, tenant slug: String = "default") async throws {
            var database = SinkConfiguration()
            database.databaseURL = url
            pool = SidePool(configuration: database, size: 2, logger: Self.logger)
            jobs = JobRecords(pool: pool)
            queue = ScoringQueue(pool: pool)
            var found: String?
            for attempt in 1...5 where found == nil {
                do throws(PGError) {
                    found = try await pool.withConnection { c throws(PGError) in
                        try await c.query("INSERT INTO tenants (slug) VALUES ($1) ON CONFLICT (slug) DO NOTHING", [slug])
                        return try await c.query("SELECT id::text FROM tenants WHERE slug = $1", [slug]).scalar
                    }
                } catch {
                    if attempt == 5 { throw error }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            tenantID = try #require(found)
            let ids = (0...count).map { _ in UUID().uuidString.lowercased() }
            try await pool.inTenant(tenantID) { c throws(PGError) in
                for (n, id) in ids.enumerated() {
                    let text = "Ada Example\nBackend engineer\nSkills: Python, SQL, Kubernetes\nExperience\n"
                        + "Backend Engineer, Acme, 2018-01 - 2024-06\nEducation\nBSc Computer Science, Example University"
                    try await c.query("""
                        INSERT INTO documents (id, tenant_id, content_sha256, size_bytes, status, text, received_at, error_code)
                        VALUES ($1::uuid, current_tenant(), sha256(convert_to($1::text, 'UTF8')), 10, $2, $3, now(), $4)
                        """, [id, n == count ? "failed" : "parsed", text, n == count ? "extraction_failed" : nil])
                }
            }
            documents = ids
            let json = try await jobs.create(JobFields(title: "Backend Engineer", description: "Python services",
                                                       requiredSkills: ["Python", "SQL"]), tenantID: tenantID)
            job = try #require((try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])?["id"] as? String)
        }

        /// Waits (up to a minute) until no candidate is pending.
        func waitUntilNonePending() async throws {
            let deadline = Date().addingTimeInterval(60)
            while try await count("SELECT count(*) FROM job_scores WHERE status = 'pending'") > 0, Date() < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        func count(_ sql: String) async throws -> Int {
            try await pool.inTenant(tenantID) { c throws(PGError) in Int(try await c.query(sql).scalar ?? "") ?? -1 }
        }
    }

    // The databases are made and dropped off the loop (psql runs as a child process the test waits for): a test
    // that blocks the loop thread stalls every other test's timers in this process.

    @Test("a job deleted while its candidates are being scored: the outcomes in flight write nothing, nothing is left queued or half written, and the worker's next round finds nothing")
    func jobDeletedMidway() async throws {
        let url = try TestDatabase.freshDatabase("scoring_delete")
        defer { try? TestDatabase.dropDatabase(url) }
        try await Self.jobDeletedMidway(url)
    }

    @LoopActor
    static func jobDeletedMidway(_ url: String) async throws {
        let setup = try await Setup(url, count: 6)
        defer { setup.pool.close() }
        let (outcome, _) = try await setup.jobs.requestScoring(job: setup.job, .allParsed, callbackURL: nil,
                                                                tenantID: setup.tenantID)
        #expect(outcome?.requested == 6)
        let claim = UUID().uuidString.lowercased()
        let claimed = try await setup.queue.claim(claim, limit: 3, leaseSeconds: 60)
        #expect(claimed.count == 3)
        let (job, inputs) = try await setup.queue.inputs(job: setup.job, documents: claimed.map(\.documentID),
                                                         tenantID: setup.tenantID)
        let outcomes = await BuiltInScoring().score(job: try #require(job), candidates: inputs)
        #expect(outcomes.count == 3 && outcomes.allSatisfy { $0.score != nil })

        #expect(try await setup.jobs.delete(setup.job, tenantID: setup.tenantID))
        let written = try await setup.queue.write(outcomes, job: setup.job, revision: 1, claim: claim, tenantID: setup.tenantID)
        #expect(written.written == 0 && written.completed.isEmpty)
        #expect(try await setup.count("SELECT count(*) FROM job_scores") == 0)
        #expect(try await setup.count("SELECT count(*) FROM scoring_runs") == 0)
        #expect(try await setup.count("SELECT count(*) FROM scoring_queue") == 0)
        #expect(try await setup.count("SELECT count(*) FROM documents") == 7, "the documents stay")
        #expect(try await setup.queue.claim(claim, limit: 10, leaseSeconds: 60).isEmpty)
    }

    @Test("a candidate asked for again while claimed stays queued (the first outcome is not written over the new request), a lost lease makes it due again, and the worker scores the rest and completes the run")
    func reRequestAndLease() async throws {
        let url = try TestDatabase.freshDatabase("scoring_lease")
        defer { try? TestDatabase.dropDatabase(url) }
        try await Self.reRequestAndLease(url)
    }

    @LoopActor
    static func reRequestAndLease(_ url: String) async throws {
        let setup = try await Setup(url, count: 4)
        defer { setup.pool.close() }
        let first = try #require(try await setup.jobs.requestScoring(job: setup.job, .allParsed, callbackURL: nil,
                                                                     tenantID: setup.tenantID).outcome)
        let claim = UUID().uuidString.lowercased()
        let claimed = try await setup.queue.claim(claim, limit: 2, leaseSeconds: 10)
        #expect(claimed.count == 2)
        // Asked for again (say, after a change of the job) while a worker holds it.
        let again = try #require(try await setup.jobs.requestScoring(job: setup.job, .documents([claimed[0].documentID]),
                                                                     callbackURL: nil, tenantID: setup.tenantID).outcome)
        let (job, inputs) = try await setup.queue.inputs(job: setup.job, documents: claimed.map(\.documentID),
                                                         tenantID: setup.tenantID)
        let outcomes = await BuiltInScoring().score(job: try #require(job), candidates: inputs)
        let written = try await setup.queue.write(outcomes, job: setup.job, revision: 1, claim: claim, tenantID: setup.tenantID)
        #expect(written.written == 1, "only the candidate not asked for again")
        #expect(try await setup.count("SELECT count(*) FROM job_scores WHERE status = 'pending'") == 3)
        #expect(try await setup.count("SELECT count(*) FROM scoring_queue") == 3)

        // A lease that runs out: due again for anyone.
        let other = UUID().uuidString.lowercased()
        let short = try await setup.queue.claim(other, limit: 10, leaseSeconds: 4)
        #expect(short.count == 3)
        #expect(try await setup.queue.claim(claim, limit: 10, leaseSeconds: 60).isEmpty, "leased")
        try await Task.sleep(for: .milliseconds(4_200))

        let worker = ScoringWorker(queue: setup.queue, scorer: BuiltInScoring(), logger: Setup.logger, batchSize: 2,
                                   pollMilliseconds: 50)
        var completed: [String] = []
        worker.completed = { run in completed.append(run.id) }
        worker.start()
        try await setup.waitUntilNonePending()
        await worker.close()
        #expect(try await setup.count("SELECT count(*) FROM job_scores WHERE status = 'scored'") == 4)
        #expect(try await setup.count("SELECT count(*) FROM scoring_queue") == 0)
        #expect(Set(completed) == [first.runID, again.runID], "\(completed)")
        #expect(worker.counters.scored == 3 && worker.counters.reasonsDropped == 0, "\(worker.counters)")
    }

    @Test("a candidate claimed again and again without an outcome (its engine died each time) fails scoring_abandoned and its run completes; a cancelled scoring does not count a claim; a worker's leases are renewed")
    func abandonedAndRenewed() async throws {
        let url = try TestDatabase.freshDatabase("scoring_abandoned")
        defer { try? TestDatabase.dropDatabase(url) }
        try await Self.abandonedAndRenewed(url)
    }

    @LoopActor
    static func abandonedAndRenewed(_ url: String) async throws {
        let setup = try await Setup(url, count: 3)
        defer { setup.pool.close() }
        let run = try #require(try await setup.jobs.requestScoring(job: setup.job, .allParsed, callbackURL: nil,
                                                                   tenantID: setup.tenantID).outcome)
        func queued(_ sql: String) async throws -> String {
            try await setup.pool.withConnection { c throws(PGError) in try await c.query(sql).scalar ?? "" }
        }
        // A claim given back after a cancelled scoring is not counted; one given back after an error is.
        let claim = UUID().uuidString.lowercased()
        let one = try await setup.queue.claim(claim, limit: 1, leaseSeconds: 60)
        #expect(one.map(\.attempts) == [1])
        try await setup.queue.release(one, claim: claim, delaySeconds: 0, counted: false)
        #expect(try await queued("SELECT attempts FROM scoring_queue WHERE document_id = '\(one[0].documentID)'") == "0")
        // Leases renewed: all three claimed for 10 s, the two a round holds renewed to an hour.
        let all = try await setup.queue.claim(claim, limit: 10, leaseSeconds: 10)
        #expect(all.count == 3)
        #expect(try await setup.queue.renew(Array(all.prefix(2)), claim: claim, leaseSeconds: 3_600) == 2)
        #expect(try await queued("SELECT count(*) FROM scoring_queue WHERE next_attempt_at > now() + interval '50 minutes'") == "2")
        #expect(try await setup.queue.renew(all, claim: UUID().uuidString.lowercased(), leaseSeconds: 3_600) == 0,
                "another claim's")
        try await setup.queue.release(all, claim: claim, delaySeconds: 0)
        // One candidate's engine died five times while scoring it (each lease ran out).
        let worn = all[1].documentID
        _ = try await queued("UPDATE scoring_queue SET attempts = 5 WHERE document_id = '\(worn)'")

        let worker = ScoringWorker(queue: setup.queue, scorer: BuiltInScoring(), logger: Setup.logger,
                                   pollMilliseconds: 50, maxAttempts: 5)
        var completed: [String] = []
        worker.completed = { run in completed.append(run.id) }
        worker.start()
        try await setup.waitUntilNonePending()
        await worker.close()
        #expect(try await setup.count("""
            SELECT count(*) FROM job_scores WHERE document_id = '\(worn)' AND status = 'failed'
              AND error_code = 'scoring_abandoned' AND error_detail LIKE 'claimed 5 times%'
            """) == 1)
        #expect(try await setup.count("SELECT count(*) FROM job_scores WHERE status = 'scored'") == 2, "the others are scored")
        #expect(try await setup.count("SELECT count(*) FROM scoring_queue") == 0)
        #expect(completed == [run.runID])
        #expect(worker.counters.failed == ["scoring_abandoned": 1] && worker.counters.scored == 2, "\(worker.counters)")
    }

    @Test("tenants take turns by their weights: one tenant's 40 queued candidates, asked for first, do not hold back another's; a weight of 3 to 1 gives three turns to one")
    func tenantsTakeTurns() async throws {
        let url = try TestDatabase.freshDatabase("scoring_turns")
        defer { try? TestDatabase.dropDatabase(url) }
        try await Self.tenantsTakeTurns(url)
    }

    @LoopActor
    static func tenantsTakeTurns(_ url: String) async throws {
        let big = try await Setup(url, count: 40)
        defer { big.pool.close() }
        let small = try await Setup(url, count: 10, tenant: "globex")
        defer { small.pool.close() }
        _ = try await big.jobs.requestScoring(job: big.job, .allParsed, callbackURL: nil, tenantID: big.tenantID)
        try await Task.sleep(for: .milliseconds(20))
        _ = try await small.jobs.requestScoring(job: small.job, .allParsed, callbackURL: nil, tenantID: small.tenantID)
        func shares(_ claimed: [ClaimedCandidate]) -> [String: Int] {
            Dictionary(grouping: claimed, by: { $0.tenantID == big.tenantID ? "big" : "small" }).mapValues(\.count)
        }
        let claim = UUID().uuidString.lowercased()
        let even = try await big.queue.claim(claim, limit: 8, leaseSeconds: 60)
        #expect(shares(even) == ["big": 4, "small": 4], "equal weights: in turn, not first come first served")
        #expect(Set(even.map(\.documentID)).count == 8)
        try await big.queue.release(even, claim: claim, delaySeconds: 0, counted: false)

        _ = try await big.pool.withConnection { c throws(PGError) in
            try await c.query("UPDATE tenants SET weight = 3 WHERE id = $1::uuid", [big.tenantID])
        }
        let weighted = try await big.queue.claim(claim, limit: 8, leaseSeconds: 60)
        #expect(shares(weighted) == ["big": 6, "small": 2], "weights 3 and 1")
        // The rest, claimed by a second worker at once, is all that is left, and nothing twice.
        let rest = try await small.queue.claim(UUID().uuidString.lowercased(), limit: 100, leaseSeconds: 60)
        #expect(rest.count == 50 - 8 && Set(rest.map(\.documentID)).isDisjoint(with: weighted.map(\.documentID)))
    }

    /// A scorer that holds its round until the test lets it go, then scores with the built-in rules.
    @LoopActor
    final class HeldScoring: CandidateScoring {
        let name = "rules"
        let concurrentRounds = 1
        private var gate: CheckedContinuation<Void, Never>?
        private var open = false
        private(set) var rounds = 0

        func score(job: JobRecord, candidates: [CandidateInput]) async -> [CandidateOutcome] {
            rounds += 1
            if !open { await withCheckedContinuation(isolation: LoopActor.shared) { gate = $0 } }
            return await BuiltInScoring().score(job: job, candidates: candidates)
        }

        func release() {
            open = true
            gate?.resume()
            gate = nil
        }

        func cancel(jobID: String) {}
        func close() async { release() }
    }

    @Test("a round that outlasts its lease keeps it: the worker renews what it holds, so the candidates are not due again (nor counted) while it scores")
    func roundOutlastsItsLease() async throws {
        let url = try TestDatabase.freshDatabase("scoring_renew")
        defer { try? TestDatabase.dropDatabase(url) }
        try await Self.roundOutlastsItsLease(url)
    }

    @LoopActor
    static func roundOutlastsItsLease(_ url: String) async throws {
        let setup = try await Setup(url, count: 3)
        defer { setup.pool.close() }
        let scorer = HeldScoring()
        let worker = ScoringWorker(queue: setup.queue, scorer: scorer, logger: Setup.logger, leaseSeconds: 10,
                                   pollMilliseconds: 50)
        worker.start()
        _ = try await setup.jobs.requestScoring(job: setup.job, .allParsed, callbackURL: nil, tenantID: setup.tenantID)
        func queued(_ sql: String) async throws -> Int {
            try await setup.pool.withConnection { c throws(PGError) in Int(try await c.query(sql).scalar ?? "") ?? -1 }
        }
        let deadline = Date().addingTimeInterval(30)
        while scorer.rounds == 0, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(scorer.rounds == 1)
        // Past the 10 s lease: renewed every third of it, nothing is due, and nothing was claimed twice.
        try await Task.sleep(for: .milliseconds(12_000))
        #expect(try await queued("SELECT count(*) FROM scoring_queue WHERE next_attempt_at <= now()") == 0)
        #expect(try await queued("SELECT count(*) FROM scoring_queue WHERE next_attempt_at > now() + interval '2 seconds'") == 3)
        #expect(try await queued("SELECT max(attempts) FROM scoring_queue") == 1)
        scorer.release()
        try await setup.waitUntilNonePending()
        await worker.close()
        #expect(try await setup.count("SELECT count(*) FROM job_scores WHERE status = 'scored'") == 3)
        #expect(worker.counters.claimed == 3 && scorer.rounds == 1, "\(worker.counters)")
    }
}
