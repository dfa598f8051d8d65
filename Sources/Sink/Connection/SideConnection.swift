import Loop

/// A connection of its own beside the Sink's slots (stored-result lookups, the Batch API journal): opened from
/// the Sink's settings and migrated when they say so. Its owner keeps it, and checks for its own close after.
enum SideConnection {
    @LoopActor
    static func open(_ configuration: SinkConfiguration) async throws(PGError) -> PGConnection {
        guard let url = configuration.databaseURL else {
            throw PGError(kind: .setting, message: "DATABASE_URL is not set")
        }
        let c = try await PGConnection.connect(url, timeoutMilliseconds: UInt64(configuration.timeoutMilliseconds))
        if configuration.migrate {
            do throws(PGError) {
                _ = try await Migrator.migrate(c)
            } catch {
                c.close()
                throw error
            }
        }
        return c
    }
}
