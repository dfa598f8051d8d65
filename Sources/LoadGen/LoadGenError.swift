/// What stops `loadgen` before or while it runs, each with the message a user acts on.
package enum LoadGenError: Error, Sendable, Equatable, CustomStringConvertible {
    case badURL(String, String)
    case badOption(String)
    case corpusMissing(String)
    case corpusEmpty([String])
    case corpusUnreadable(String, String)
    case resolve(String, String)
    case remoteRefused(host: String, addresses: [String])
    case unreachable(String, String)

    package var description: String {
        switch self {
        case .badURL(let url, let why): "bad URL \(url): \(why)"
        case .badOption(let why): why
        case .corpusMissing(let path): "corpus not found: \(path) (give a folder, a glob such as 'dir/*.pdf', an archive or a file)"
        case .corpusEmpty(let paths): "the corpus holds no files: \(paths.joined(separator: ", "))"
        case .corpusUnreadable(let path, let why): "cannot read the corpus archive \(path): \(why)"
        case .resolve(let host, let why): "cannot resolve \(host): \(why)"
        case .remoteRefused(let host, let addresses):
            "\(host) (\(addresses.joined(separator: ", "))) is not a loopback or private test address; pass --allow-remote to load it anyway"
        case .unreachable(let address, let why): "cannot connect to \(address): \(why)"
        }
    }

    /// The process exit status (sysexits.h): 64 for usage, 66 for input, 68 for a host, 69 for a service.
    package var exitCode: Int32 {
        switch self {
        case .badURL, .badOption, .remoteRefused: 64
        case .corpusMissing, .corpusEmpty, .corpusUnreadable: 66
        case .resolve: 68
        case .unreachable: 69
        }
    }
}
