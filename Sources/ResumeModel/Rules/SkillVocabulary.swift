/// A built-in vocabulary of common skills and tools, used where a resume lists skills without delimiters
/// (prose, or a skills section the layout mangled) and to tell a skill list from a list of spoken languages.
/// Written for this parser across trades: software, data, design, engineering, finance, HR, marketing,
/// sales, project management, support, teaching, health care, office tools.
package enum SkillVocabulary {
    /// Folded form (`TextFold.key`) → the spelling the parser reports.
    package static let canonical: [String: String] = {
        var map: [String: String] = [:]
        for skill in all { map[TextFold.key(skill)] = skill }
        return map
    }()

    /// The longest entry, in words.
    package static let maxWords = 4

    /// Skills of the vocabulary found in `text`, in order of first appearance, each once. Tokens are split at
    /// whitespace and `,;|()·•`, so `C++`, `C#`, `Node.js` and `CI/CD` stay whole.
    /// In prose (`prose: true`), entries that are also everyday words ("Go", "Word", "Lean", "Writing") are
    /// skipped.
    package static func find(in text: String, prose: Bool = false) -> [String] {
        var tokens: [String] = []
        var current = ""
        for character in text {
            if isTokenSeparator(character) {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        let folded = tokens.map { token -> String in
            var key = TextFold.key(token)
            while let last = key.last, ".:!?".contains(last), key.count > 1 { key.removeLast() }
            return key
        }
        var found: [String] = []
        var seen: Set<String> = []
        var i = 0
        while i < folded.count {
            var matched = 0
            // Only a word some entry of several words starts with can begin a longer match.
            let longest = multiWordStarts.contains(firstWord(folded[i])) ? min(maxWords, folded.count - i) : 1
            for length in stride(from: longest, through: 1, by: -1) {
                let key = folded[i..<(i + length)].joined(separator: " ")
                if let skill = canonical[key], !(prose && everydayWords.contains(key)) {
                    if seen.insert(skill).inserted { found.append(skill) }
                    matched = length
                    break
                }
            }
            i += max(matched, 1)
        }
        return found
    }

    /// The first words of the entries of more than one word: `find` tries longer keys only from these.
    static let multiWordStarts: Set<String> = Set(canonical.keys.compactMap { key in
        key.contains(" ") ? firstWord(key) : nil
    })

    static func firstWord(_ key: String) -> String {
        guard let space = key.utf8.firstIndex(of: 0x20) else { return key }
        return String(key[..<space])
    }

    /// Whitespace and `,;|()·•[]{}"`: what `find` splits a text at (ASCII tested by byte, which a
    /// `String.contains(Character)` per character was not).
    static func isTokenSeparator(_ character: Character) -> Bool {
        if let ascii = character.asciiValue {
            switch ascii {
            case 0x2C, 0x3B, 0x7C, 0x28, 0x29, 0x5B, 0x5D, 0x7B, 0x7D, 0x22: return true
            default: return character.isWhitespaceFast
            }
        }
        return character == "·" || character == "•" || character.isWhitespaceFast
    }

    /// Entries that are also everyday words, folded.
    package static let everydayWords: Set<String> = [
        "go", "c", "r", "word", "access", "writing", "editing", "research", "spring", "express", "chef", "swift",
        "rust", "shell", "lean", "tax", "epic", "sage", "outreach", "gong", "lever", "vault", "consul", "envoy",
        "triage", "typing", "communication", "leadership", "teamwork", "scheduling", "tutoring", "coaching",
        "mentoring", "compliance", "nutrition", "translation", "recruiting", "sourcing", "onboarding", "budgeting",
        "forecasting", "statistics", "networking", "regression", "troubleshooting", "unity", "zoom", "slack",
        "notion", "illustration", "branding", "typography", "prototyping", "payroll", "reconciliation", "valuation",
        "procurement", "logistics", "negotiation", "compensation", "assembly", "sketch", "inventor", "agile",
        "personas", "outlook", "access", "lean", "canvas lms", "intercompany", "auditing", "accessibility",
    ]

    /// An item that is several known skills run together (separators lost in OCR or a table:
    /// "HubSpot CRM Salesforce LinkedIn Sales Navigator"): the skills, when they cover it word for word.
    package static func segment(_ item: String) -> [String]? {
        let words = item.split(separator: " ").map(String.init)
        // Two words are too often one product ("Epic EHR", "Power BI"): three or more only.
        guard words.count >= 3, canonical[TextFold.key(item)] == nil else { return nil }
        let keys = words.map { TextFold.key($0) }
        // Fewest pieces covering all words (dynamic programming over word positions).
        var best: [[Int]?] = Array(repeating: nil, count: words.count + 1)
        best[0] = []
        for end in 1...words.count {
            for length in 1...min(maxWords, end) {
                guard let before = best[end - length],
                      canonical[keys[(end - length)..<end].joined(separator: " ")] != nil else { continue }
                if best[end] == nil || best[end]!.count > before.count + 1 { best[end] = before + [end - length] }
            }
        }
        guard let starts = best[words.count], starts.count >= 2 else { return nil }
        var pieces: [String] = []
        for (k, start) in starts.enumerated() {
            let end = k + 1 < starts.count ? starts[k + 1] : words.count
            pieces.append(words[start..<end].joined(separator: " "))
        }
        return pieces
    }

    /// Whether `item` (one entry of a list) is a known skill.
    package static func contains(_ item: String) -> Bool {
        canonical[TextFold.key(item.trimmed)] != nil
    }

    /// Words that name a skill category when they open an undelimited line ("Tools Miro · Jira").
    package static let categoryWords: Set<String> = [
        "tools", "methods", "languages", "frameworks", "libraries", "systems", "programming", "design", "other",
        "infrastructure", "databases", "cloud", "platforms", "technologies", "software", "sales", "hr", "ux", "soft",
        "technical", "analysis", "marketing", "channels", "finance", "practices", "testing", "devops", "data", "web",
        "mobile", "security", "management", "office", "teaching", "methodologies", "clinical", "cad", "cad/cae",
        "engineering", "accounting", "reporting", "analytics", "creative", "research", "communication", "it",
        "technology", "support", "operations", "licences", "licenses", "certifications", "skills", "hardware",
        "werkzeuge", "methoden", "sprachen", "outils", "methodes", "herramientas", "metodos",
    ]

    package static let all: [String] = software + data + design + engineering + business + people + office + health

    package static let software: [String] = [
        "Python", "Java", "JavaScript", "TypeScript", "Go", "Golang", "Rust", "C", "C++", "C#", "Swift", "Kotlin",
        "Objective-C", "Ruby", "PHP", "Scala", "Perl", "Haskell", "Elixir", "Erlang", "Clojure", "F#", "Dart", "Lua",
        "R", "MATLAB", "Julia", "Bash", "Shell", "PowerShell", "SQL", "PL/SQL", "T-SQL", "HTML", "CSS", "HTML/CSS",
        "Sass", "GraphQL", "REST", "gRPC", "WebAssembly", "Solidity", "COBOL", "Fortran", "Assembly", "VBA",
        "React", "React Native", "Angular", "Vue", "Vue.js", "Svelte", "Next.js", "Node.js", "Express", "Django",
        "Flask", "FastAPI", "Spring", "Spring Boot", "Rails", "Ruby on Rails", "Laravel", "Symfony", ".NET",
        ".NET Core", "ASP.NET", "Entity Framework", "Hibernate", "jQuery", "Redux", "Tailwind", "Bootstrap",
        "SwiftUI", "UIKit", "Flutter", "Xamarin", "Android", "iOS", "Unity", "Unreal Engine", "Qt", "Electron",
        "PostgreSQL", "MySQL", "MariaDB", "SQLite", "Oracle", "Oracle Database", "SQL Server", "MongoDB", "Redis",
        "Cassandra", "DynamoDB", "Elasticsearch", "OpenSearch", "Neo4j", "CouchDB", "Firebase", "Supabase",
        "AWS", "Azure", "GCP", "Google Cloud", "Heroku", "DigitalOcean", "Cloudflare", "AWS ECS", "AWS Lambda",
        "EC2", "S3", "Docker", "Kubernetes", "Helm", "Terraform", "Ansible", "Puppet", "Chef", "Pulumi", "Vagrant",
        "Jenkins", "GitHub Actions", "GitLab CI", "CircleCI", "Travis CI", "Argo CD", "CI/CD", "Git", "GitHub",
        "GitLab", "Bitbucket", "Subversion", "Linux", "Unix", "Windows Server", "macOS", "Nginx", "Apache",
        "Kafka", "RabbitMQ", "NATS", "Prometheus", "Grafana", "Datadog", "Splunk", "New Relic", "ELK", "Sentry",
        "OpenTelemetry", "Istio", "Envoy", "Consul", "Vault", "Microservices", "Serverless", "TDD", "BDD", "DDD",
        "Domain-driven design", "Code review", "Observability", "Agile", "Scrum", "Kanban", "Jira", "Confluence",
        "Selenium", "Cypress", "Playwright", "Jest", "JUnit", "pytest", "Postman", "Webpack", "Vite", "npm",
        "Gradle", "Maven", "CMake", "LLVM", "OAuth", "OpenID Connect", "TLS", "TCP/IP", "DNS", "HTTP", "WebSockets",
        "Networking", "Cybersecurity", "Penetration testing", "SIEM", "Wireshark", "Active Directory",
        "ServiceNow", "Zendesk", "Freshdesk", "Intercom", "Salesforce Service Cloud", "Jira Service Management",
        "Ticket triage", "Knowledge base writing", "ITIL", "Troubleshooting", "Technical support",
    ]

    package static let data: [String] = [
        "pandas", "NumPy", "SciPy", "scikit-learn", "TensorFlow", "PyTorch", "Keras", "XGBoost", "LightGBM",
        "statsmodels", "spaCy", "Hugging Face", "LangChain", "OpenCV", "Matplotlib", "Seaborn", "Plotly", "Jupyter",
        "Spark", "PySpark", "Hadoop", "Hive", "Airflow", "dbt", "Snowflake", "BigQuery", "Redshift", "Databricks",
        "Looker", "Tableau", "Power BI", "Qlik", "Metabase", "Superset", "Excel", "Google Sheets", "SAS", "SPSS",
        "Stata", "Alteryx", "KNIME", "ETL", "Data modeling", "Data warehousing", "Machine learning", "Deep learning",
        "NLP", "Computer vision", "Statistics", "A/B testing", "Regression", "Time-series forecasting",
        "Causal inference", "Customer segmentation", "Forecasting", "Data visualization", "Big data", "MLOps",
        "LLMs", "Generative AI", "Feature engineering",
    ]

    package static let design: [String] = [
        "Figma", "Sketch", "Adobe XD", "InVision", "Adobe Photoshop", "Photoshop", "Adobe Illustrator", "Illustrator",
        "InDesign", "Adobe InDesign", "After Effects", "Premiere Pro", "Lightroom", "Canva", "Blender", "Cinema 4D",
        "Procreate", "Miro", "Framer", "Zeplin", "Wireframing", "Prototyping", "User research", "Usability testing",
        "Design systems", "Information architecture", "Interaction design", "Visual design", "Typography",
        "Branding", "Motion design", "Illustration", "Accessibility", "Accessibility (WCAG 2.1)", "WCAG",
        "UX writing", "Journey mapping", "Personas",
    ]

    package static let engineering: [String] = [
        "AutoCAD", "SolidWorks", "CATIA", "CATIA V5", "Creo", "Siemens NX", "Inventor", "Fusion 360", "ANSYS",
        "Abaqus", "COMSOL", "Simulink", "LabVIEW", "PLC programming", "SCADA", "FEA", "CFD", "GD&T", "FMEA",
        "Six Sigma", "Lean manufacturing", "Root cause analysis", "Tolerance stack-up", "Design for manufacturing",
        "ISO 9001", "Technical drawings", "PPAP", "Kaizen", "5S", "Arduino", "Raspberry Pi", "Embedded C", "VHDL",
        "Verilog", "PCB design", "Altium", "KiCad", "Revit", "ArcGIS", "QGIS", "BIM", "Civil 3D",
    ]

    package static let business: [String] = [
        "Financial modeling", "Financial analysis", "Budgeting", "Forecasting", "Variance analysis", "IFRS", "GAAP",
        "US GAAP", "Auditing", "Internal audit", "Tax", "Accounts payable", "Accounts receivable", "Payroll",
        "Reconciliation", "Month-end close", "Fixed assets", "Intercompany", "SAP", "SAP S/4HANA", "SAP FI/CO",
        "Oracle NetSuite", "NetSuite", "QuickBooks", "Xero", "Sage", "Microsoft Dynamics 365", "DATEV",
        "Excel (pivot tables, XLOOKUP)", "Bloomberg", "Valuation", "Risk management", "Compliance", "AML", "KYC",
        "Salesforce", "HubSpot", "HubSpot CRM", "Pipedrive", "Outreach", "Gong", "LinkedIn Sales Navigator",
        "Pipeline management", "Solution selling", "Negotiation", "Contract renewals", "Territory planning",
        "MEDDIC", "Cold calling", "Account management", "Lead generation", "Key account management",
        "SEO", "SEM", "Google Analytics", "Google Ads", "Meta Ads", "Email marketing", "Paid social",
        "Content marketing", "Content strategy", "Copywriting", "Social media", "Marketing automation", "Mailchimp",
        "Marketo", "Hootsuite", "WordPress", "Brand strategy", "Market research", "Public relations",
        "Project management", "Program management", "Stakeholder management", "Change management", "Waterfall",
        "PRINCE2", "PMP", "MS Project", "Microsoft Project", "Asana", "Trello", "Smartsheet", "Monday.com", "Notion",
        "Budget management", "Vendor management", "Procurement", "Supply chain", "Logistics", "Inventory management",
        "Product management", "Roadmapping", "OKRs", "Business analysis", "Requirements engineering", "Lean",
        "Process improvement", "Customer service", "CRM",
    ]

    package static let people: [String] = [
        "Full-cycle recruiting", "Recruiting", "Sourcing", "Onboarding", "Employee relations", "Performance management",
        "Benefits administration", "Compensation", "Labor law compliance", "Talent management", "Workday", "ADP",
        "BambooHR", "Greenhouse", "SAP SuccessFactors", "Lever", "Personio", "HRIS", "Learning and development",
        "Coaching", "Mentoring", "Leadership", "Team leadership", "Public speaking", "Communication", "Teamwork",
        "Problem solving", "Time management", "Presentation skills", "Conflict resolution", "Facilitation",
        "Curriculum design", "Lesson planning", "Classroom management", "Differentiated instruction",
        "Assessment design", "IEP development", "Moodle", "Google Classroom", "Blackboard", "Canvas LMS",
        "E-learning", "Instructional design", "Tutoring",
    ]

    package static let office: [String] = [
        "Microsoft Office", "MS Office", "Microsoft 365", "Word", "PowerPoint", "Outlook", "Access", "Google Workspace",
        "Slack", "Microsoft Teams", "Zoom", "SharePoint", "Visio", "LaTeX", "Markdown", "Data entry", "Typing",
        "Scheduling", "Bookkeeping", "Translation", "Writing", "Editing", "Research",
    ]

    package static let health: [String] = [
        "Patient care", "Phlebotomy", "Triage", "EMR", "EHR", "Epic", "Cerner", "BLS", "ACLS", "CPR", "First aid",
        "Wound care", "Medication administration", "Infection control", "Clinical research",
        "GCP (Good Clinical Practice)",
        "Pharmacology", "Radiology", "Physiotherapy", "Nutrition",
    ]
}
