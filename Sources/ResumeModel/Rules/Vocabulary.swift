/// Word lists the entry parsers use to tell roles apart: spoken languages and fluency words, job-title and
/// employer words, degrees and schools. All keys are folded (`TextFold.key`).
package enum Vocabulary {
    // MARK: Spoken languages

    /// Language names in English, and as German, French and Spanish resumes write them.
    package static let languages: Set<String> = [
        "english", "german", "french", "spanish", "italian", "portuguese", "dutch", "flemish", "swedish",
        "norwegian", "danish", "finnish", "icelandic", "polish", "czech", "slovak", "hungarian", "romanian",
        "bulgarian", "greek", "turkish", "russian", "ukrainian", "belarusian", "serbian", "croatian", "bosnian",
        "slovenian", "macedonian", "albanian", "lithuanian", "latvian", "estonian", "arabic", "hebrew", "persian",
        "farsi", "dari", "pashto", "urdu", "hindi", "bengali", "bangla", "punjabi", "gujarati", "marathi", "tamil",
        "telugu", "kannada", "malayalam", "sinhala", "nepali", "chinese", "mandarin", "cantonese", "japanese",
        "korean", "vietnamese", "thai", "lao", "khmer", "burmese", "malay", "indonesian", "tagalog", "filipino",
        "swahili", "amharic", "somali", "yoruba", "igbo", "hausa", "zulu", "xhosa", "afrikaans", "catalan",
        "basque", "galician", "welsh", "irish", "gaelic", "luxembourgish", "maltese", "armenian", "georgian",
        "azerbaijani", "kazakh", "uzbek", "mongolian", "tibetan", "latin", "esperanto", "sign language", "asl",
        "bsl", "kurdish", "berber", "wolof", "twi", "lingala", "kinyarwanda", "malagasy", "haitian creole",
        // German
        "englisch", "deutsch", "franzosisch", "franzoesisch", "spanisch", "italienisch", "portugiesisch",
        "niederlandisch", "schwedisch", "norwegisch", "danisch", "finnisch", "polnisch", "tschechisch",
        "ungarisch", "rumanisch", "griechisch", "turkisch", "russisch", "ukrainisch", "arabisch", "chinesisch",
        "japanisch", "koreanisch", "hebraisch", "kroatisch", "serbisch",
        // French
        "anglais", "allemand", "francais", "espagnol", "italien", "portugais", "neerlandais", "suedois", "polonais",
        "russe", "arabe", "chinois", "japonais", "coreen", "turc", "grec", "hebreu", "roumain",
        // Spanish
        "ingles", "aleman", "frances", "espanol", "castellano", "italiano", "portugues", "holandes", "ruso",
        "chino", "japones", "coreano", "catalan", "euskera", "gallego", "arabe",
    ]

    /// Words that describe how well someone speaks a language.
    package static let fluencyWords: Set<String> = [
        "native", "mother", "tongue", "bilingual", "fluent", "fluency", "proficient", "proficiency", "professional",
        "working", "full", "limited", "elementary", "basic", "beginner", "intermediate", "advanced", "upper",
        "conversational", "business", "good", "excellent", "very", "speaker", "a1", "a2", "b1", "b2", "c1", "c2",
        "muttersprache", "muttersprachlich", "fliessend", "verhandlungssicher", "grundkenntnisse", "gut", "sehr",
        "kenntnisse", "maternelle", "langue", "courant", "bilingue", "notions", "scolaire", "avance", "intermediaire",
        "nativo", "nativa", "materna", "lengua", "fluido", "avanzado", "intermedio", "basico", "alto", "medio",
        "ilr", "toeic", "toefl", "ielts", "delf", "dalf", "dele", "goethe",
    ]

    /// Whether `name` (a line's leading words) names a spoken language.
    package static func isLanguage(_ name: String) -> Bool {
        let key = TextFold.comparable(name)
        if languages.contains(key) { return true }
        let words = key.split(separator: " ")
        return words.count <= 3 && words.contains { languages.contains(String($0)) }
    }

    /// Whether most lines under a "Languages" heading name spoken languages (rather than programming ones).
    package static func looksLikeLanguageLines(_ lines: [TextLine]) -> Bool {
        var yes = 0, no = 0
        for (index, line) in lines.prefix(4).enumerated() {
            let first = line.text.split(whereSeparator: { ":(–-—,|\t".contains($0) }).first.map(String.init) ?? ""
            // A spoken language first is enough: a sidebar's section runs on into the main column after it
            // ("Spanish (Native or" / "Bilingual)" / the name / the headline).
            if index == 0, isLanguage(first) { return true }
            if isLanguage(first) { yes += 1 } else { no += 1 }
        }
        return yes >= no
    }

    // MARK: Roles and employers

    /// Words that end or make a job title.
    package static let titleWords: Set<String> = [
        "engineer", "developer", "manager", "director", "analyst", "designer", "consultant", "specialist",
        "scientist", "architect", "administrator", "coordinator", "assistant", "lead", "head", "officer", "intern",
        "trainee", "apprentice", "teacher", "lecturer", "professor", "researcher", "accountant", "auditor",
        "controller", "recruiter", "partner", "representative", "executive", "owner", "master", "nurse",
        "physician", "doctor", "technician", "operator", "editor", "writer", "strategist", "marketer", "planner",
        "buyer", "advisor", "adviser", "agent", "clerk", "cashier", "chef", "cook", "driver", "mechanic",
        "electrician", "president", "vp", "cto", "ceo", "cfo", "coo", "cio", "founder", "co-founder", "cofounder",
        "supervisor", "producer", "programmer", "tester", "associate", "principal", "fellow", "instructor", "tutor",
        "therapist", "pharmacist", "paralegal", "lawyer", "attorney", "counsel", "solicitor", "secretary",
        "receptionist", "bookkeeper", "economist", "statistician", "librarian", "journalist", "photographer",
        "artist", "illustrator", "animator", "translator", "interpreter", "volunteer", "student", "postdoc",
        "generalist", "steward", "expert", "leader", "sre", "devops", "qa", "dba",
        // German, French, Spanish
        "entwickler", "entwicklerin", "ingenieur", "ingenieurin", "leiter", "leiterin", "berater", "beraterin",
        "referent", "referentin", "sachbearbeiter", "sachbearbeiterin", "projektleiter", "werkstudent",
        "praktikant", "praktikantin", "geschaftsfuhrer", "mitarbeiter", "mitarbeiterin", "softwareentwickler",
        "developpeur", "developpeuse", "ingenieure", "chef", "responsable", "directeur", "directrice", "stagiaire",
        "charge", "chargee", "conseiller", "ingeniero", "ingeniera", "desarrollador", "desarrolladora", "gerente",
        "jefe", "jefa", "analista", "consultor", "consultora", "tecnico", "tecnica", "becario", "becaria",
    ]

    /// Words that end or make an employer's name.
    package static let companyWords: Set<String> = [
        "inc", "llc", "ltd", "limited", "plc", "gmbh", "ag", "kg", "se", "sa", "s.a", "sas", "sarl", "sl", "srl",
        "spa", "bv", "b.v", "nv", "n.v", "ab", "as", "a/s", "oy", "oyj", "kk", "k.k", "co", "corp", "corporation",
        "company", "group", "holding", "holdings", "labs", "lab", "technologies", "solutions", "systems", "services",
        "consulting", "partners", "studio", "studios", "agency", "bank", "capital", "networks", "media",
        "international", "industries", "ventures", "university", "college", "school", "hospital", "clinic",
        "institute", "foundation", "pty", "pvt", "llp", "lp", "ug", "e.v", "ev", "s.l", "s.r.l", "s.p.a", "z", "o.o",
        "sp", "gmbh & co", "plc.", "enterprises", "associates", "software", "digital",
    ]

    package static func titleScore(_ text: String) -> Int {
        let words = TextFold.words(text)
        guard let last = words.last else { return 0 }
        var score = titleWords.contains(last) ? 2 : 0
        if words.contains(where: { titleWords.contains($0) }) { score += 1 }
        if ["senior", "junior", "sr", "jr", "staff", "chief", "principal"].contains(words[0]) { score += 1 }
        return score
    }

    package static func companyScore(_ text: String) -> Int {
        let raw = text.lowercased().split(whereSeparator: { $0 == " " || $0 == "," })
            .map { $0.trimmed(["."]) }
        guard let last = raw.last else { return 0 }
        var score = companyWords.contains(last) ? 2 : 0
        if raw.contains(where: { companyWords.contains($0) }) { score += 1 }
        if TextFold.words(text).contains(where: { institutionWords.contains($0) }) { score += 1 }
        return score
    }

    // MARK: Education

    /// Degree names a degree line starts with, longest first (matched on folded, comparable text).
    package static let degrees: [String] = {
        let list = [
            "bachelor", "bachelors", "bachelor's", "bachelor's degree", "bachelor of science", "bachelor of arts",
            "bachelor of engineering", "bachelor of business administration", "bachelor of fine arts",
            "bachelor of laws", "bachelor of education", "bachelor of commerce", "bachelor of technology",
            "bachelor of applied science", "bachelor of computer science", "bachelor of music", "bachelor of nursing",
            "master", "masters", "master's", "master's degree", "master of science", "master of arts",
            "master of engineering", "master of business administration", "master of fine arts", "master of laws",
            "master of education", "master of public health", "master of public administration",
            "master of philosophy", "master of research", "master of technology", "master of commerce",
            "associate", "associate degree", "associate's degree", "associate of arts", "associate of science",
            "associate of applied science", "doctor", "doctorate", "doctor of philosophy", "doctor of medicine",
            "doctor of education", "phd", "ph d", "dphil", "mba", "emba", "msc", "m sc", "bsc", "b sc", "ba", "b a",
            "ma", "m a", "bs", "b s", "ms", "m s", "beng", "b eng", "meng", "m eng", "bba", "llb", "ll b", "llm",
            "ll m", "jd", "j d", "md", "m d", "bfa", "mfa", "mphil", "m phil", "bcom", "b com", "mcom", "btech",
            "b tech", "mtech", "m tech", "b arch", "m arch", "mph", "mpa", "edd", "pgce", "pgdip", "postgraduate",
            "postgraduate diploma", "graduate diploma", "graduate certificate", "diploma", "higher national diploma",
            "higher national certificate", "hnd", "hnc", "btec", "a levels", "a-levels", "gcse", "high school diploma",
            "high school", "ged", "certificate iv", "advanced diploma",
            // German, French, Spanish, and others
            "diplom", "dipl ing", "dipl kfm", "dipl inf", "diplom ingenieur", "diplom kaufmann", "magister",
            "staatsexamen", "erstes staatsexamen", "zweites staatsexamen", "abitur", "promotion", "dr", "dr rer nat",
            "fachhochschulreife", "ausbildung", "licence", "licence professionnelle", "master professionnel",
            "master recherche", "diplome", "diplome d'ingenieur", "ingenieur", "baccalaureat", "bac", "dut", "bts",
            "doctorat", "classe preparatoire", "licenciatura", "licenciado", "licenciada", "grado", "grado en",
            "maestria", "master universitario", "doctorado", "ingenieria", "ingeniero", "tecnico superior",
            "bachillerato", "laurea", "laurea magistrale", "hbo", "wo", "mavo", "havo", "vwo", "kandidat",
            "magisterium",
            "inzynier", "licencjat", "bacharelado", "bacharel", "mestrado", "doutorado", "tecnologo",
            "licenciatura em", "pos graduacao", "especializacao",
        ]
        return list.map { TextFold.comparable($0) }.sorted { $0.count > $1.count }
    }()

    /// The degree a line starts with, as written in the line, and the rest of the line.
    package static func degreePrefix(_ text: String) -> (degree: String, rest: String)? {
        let comparable = TextFold.comparable(text)
        for degree in degrees where comparable.hasPrefix(degree) {
            let end = comparable.index(comparable.startIndex, offsetBy: degree.count)
            guard end == comparable.endIndex || comparable[end] == " " else { continue }
            // Map the match back onto the original text: count the letters and digits it covers.
            let needed = degree.filter { $0 != " " }.count
            var seen = 0
            var index = text.startIndex
            while index < text.endIndex, seen < needed {
                let folded = TextFold.key(String(text[index]))
                seen += folded.filter { $0.isLetterFast || $0.isNumberFast }.count
                index = text.index(after: index)
            }
            // Keep an abbreviation's closing dot and an apostrophe-s ("B.Sc.", "Bachelor's").
            while index < text.endIndex, text[index] == "." { index = text.index(after: index) }
            // Uppercase-only short forms ("MA", "BS") must be written in capitals to count.
            let written = String(text[..<index])
            if degree.count <= 3, !degree.contains(Character(" ")),
               written.filter(\.isLetterFast).contains(where: \.isLowercaseFast),
               !["phd", "msc", "bsc", "mba", "dr", "bac", "dut", "bts", "hnd", "hnc", "ged"].contains(degree) {
                continue
            }
            return (written, String(text[index...]))
        }
        return nil
    }

    /// Words in a school's name.
    package static let institutionWords: Set<String> = [
        "university", "universitat", "universite", "universidad", "universita", "universiteit", "uniwersytet",
        "universitet", "universidade", "univerzita", "egyetem", "universiti", "college", "colleges", "school",
        "institute", "institut", "instituto", "istituto", "academy", "akademie", "academie", "academia",
        "polytechnic", "politecnico", "politechnika", "polytechnique", "hochschule", "fachhochschule", "ecole",
        "escuela", "escola", "gymnasium", "lycee", "conservatory", "conservatoire", "seminary", "tu", "eth", "epfl",
        "kth", "mit", "ucl", "lse", "insead", "iese", "hec", "essec", "uni", "polimi", "polito", "technion",
        "iit", "iim", "nit", "kollegium", "schule", "berufsschule", "colegio", "liceo", "universitatea",
    ]

    package static func looksLikeInstitution(_ text: String) -> Bool {
        TextFold.words(text).contains { institutionWords.contains($0) }
    }
}
