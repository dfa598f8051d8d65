"""Structured resume records (JSON Resume schema subset): the ground truth the documents are rendered from."""

import re
import unicodedata

from . import words as W

# Resumes are dated as if written in June 2025, so records never depend on today's date.
NOW_YEAR, NOW_MONTH = 2025, 6


def ascii_slug(text, sep=""):
    """'Łukasz Wiśniewski' -> 'lukaszwisniewski' (for e-mail local parts and profile names)."""
    table = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D", "ı": "i",
                           "æ": "ae", "Æ": "AE"})
    text = unicodedata.normalize("NFKD", text.translate(table))
    text = "".join(c for c in text if not unicodedata.combining(c))
    parts = re.findall(r"[A-Za-z0-9]+", text)
    return sep.join(p.lower() for p in parts)


def weighted(rng, table):
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


def ym_add(y, m, months):
    total = y * 12 + (m - 1) + months
    return total // 12, total % 12 + 1


def fmt_date(y, m, precision):
    return f"{y:04d}" if precision == "year" else f"{y:04d}-{m:02d}"


def make_name(rng, culture, allow_hanzi):
    c = W.CULTURES[culture]
    given, gender = rng.choice(c["given"])
    family = rng.choice(c["family"])
    if culture == "zh":
        (g_han, g_pin), (f_han, f_pin) = given, family
        if allow_hanzi and rng.random() < 0.4:
            return f_han + g_han, f_pin + " " + g_pin, gender
        if rng.random() < 0.3:
            return f"{f_pin.upper()} {g_pin}", f"{g_pin} {f_pin}", gender
        return f"{g_pin} {f_pin}", f"{g_pin} {f_pin}", gender
    if culture == "pl" and gender == "f" and family.endswith("ski"):
        family = family[:-1] + "a"
    if culture == "pl" and gender == "f" and family.endswith("cki"):
        family = family[:-1] + "a"
    if culture == "vi":
        middle = "Thị" if gender == "f" else "Văn"
        return f"{family} {middle} {given}", f"{given} {family}", gender
    name = f"{given} {family}"
    if culture == "en" and rng.random() < 0.12:
        name = f"{given} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {family}"
    if culture == "es" and rng.random() < 0.3:
        name = f"{given} {family} {rng.choice(W.CULTURES['es']['family'])}"
    return name, name, gender


def phone_for(rng, cc):
    d = lambda n: "".join(str(rng.randrange(10)) for _ in range(n))  # noqa: E731
    if cc in ("US", "CA"):
        area = rng.choice(["415", "512", "312", "617", "206", "212", "303", "404", "919", "612", "416", "604"])
        return rng.choice([f"+1 ({area}) 555-01{d(2)}", f"({area}) 555-01{d(2)}", f"{area}-555-01{d(2)}",
                           f"+1 {area} 555 01{d(2)}", f"{area}.555.01{d(2)}"])
    styles = {
        "GB": [f"+44 7{d(3)} {d(6)}", f"07{d(3)} {d(6)}"],
        "DE": [f"+49 1{d(2)} {d(7)}", f"+49 (0)30 {d(7)}", f"01{d(2)}/{d(7)}"],
        "FR": [f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}", f"06 {d(2)} {d(2)} {d(2)} {d(2)}"],
        "ES": [f"+34 6{d(2)} {d(3)} {d(3)}", f"6{d(2)} {d(2)} {d(2)} {d(2)}"],
        "PL": [f"+48 5{d(2)} {d(3)} {d(3)}", f"+48 {d(3)}-{d(3)}-{d(3)}"],
        "IN": [f"+91 9{d(4)} {d(5)}", f"+91-9{d(9)}"],
        "CN": [f"+86 13{d(1)} {d(4)} {d(4)}"],
        "AU": [f"+61 4{d(2)} {d(3)} {d(3)}", f"04{d(2)} {d(3)} {d(3)}"],
        "NL": [f"+31 6 {d(8)}", f"06-{d(8)}"],
        "SE": [f"+46 70 {d(3)} {d(2)} {d(2)}"], "NO": [f"+47 {d(3)} {d(2)} {d(3)}"],
        "NG": [f"+234 80{d(1)} {d(3)} {d(4)}"], "MX": [f"+52 55 {d(4)} {d(4)}"],
        "BR": [f"+55 11 9{d(4)}-{d(4)}"], "TR": [f"+90 5{d(2)} {d(3)} {d(2)} {d(2)}"],
        "JP": [f"+81 90-{d(4)}-{d(4)}"],
    }
    return rng.choice(styles[cc])


def fill(rng, template, pool):
    def repl(m):
        key = m.group(1)
        if key == "n":
            return str(rng.choice([3, 4, 5, 6, 8, 12, 15, 20, 25, 40, 60, 120]))
        if key == "small":
            return str(rng.randint(2, 9))
        if key == "pct":
            return str(rng.choice([12, 15, 18, 20, 22, 25, 30, 35, 40, 45, 60]))
        if key == "pct2":
            return str(rng.choice([85, 88, 90, 92, 95, 97]))
        if key == "money":
            return rng.choice(W.MONEY)
        if key == "cross":
            return rng.choice(W.CROSS)
        return rng.choice(pool[key])
    return re.sub(r"\{(\w+)\}", repl, template)


def company_name(rng, cc, family):
    local = W.LOCAL_COMPANIES.get(cc)
    if local and rng.random() < 0.25:
        name = rng.choice(local)
    else:
        name = f"{rng.choice(W.COMPANY_PREFIX)} {rng.choice(W.FAMILIES[family]['company_suffix'])}"
    legal = rng.choice(W.COMPANY_LEGAL.get(cc, [""]))
    if family in ("teaching", "nursing") and rng.random() < 0.7:
        legal = ""
    if legal and rng.random() < 0.6:
        name = f"{name} {legal}" if not legal.startswith(",") else name + legal
    return name


def make_record(rng, *, allow_hanzi=True, size=None):
    """One resume record. size: 'short' (about a page), 'medium' (1–2 pages), 'long' (3–4 pages) or 'xlong' (a
    senior career of 5–7 pages, the 10–16 k characters real resumes reach; only when asked for)."""
    if size is None:
        size = weighted(rng, {"short": 40, "medium": 48, "long": 12})
    cc = weighted(rng, W.COUNTRY_WEIGHTS)
    country = W.COUNTRIES[cc]
    culture = rng.choice(country["cultures"])
    name, latin_name, _gender = make_name(rng, culture, allow_hanzi)
    family = rng.choice(list(W.FAMILIES))
    fam = W.FAMILIES[family]

    # Career: years of experience drive the number of jobs.
    n_jobs = {"short": rng.randint(1, 3), "medium": rng.randint(3, 5), "long": rng.randint(7, 10),
              "xlong": rng.randint(10, 14)}[size]
    n_high = {"short": (2, 3), "medium": (3, 5), "long": (5, 8), "xlong": (7, 11)}[size]
    work_precision = "year" if rng.random() < 0.15 else "month"
    ongoing = rng.random() < 0.8
    y, m = (NOW_YEAR, NOW_MONTH) if ongoing else ym_add(NOW_YEAR, NOW_MONTH, -rng.randint(2, 9))
    titles = rng.sample(fam["titles"], len(fam["titles"]))
    templates = fam["highlights"] + W.GENERIC_HIGHLIGHTS[: len(fam["highlights"]) // 2]
    unused = []
    jobs = []
    for i in range(n_jobs):
        months = rng.randint(8, 60) if size not in ("long", "xlong") else rng.randint(10, 36)
        sy, sm = ym_add(y, m, -months)
        job = {"name": company_name(rng, cc, family), "position": titles[i % len(titles)]}
        job["startDate"] = fmt_date(sy, sm, work_precision)
        if not (i == 0 and ongoing):
            job["endDate"] = fmt_date(y, m, work_precision)
        pool = fam["pool"]
        k = rng.randint(*n_high)
        hl = []
        for _ in range(k):
            if not unused:
                unused = rng.sample(templates, len(templates))
            hl.append(fill(rng, unused.pop(), pool))
        job["highlights"] = hl
        jobs.append(job)
        y, m = ym_add(sy, sm, -rng.randint(0, 6))
    # Most recent job title is the headline.
    label = jobs[0]["position"]

    # Education ends around the first job's start.
    edu = []
    edu_precision = "year" if rng.random() < 0.6 else "month"
    levels = ["bachelor"]
    r = rng.random()
    if r < 0.35:
        levels.append("master")
    if r < 0.05 or (size in ("long", "xlong") and r < 0.12):
        levels += ["phd"]
    if rng.random() < 0.08 and size == "short":
        levels = ["associate"]
    ey, em = y, rng.choice([5, 6, 7])
    schools = W.SCHOOLS[cc]
    for lvl in reversed(levels):
        years = {"bachelor": 3 if cc in ("GB", "DE", "FR", "ES", "PL", "NL", "SE", "NO") else 4,
                 "master": rng.choice([1, 2]), "phd": rng.randint(4, 5), "associate": 2}[lvl]
        study = rng.choice(W.DEGREES[lvl])
        local = W.DEGREES["local"].get(cc)
        if local and rng.random() < 0.3 and lvl in ("bachelor", "master"):
            study = rng.choice(local)
        school = rng.choice(schools).format(city=rng.choice(country["cities"])[0])
        entry = {"institution": school, "area": rng.choice(fam["areas"]), "studyType": study,
                 "startDate": fmt_date(ey - years, 9 if cc != "AU" else 2, edu_precision),
                 "endDate": fmt_date(ey, em, edu_precision)}
        if rng.random() < 0.2:
            del entry["startDate"]  # "Graduated 2016"
        edu.append(entry)
        ey, em = ey - years, rng.choice([5, 6, 7])
    edu.sort(key=lambda e: e["endDate"], reverse=True)

    city, region = rng.choice(country["cities"])
    location = {"city": city}
    if region:
        location["region"] = region
    location["countryCode"] = cc
    slug = ascii_slug(latin_name)
    first_last = ascii_slug(latin_name, ".")
    local_part = rng.choice([first_last, slug, first_last.split(".")[0][0] + "." + first_last.split(".")[-1],
                             slug + str(rng.randint(1, 99))])
    basics = {"name": name}
    if rng.random() < 0.82:
        basics["label"] = label
    basics["email"] = f"{local_part}@{rng.choice(W.EMAIL_DOMAINS)}"
    if rng.random() < 0.93:
        basics["phone"] = phone_for(rng, cc)
    if rng.random() < 0.2:
        basics["url"] = f"https://{slug}.example.com"
    if rng.random() < 0.6:
        adj = rng.choice(W.SUMMARY_ADJ)
        yrs = max(1, NOW_YEAR - int(jobs[-1]["startDate"][:4]))
        kw = [k for ks in fam["skills"].values() for k in ks]
        a, b = rng.sample(kw, 2)
        summary = f"{adj} {label.lower() if rng.random() < 0.5 else label} with {yrs}+ years of experience in {a} and {b}."
        if rng.random() < 0.6:
            summary += rng.choice([" Known for clear communication and steady delivery.",
                                   " Looking for a role with more ownership in a growing team.",
                                   " Comfortable working across teams and time zones.",
                                   " Enjoys mentoring and improving how teams work."])
        basics["summary"] = summary
    basics["location"] = location
    profiles = []
    for net in fam["profiles"]:
        if rng.random() < (0.7 if net == "LinkedIn" else 0.35):
            user = slug if rng.random() < 0.6 else ascii_slug(latin_name, "-") + f"-{rng.randint(10, 999)}"
            url = {"LinkedIn": f"https://www.linkedin.com/in/{user}", "GitHub": f"https://github.com/{user}",
                   "Stack Overflow": f"https://stackoverflow.com/users/{rng.randint(100000, 9999999)}/{user}",
                   "Kaggle": f"https://www.kaggle.com/{user}", "Twitter": f"https://twitter.com/{user}",
                   "Behance": f"https://www.behance.net/{user}", "Dribbble": f"https://dribbble.com/{user}"}[net]
            profiles.append({"network": net, "username": user, "url": url})
    basics["profiles"] = profiles

    groups = list(fam["skills"].items())
    skills = []
    for gname, kws in rng.sample(groups, rng.randint(max(1, len(groups) - 2), len(groups))):
        skills.append({"name": gname, "keywords": rng.sample(kws, rng.randint(min(3, len(kws)), min(7, len(kws))))})

    native = W.LANGUAGE_NAMES.get(culture, "English")
    langs = [{"language": native, "fluency": "Native speaker"}]
    local_lang = W.COUNTRY_LANGUAGE[cc]
    if local_lang != native:
        langs.append({"language": local_lang, "fluency": rng.choice(W.FLUENCY[1:])})
    if rng.random() < 0.4:
        extra = rng.choice([x for x in W.EXTRA_LANGUAGES if x not in (l["language"] for l in langs)])
        langs.append({"language": extra, "fluency": rng.choice(W.FLUENCY[3:])})
    if rng.random() < 0.15 and len(langs) == 1:
        langs = []

    certs = []
    n_certs = {"short": rng.choice([0, 0, 1]), "medium": rng.choice([0, 1, 2]), "long": rng.randint(2, 4),
               "xlong": rng.randint(3, 6)}[size]
    cert_precision = "year" if rng.random() < 0.3 else "month"
    for cname, issuer in rng.sample(fam["certs"], min(n_certs, len(fam["certs"]))):
        cy, cm = ym_add(NOW_YEAR, NOW_MONTH, -rng.randint(3, 96))
        certs.append({"name": cname, "issuer": issuer, "date": fmt_date(cy, cm, cert_precision)})
    certs.sort(key=lambda c: c["date"], reverse=True)

    projects = []
    n_proj = {"short": rng.choice([0, 0, 1]), "medium": rng.choice([0, 1, 2]), "long": rng.randint(2, 4),
              "xlong": rng.randint(3, 6)}[size]
    for pname, desc in rng.sample(fam["projects"], min(n_proj, len(fam["projects"]))):
        projects.append({"name": pname, "description": fill(rng, desc, fam["pool"])})

    rec = {"basics": basics, "work": jobs, "education": edu, "skills": skills}
    if langs:
        rec["languages"] = langs
    if certs:
        rec["certificates"] = certs
    if projects:
        rec["projects"] = projects
    return rec


def record_text(rec):
    """All text of a record (to check an encoding can carry it)."""
    out = []

    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str):
            out.append(v)
    walk(rec)
    return "\n".join(out)
