/// Countries and regions, for reading "City, Country" and "City, ST" in a contact block.
package enum Places {
    /// Folded country name (English, native, common short forms) → ISO 3166-1 alpha-2 code.
    package static let countries: [String: String] = {
        let table: [(String, [String])] = [
            ("US", ["usa", "us", "u s a", "u s", "united states", "united states of america", "america"]),
            ("GB", ["uk", "u k", "united kingdom", "great britain", "britain", "england", "scotland", "wales",
                    "northern ireland"]),
            ("DE", ["germany", "deutschland", "allemagne", "alemania"]), ("FR", ["france", "frankreich", "francia"]),
            ("ES", ["spain", "espana", "spanien", "espagne"]), ("PT", ["portugal"]),
            ("IT", ["italy", "italia", "italien", "italie"]), ("NL", ["netherlands", "the netherlands", "nederland",
                                                                    "niederlande", "holland", "pays bas"]),
            ("BE", ["belgium", "belgique", "belgie", "belgien", "belgica"]),
            ("CH", ["switzerland", "schweiz", "suisse", "svizzera", "suiza"]),
            ("AT", ["austria", "osterreich", "oesterreich", "autriche"]), ("LU", ["luxembourg", "luxemburg"]),
            ("IE", ["ireland", "eire", "irland", "irlande", "irlanda"]),
            ("PL", ["poland", "polska", "polen", "pologne"]),
            ("CZ", ["czech republic", "czechia", "cesko", "tschechien"]), ("SK", ["slovakia", "slovensko"]),
            ("HU", ["hungary", "magyarorszag", "ungarn"]), ("RO", ["romania", "rumanien"]), ("BG", ["bulgaria"]),
            ("GR", ["greece", "hellas", "griechenland"]), ("TR", ["turkey", "turkiye", "turkei", "turquie"]),
            ("SE", ["sweden", "sverige", "schweden", "suede"]), ("NO", ["norway", "norge", "norwegen", "norvege"]),
            ("DK", ["denmark", "danmark", "danemark", "dinamarca"]), ("FI", ["finland", "suomi", "finnland"]),
            ("IS", ["iceland", "island"]), ("EE", ["estonia", "eesti"]), ("LV", ["latvia", "latvija"]),
            ("LT", ["lithuania", "lietuva"]), ("UA", ["ukraine", "ukraina"]), ("RU", ["russia", "russian federation"]),
            ("RS", ["serbia", "srbija"]), ("HR", ["croatia", "hrvatska"]), ("SI", ["slovenia", "slovenija"]),
            ("IN", ["india", "bharat", "indien", "inde"]), ("CN", ["china", "prc", "chine"]),
            ("JP", ["japan", "nippon", "japon"]), ("KR", ["south korea", "korea", "republic of korea"]),
            ("TW", ["taiwan"]), ("HK", ["hong kong"]), ("SG", ["singapore"]), ("MY", ["malaysia"]),
            ("TH", ["thailand"]), ("VN", ["vietnam", "viet nam"]), ("PH", ["philippines"]), ("ID", ["indonesia"]),
            ("PK", ["pakistan"]), ("BD", ["bangladesh"]), ("LK", ["sri lanka"]), ("NP", ["nepal"]),
            ("AU", ["australia"]), ("NZ", ["new zealand", "aotearoa"]), ("CA", ["canada", "kanada"]),
            ("MX", ["mexico", "mexiko", "mexique"]), ("BR", ["brazil", "brasil", "bresil", "brasilien"]),
            ("AR", ["argentina"]), ("CL", ["chile"]), ("CO", ["colombia"]), ("PE", ["peru"]), ("UY", ["uruguay"]),
            ("VE", ["venezuela"]), ("EC", ["ecuador"]), ("CR", ["costa rica"]), ("NG", ["nigeria"]),
            ("GH", ["ghana"]), ("KE", ["kenya"]), ("ZA", ["south africa"]), ("EG", ["egypt", "misr", "agypten"]),
            ("MA", ["morocco", "maroc"]), ("TN", ["tunisia", "tunisie"]), ("DZ", ["algeria", "algerie"]),
            ("ET", ["ethiopia"]), ("UG", ["uganda"]), ("TZ", ["tanzania"]), ("RW", ["rwanda"]), ("SN", ["senegal"]),
            ("AE", ["uae", "united arab emirates"]), ("SA", ["saudi arabia", "ksa"]), ("QA", ["qatar"]),
            ("KW", ["kuwait"]), ("BH", ["bahrain"]), ("OM", ["oman"]), ("JO", ["jordan"]), ("LB", ["lebanon"]),
            ("IL", ["israel"]), ("IR", ["iran"]), ("IQ", ["iraq"]), ("CY", ["cyprus"]), ("MT", ["malta"]),
        ]
        var map: [String: String] = [:]
        for (code, names) in table {
            for name in names { map[name] = code }
        }
        return map
    }()

    /// Two-letter US state codes (and DC).
    package static let usStates: Set<String> = [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
        "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
        "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
    ]

    /// Two-letter Canadian province codes.
    package static let canadianProvinces: Set<String> = [
        "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
    ]

    /// Folded region names → country code, for "City, Region" without a country.
    package static let regions: [String: String] = {
        let table: [(String, [String])] = [
            ("US", ["alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware",
                    "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky",
                    "louisiana", "maine", "maryland", "massachusetts", "michigan", "minnesota", "mississippi",
                    "missouri", "montana", "nebraska", "nevada", "new hampshire", "new jersey", "new mexico",
                    "new york", "north carolina", "north dakota", "ohio", "oklahoma", "oregon", "pennsylvania",
                    "rhode island", "south carolina", "south dakota", "tennessee", "texas", "utah", "vermont",
                    "virginia", "washington", "west virginia", "wisconsin", "wyoming"]),
            ("CA", ["alberta", "british columbia", "manitoba", "new brunswick", "newfoundland", "nova scotia",
                    "ontario", "quebec", "saskatchewan"]),
            ("AU", ["nsw", "vic", "qld", "wa", "sa", "tas", "act", "new south wales", "victoria", "queensland",
                    "western australia", "south australia", "tasmania"]),
            ("IN", ["maharashtra", "karnataka", "tamil nadu", "telangana", "kerala", "gujarat", "west bengal",
                    "delhi", "uttar pradesh", "rajasthan", "haryana", "punjab", "andhra pradesh", "madhya pradesh"]),
            ("DE", ["bayern", "bavaria", "berlin", "hamburg", "hessen", "sachsen", "nrw", "nordrhein westfalen",
                    "baden wurttemberg", "niedersachsen"]),
            ("MX", ["cdmx", "jalisco", "nuevo leon", "puebla", "yucatan"]),
            ("BR", ["sp", "rj", "mg", "sao paulo", "rio de janeiro", "minas gerais"]),
            ("CN", ["guangdong", "zhejiang", "jiangsu", "beijing", "shanghai"]),
        ]
        var map: [String: String] = [:]
        for (code, names) in table {
            for name in names { map[name] = code }
        }
        return map
    }()

    /// Reads "City, Country", "City, ST", "City, Region, Country" or "12345 City" from one contact item.
    /// Returns nil unless the part after the comma is a known country or region, or `lenient` is set and
    /// both parts look like place names (short, capitalised, no digits).
    package static func location(_ item: String, lenient: Bool) -> JSONResume.Location? {
        let parts = item.split(separator: ",").map { $0.trimmed }
        if parts.count == 1 {
            // "80331 München", "75001 Paris", "SW1A 1AA London" is left alone.
            let words = item.split(separator: " ")
            if words.count >= 2, words.count <= 4, let first = words.first, (4...5).contains(first.count),
               first.allSatisfy(\.isNumberFast), isPlaceName(words.dropFirst().joined(separator: " ")) {
                return JSONResume.Location(postalCode: String(first), city: words.dropFirst().joined(separator: " "))
            }
            return nil
        }
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        var city = parts[0]
        // "80331 München, Germany".
        if let space = city.firstIndex(of: " "), city[..<space].allSatisfy(\.isNumberFast), city[..<space].count >= 4 {
            city = String(city[city.index(after: space)...])
        }
        guard isPlaceName(city) else { return nil }
        let last = parts[parts.count - 1]
        let lastKey = TextFold.comparable(last)
        var location = JSONResume.Location(city: city)
        if parts.count == 3 { location.region = parts[1] }
        if let code = countries[lastKey] {
            // "Georgia" and "Jordan" are also a US state and a name; a country wins after a comma.
            location.countryCode = code
        } else if last.count == 2, last == last.uppercased(), usStates.contains(last) {
            location.region = last
            location.countryCode = "US"
        } else if last.count == 2, last == last.uppercased(), canadianProvinces.contains(last) {
            location.region = last
            location.countryCode = "CA"
        } else if let code = regions[lastKey] {
            location.region = last
            location.countryCode = code
        } else if lenient, parts.count == 2, isPlaceName(last), last.wordCount <= 3 {
            location.region = last
        } else {
            return nil
        }
        return location
    }

    /// Short, starts with a capital, letters and spaces, hyphens, apostrophes and dots only.
    package static func isPlaceName(_ text: String) -> Bool {
        guard let first = text.first, first.isUppercaseFast, text.count <= 40, text.wordCount <= 4 else { return false }
        return text.allSatisfy { $0.isLetterFast || $0 == " " || $0 == "-" || $0 == "'" || $0 == "." || $0 == "’" }
    }
}
