import Ingest
import Loop

/// The one door every stage has, as the pipeline sees it: room, drain by a deadline, close, status.
///
/// What a stage accepts differs (a spooled document, an extracted one, a parsed one, a row), so `accept`
/// stays with each stage's own type; what the pipeline does to all of them alike — wait for room, shut down
/// in order, report — is here, and shutdown is one loop over ``Engine/stages``.
@LoopActor
public protocol Stage: AnyObject {
    /// The stage's name in `/startup-status` and in the log.
    var name: String { get }
    /// Returns once the stage can take another document.
    func waitForRoom() async
    /// Hands on (or finishes) what the stage holds, for at most `timeoutMilliseconds`; what is left stays
    /// in the spool and is processed again after a restart.
    func drain(timeoutMilliseconds: UInt64) async
    /// Releases the stage's processes, connections and timers. After ``drain(timeoutMilliseconds:)``.
    func close() async
    /// The stage's line in `/startup-status`.
    var status: StartupStatus.Component { get }
}
