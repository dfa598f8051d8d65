import Loop
import HTTP1
import ResumeModel
/// Durations as OpenAI writes them in `x-ratelimit-reset-*` and "Please try again in …": Go's
/// `time.Duration.String()` at millisecond precision ("17ms", "1.574s", "20s", "6m0s", "14h29m11.04s").
enum SimulatorDurationText {
    static func format(milliseconds ms: Int) -> String {
        if ms <= 0 { return "0s" }
        if ms < 1000 { return "\(ms)ms" }
        let hours = ms / 3_600_000
        let minutes = ms / 60_000 % 60
        let seconds = ms / 1000 % 60
        let fraction = ms % 1000
        var secondsText = "\(seconds)"
        if fraction > 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            secondsText += "." + digits
        }
        if hours > 0 { return "\(hours)h\(minutes)m\(secondsText)s" }
        if minutes > 0 { return "\(minutes)m\(secondsText)s" }
        return "\(secondsText)s"
    }
}
