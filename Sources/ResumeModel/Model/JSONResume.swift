/// A parsed resume in the JSON Resume schema (jsonresume.org, v1.0.0): the shape stored in
/// `documents.parsed` and the shape every provider must answer with. Every field is optional, as in the
/// schema; dates are ISO 8601 prefixes (`2019`, `2019-03`, `2019-03-14`), and a missing `endDate` means
/// "present".
public struct JSONResume: Codable, Sendable, Equatable {
    public var basics: Basics?
    public var work: [Work]?
    public var education: [Education]?
    public var skills: [Skill]?
    public var languages: [Language]?
    public var certificates: [Certificate]?
    public var projects: [Project]?

    public init(basics: Basics? = nil, work: [Work]? = nil, education: [Education]? = nil, skills: [Skill]? = nil,
                languages: [Language]? = nil, certificates: [Certificate]? = nil, projects: [Project]? = nil) {
        self.basics = basics
        self.work = work
        self.education = education
        self.skills = skills
        self.languages = languages
        self.certificates = certificates
        self.projects = projects
    }

    public struct Basics: Codable, Sendable, Equatable {
        public var name: String?
        public var label: String?
        public var email: String?
        public var phone: String?
        public var url: String?
        public var summary: String?
        public var location: Location?
        public var profiles: [Profile]?

        public init(name: String? = nil, label: String? = nil, email: String? = nil, phone: String? = nil,
                    url: String? = nil, summary: String? = nil, location: Location? = nil, profiles: [Profile]? = nil) {
            self.name = name
            self.label = label
            self.email = email
            self.phone = phone
            self.url = url
            self.summary = summary
            self.location = location
            self.profiles = profiles
        }
    }

    public struct Location: Codable, Sendable, Equatable {
        public var address: String?
        public var postalCode: String?
        public var city: String?
        public var countryCode: String?
        public var region: String?

        public init(address: String? = nil, postalCode: String? = nil, city: String? = nil, countryCode: String? = nil,
                    region: String? = nil) {
            self.address = address
            self.postalCode = postalCode
            self.city = city
            self.countryCode = countryCode
            self.region = region
        }
    }

    public struct Profile: Codable, Sendable, Equatable {
        public var network: String?
        public var username: String?
        public var url: String?

        public init(network: String? = nil, username: String? = nil, url: String? = nil) {
            self.network = network
            self.username = username
            self.url = url
        }
    }

    public struct Work: Codable, Sendable, Equatable {
        /// The employer.
        public var name: String?
        public var position: String?
        public var location: String?
        public var url: String?
        public var startDate: String?
        public var endDate: String?
        public var summary: String?
        public var highlights: [String]?

        public init(name: String? = nil, position: String? = nil, location: String? = nil, url: String? = nil,
                    startDate: String? = nil, endDate: String? = nil, summary: String? = nil,
                    highlights: [String]? = nil) {
            self.name = name
            self.position = position
            self.location = location
            self.url = url
            self.startDate = startDate
            self.endDate = endDate
            self.summary = summary
            self.highlights = highlights
        }
    }

    public struct Education: Codable, Sendable, Equatable {
        public var institution: String?
        public var url: String?
        /// Field of study, e.g. "Computer Science".
        public var area: String?
        /// Degree, e.g. "Bachelor", "MSc".
        public var studyType: String?
        public var startDate: String?
        public var endDate: String?
        public var score: String?

        public init(institution: String? = nil, url: String? = nil, area: String? = nil, studyType: String? = nil,
                    startDate: String? = nil, endDate: String? = nil, score: String? = nil) {
            self.institution = institution
            self.url = url
            self.area = area
            self.studyType = studyType
            self.startDate = startDate
            self.endDate = endDate
            self.score = score
        }
    }

    public struct Skill: Codable, Sendable, Equatable {
        public var name: String?
        public var level: String?
        public var keywords: [String]?

        public init(name: String? = nil, level: String? = nil, keywords: [String]? = nil) {
            self.name = name
            self.level = level
            self.keywords = keywords
        }
    }

    public struct Language: Codable, Sendable, Equatable {
        public var language: String?
        public var fluency: String?

        public init(language: String? = nil, fluency: String? = nil) {
            self.language = language
            self.fluency = fluency
        }
    }

    public struct Certificate: Codable, Sendable, Equatable {
        public var name: String?
        public var date: String?
        public var issuer: String?
        public var url: String?

        public init(name: String? = nil, date: String? = nil, issuer: String? = nil, url: String? = nil) {
            self.name = name
            self.date = date
            self.issuer = issuer
            self.url = url
        }
    }

    public struct Project: Codable, Sendable, Equatable {
        public var name: String?
        public var description: String?
        public var url: String?
        public var startDate: String?
        public var endDate: String?

        public init(name: String? = nil, description: String? = nil, url: String? = nil, startDate: String? = nil,
                    endDate: String? = nil) {
            self.name = name
            self.description = description
            self.url = url
            self.startDate = startDate
            self.endDate = endDate
        }
    }
}
