import Loop

extension Sink {
    /// Opens connection `slot` (migrating once, and creating its staging table) and reports how it went.
    func connect(_ slot: Int) async {
        dropConnection(slot)
        guard !scheduler.isClosed else {
            // Closed since the connection was asked for: none is opened (the scheduler frees the slot).
            run(scheduler.connectFailed(slot: slot, error: PGError(kind: .connection, message: "the Sink is closed"),
                                        random: randomUnit()))
            return
        }
        guard let url = configuration.databaseURL else {
            run(scheduler.connectFailed(slot: slot, error: PGError(kind: .setting, message: "DATABASE_URL is not set"),
                                        random: randomUnit()))
            return
        }
        do throws(PGError) {
            let c = try await PGConnection.connect(url, timeoutMilliseconds: UInt64(configuration.timeoutMilliseconds))
            // Held from here, so that a failure below (or a close meanwhile) closes it.
            connections[slot] = c
            if configuration.migrate && !migrated {
                let applied = try await Migrator.migrate(c)
                migrated = true
                if !applied.isEmpty { logger.notice("database migrated", metadata: ["versions": "\(applied)"]) }
            }
            // Staging lives in temporary buffers: room for a whole batch, so it does not spill to disk.
            try await c.simpleQuery("SET temp_buffers = '64MB'")
            try await c.simpleQuery(SinkSQL.createStaging)
            if !scheduler.isClosed {
                logger.info("database connected", metadata: ["server_version": "\(c.serverVersion)"])
            }
            run(scheduler.connected(slot: slot, serverVersion: c.serverVersion))
        } catch {
            dropConnection(slot)
            run(scheduler.connectFailed(slot: slot, error: error, random: randomUnit()))
        }
    }

    /// Connection `slot`, when it is open; else nil (and a closed one is let go).
    func openConnection(_ slot: Int) -> PGConnection? {
        if let connection = connections[slot], connection.isOpen { return connection }
        dropConnection(slot)
        return nil
    }

    func dropConnection(_ slot: Int) {
        connections.removeValue(forKey: slot)?.close()
    }
}
