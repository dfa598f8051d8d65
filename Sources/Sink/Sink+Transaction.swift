import Loop

extension Sink {
    /// A COPY stream being encoded ahead, while the batch before it is in the server.
    @LoopActor
    final class Prepared {
        let serial: Int
        var stream: [UInt8]?
        var waiter: CheckedContinuation<Void, Never>?
        init(serial: Int) { self.serial = serial }
    }

    /// Writes `batch` in one transaction on connection `slot`, and reports how it went.
    func write(_ batch: SinkBatch, slot: Int) async {
        guard let connection = openConnection(slot) else {
            run(scheduler.connectionLost(slot: slot))
            return
        }
        do throws(PGError) {
            let outcomes = try await transaction(batch, slot: slot, on: connection)
            let actions = scheduler.committed(slot: slot, outcomes: outcomes, serverVersion: connection.serverVersion)
            durable(outcomes)
            run(actions)
        } catch {
            await failed(error, slot: slot, on: connection)
        }
    }

    /// Writes `row` into `sink_rejects` with `reason` on connection `slot`, and reports how it went.
    func reject(_ row: DocumentRow, reason: String, slot: Int) async {
        guard let connection = openConnection(slot) else {
            run(scheduler.connectionLost(slot: slot))
            return
        }
        do throws(PGError) {
            try await connection.simpleQuery("BEGIN")
            try await insertRejects([(row, reason)], on: connection)
            try await connection.simpleQuery("COMMIT")
            let outcomes = [SinkOutcome(id: row.id, sizeBytes: row.sizeBytes, result: .rejected(reason))]
            let actions = scheduler.committed(slot: slot, outcomes: outcomes, serverVersion: connection.serverVersion)
            durable(outcomes)
            run(actions)
        } catch {
            await failed(error, slot: slot, on: connection)
        }
    }

    /// Inserts rows into `sink_rejects` with parameters, a statement per ``SinkSQL/rejectsPerStatement`` rows.
    private func insertRejects(_ rows: [(row: DocumentRow, reason: String)], on connection: PGConnection)
        async throws(PGError)
    {
        var start = 0
        while start < rows.count {
            let end = min(start + SinkSQL.rejectsPerStatement, rows.count)
            let statement = SinkSQL.rejects(rows[start..<end])
            try await connection.query(statement.sql, statement.parameters)
            start = end
        }
    }

    /// Rolls back after `error` (when the connection is still there) and reports the failure.
    private func failed(_ error: PGError, slot: Int, on connection: PGConnection) async {
        if connection.isOpen { _ = try? await connection.simpleQuery("ROLLBACK") }
        if !connection.isOpen { dropConnection(slot) }
        run(scheduler.writeFailed(slot: slot, error: error, connectionOpen: connection.isOpen, random: randomUnit()))
    }

    /// One transaction: tenants looked up, COPY into staging, upsert per tenant, commit. While the server
    /// works on the upsert, the next batch is encoded on the pool.
    private func transaction(_ batch: SinkBatch, slot: Int, on connection: PGConnection) async throws(PGError)
        -> [SinkOutcome]
    {
        for slug in Set(batch.rows.map(\.tenant)) where tenants[slug] == nil {
            try await lookUpTenant(slug, on: connection)
        }
        let (known, unknown) = partition(batch.rows)
        let latest = Self.latestPerKey(known)
        let copies = Self.collapsedCopies(known, latest: latest)
        let began = clock.monotonicNanoseconds()
        try await connection.simpleQuery("BEGIN")
        if !latest.isEmpty {
            var stream: [UInt8]
            if let ahead = await takePrepared(useIt: scheduler.copyWillStart(slot: slot), for: batch.serial) {
                stream = ahead
            } else {
                stream = await encode(latest, items: copies)
            }
            let bytes = stream.count
            let copied = try await connection.copyIn(SinkSQL.copy, stream)
            // The rows in the server must be the rows reported committed: a stream that is not this batch's
            // would make the outcomes lie. Roll back and replay rather than report what was not written.
            guard copied.affectedRows == latest.count + copies.count else {
                throw PGError(kind: .connection, message: "COPY took \(copied.affectedRows) rows for a batch of "
                                  + "\(latest.count + copies.count); replaying it")
            }
            if spareBuffers.count <= configuration.connections { spareBuffers.append(stream) }
            stream = []
            run(scheduler.copied(slot: slot, bytes: bytes))
            var seen = Set<[UInt8]>()
            var statements = ""
            for item in latest where seen.insert(item.tenant).inserted {
                statements += SinkSQL.upsert(tenantID: UUIDText.text(item.tenant))
            }
            try await connection.simpleQuery(statements)
        }
        if !unknown.isEmpty { try await insertRejects(unknown, on: connection) }
        try await connection.simpleQuery("COMMIT")
        onCommitted?(batch.rows.count, clock.monotonicNanoseconds() - began)
        var outcomes = known.map { item in
            SinkOutcome(id: item.row.id, sizeBytes: item.row.sizeBytes,
                        result: batch.reduced ? .recordedFailed(item.row.errorDetail ?? "") : .committed)
        }
        outcomes += unknown.map {
            SinkOutcome(id: $0.row.id, sizeBytes: $0.row.sizeBytes, result: .rejected($0.reason))
        }
        return outcomes
    }

    /// Copies of one content in a batch collapse to the latest before sending: one row per key reaches the
    /// upsert (no sort on the server, no "cannot affect row a second time"), and every copy is reported
    /// committed. The latest keeps the tokens and cost of an earlier copy when it was billed nothing itself
    /// (``DocumentRow/keepBilling(of:)``), as the row does when the copies come in separate batches.
    static func latestPerKey(_ known: [(row: DocumentRow, tenant: [UInt8])])
        -> [(row: DocumentRow, tenant: [UInt8])]
    {
        var position: [[UInt8]: Int] = [:]
        var latest: [(row: DocumentRow, tenant: [UInt8])] = []
        for item in known.reversed() {
            let key = item.tenant + item.row.contentSHA256
            if let at = position[key] {
                latest[at].row.keepBilling(of: item.row)
            } else {
                position[key] = latest.count
                latest.append(item)
            }
        }
        return latest.reversed()
    }

    /// The copies `latestPerKey` collapsed that belong to a batch: each is still its batch's item (an upload
    /// that answered with its id), so it is staged as an item only (``StagingEncoder/encodeItem``).
    static func collapsedCopies(_ known: [(row: DocumentRow, tenant: [UInt8])],
                                latest: [(row: DocumentRow, tenant: [UInt8])]) -> [(row: DocumentRow, tenant: [UInt8])] {
        guard known.count != latest.count else { return [] }
        let kept = Set(latest.map(\.row.id))
        return known.filter { !kept.contains($0.row.id) && $0.row.batchID != nil }
    }

    /// Encodes rows for COPY on the pool, into a kept buffer. The buffer is sized here, on the loop, so that
    /// the pool threads never grow one themselves: every large allocation stays in one malloc arena and is
    /// reused, whichever pool thread encodes.
    private func encode(_ rows: [(row: DocumentRow, tenant: [UInt8])],
                        items: [(row: DocumentRow, tenant: [UInt8])]) async -> [UInt8] {
        var buffer = spareBuffers.popLast() ?? []
        buffer.removeAll(keepingCapacity: true)
        let estimate = rows.reduce(4_096) { $0 + $1.row.approximateBytes + 160 }
        if buffer.capacity < estimate { buffer.reserveCapacity(estimate) }
        let storage = Unique(buffer)
        buffer = []
        let stream = await Offload.runNonThrowing {
            var encoder = CopyBinaryEncoder(reusing: storage.take())
            for (index, item) in rows.enumerated() {
                StagingEncoder.encode(item.row, seq: Int32(index), tenantID: item.tenant, into: &encoder)
            }
            for (index, item) in items.enumerated() {
                StagingEncoder.encodeItem(item.row, seq: Int32(rows.count + index), tenantID: item.tenant,
                                          into: &encoder)
            }
            return Unique(encoder.finish())
        }
        return stream.take()
    }

    /// Starts encoding `batch` ahead of its transaction, when every tenant in it is already known (else tells
    /// the scheduler it could not).
    func encodeAhead(_ batch: SinkBatch) {
        let (known, unknown) = partition(batch.rows)
        guard unknown.isEmpty else {
            scheduler.encodeAheadDeclined(batch)
            return
        }
        let ahead = Prepared(serial: batch.serial)
        prepared = ahead
        let latest = Self.latestPerKey(known)
        let copies = Self.collapsedCopies(known, latest: latest)
        EventLoop.spawn { [self] in
            let stream = await encode(latest, items: copies)
            await finished(ahead, stream)
        }
    }

    private func finished(_ ahead: Prepared, _ stream: [UInt8]) {
        ahead.stream = stream
        ahead.waiter?.resume()
        ahead.waiter = nil
    }

    /// The stream encoded ahead, waiting for it to finish, when the scheduler says it is this batch's (`useIt`);
    /// nil otherwise. Whatever was encoded ahead is let go.
    private func takePrepared(useIt: Bool, for serial: Int) async -> [UInt8]? {
        guard let ahead = prepared else { return nil }
        prepared = nil
        // The scheduler's word and the stream's own label must agree (one is kept in each; checking both costs
        // nothing and keeps a stream encoded for one batch out of another's COPY).
        guard useIt, ahead.serial == serial else { return nil }
        if ahead.stream == nil {
            await withCheckedContinuation(isolation: LoopActor.shared) { ahead.waiter = $0 }
        }
        return ahead.stream
    }

    /// Caches the id of tenant `slug`, if the database has one.
    private func lookUpTenant(_ slug: String, on connection: PGConnection) async throws(PGError) {
        let text = try await connection.query("SELECT id FROM tenants WHERE slug = $1", [Sanitizer.text(slug)]).scalar
        if let text, let id = UUIDText.bytes(text) { tenants[slug] = id }
    }

    /// Rows whose tenant is known (with its id), and the others (with the reason), from the cached tenants.
    private func partition(_ rows: [DocumentRow])
        -> (known: [(row: DocumentRow, tenant: [UInt8])], unknown: [(row: DocumentRow, reason: String)])
    {
        var known: [(row: DocumentRow, tenant: [UInt8])] = []
        var unknown: [(row: DocumentRow, reason: String)] = []
        known.reserveCapacity(rows.count)
        for row in rows {
            if let id = tenants[row.tenant] {
                known.append((row, id))
            } else {
                unknown.append((row, "tenant '\(row.tenant)' does not exist"))
            }
        }
        return (known, unknown)
    }
}
