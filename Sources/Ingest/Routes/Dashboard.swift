import Crypto
import HTTP1
import Loop

/// The dashboard at `/`: one small page the engine serves itself, for people who want to try it or watch a
/// batch without writing a client. It holds no data and needs no route of its own beyond these files: the
/// script signs in with the user's API key and does everything through the JSON API, as any client would.
///
/// The page, its stylesheet and its script are string literals compiled into the binary (``Dashboard/html``,
/// ``Dashboard/css``, ``Dashboard/javascript``): no build step, nothing fetched from elsewhere, so it works
/// offline and on an engine that has no files beside it. The page is answered `no-cache`; the stylesheet and
/// script live under names carrying a digest of their content, so a browser may keep them for good
/// (`immutable`) and an upgraded engine's page never runs the old script. Behind a load balancer, a node still
/// on the old version answers the new names `404` instead of serving old bytes under them.
///
/// Every answer carries a strict `Content-Security-Policy`: script and style only from this origin (no inline
/// script, no `eval`), requests only to this origin, no plugins, no framing. The script writes server text
/// (file names, resume fields, extracted text, job titles, reasons and their quotes) with `textContent` only;
/// the policy is the second line of defence should that ever slip.
enum Dashboard {
    /// One file of the dashboard, ready to answer.
    struct Asset: Sendable {
        /// Where it is served.
        let path: String
        let contentType: String
        let cacheControl: String
        let body: [UInt8]

        /// An asset named `/<name>-<first 12 hex digits of its SHA-256>.<ext>`, cached for a year.
        static func fingerprinted(name: String, ext: String, contentType: String, source: String) -> Asset {
            let body = Array(source.utf8)
            let digest = Hex.encode(SHA256.hash(data: body)).prefix(12)
            return Asset(path: "/\(name)-\(digest).\(ext)", contentType: contentType,
                         cacheControl: "public, max-age=31536000, immutable", body: body)
        }
    }

    static let style = Asset.fingerprinted(name: "dashboard", ext: "css", contentType: "text/css; charset=utf-8",
                                           source: css)
    static let script = Asset.fingerprinted(name: "dashboard", ext: "js",
                                            contentType: "text/javascript; charset=utf-8", source: javascript)
    /// The page itself, naming the two above; revalidated on every load (it is small).
    static let page = Asset(path: "/", contentType: "text/html; charset=utf-8", cacheControl: "no-cache",
                            body: Array(html(stylesheet: style.path, script: script.path).utf8))

    /// The policy every dashboard answer carries. `img-src data:` is for the empty icon the page declares (so
    /// browsers do not ask for `/favicon.ico`); nothing else is loaded but this origin's stylesheet and script.
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'",
        "frame-ancestors 'none'",
    ].joined(separator: "; ")

    /// The asset served at `path` (the target without its query), if any.
    static func asset(at path: String) -> Asset? {
        switch path {
        case page.path: page
        case style.path: style
        case script.path: script
        default: nil
        }
    }

    /// The answer for `path`: the asset with its headers, or `404` for a name this build does not have.
    static func response(for path: String) -> HTTPResponse {
        guard let asset = asset(at: path) else {
            return .error(404, code: "not_found", message: "no dashboard file \(path)")
        }
        return HTTPResponse(status: 200, headers: [
            ("Content-Type", asset.contentType),
            ("Cache-Control", asset.cacheControl),
            ("Content-Security-Policy", contentSecurityPolicy),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
        ], body: asset.body)
    }
}
