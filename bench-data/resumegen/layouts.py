"""The layouts set: the shapes real resumes arrive in (job-board exports, Europass, two-column and sidebar
templates, tables, text boxes, page headers and footers), with headings in four languages, many date forms and
bullets. Each layout builds a `docmodel.Doc` from a record; some layouts show less than the record holds or show
it differently (a LinkedIn export lists three "Top Skills"), so `adapt` first cuts the record down to what the
document shows: the record stays the exact truth of its document.

Everything here draws from the rng it is given; the mix and sample sets never call it.
"""

import copy

from . import render as R
from . import words as W
from .docmodel import Doc, P, Table

LAYOUTS = ["indeed", "linkedin", "naukri", "europass", "two-column", "sidebar", "table", "textbox",
           "header-footer", "classic"]
# Formats each layout is delivered in (weights). Job boards export PDF, HTML and text; Europass and templates
# are edited in Word or Writer; text boxes and page headers only exist in word-processor files.
FORMATS = {
    "indeed": {"pdf": 5, "html": 3, "txt": 2},
    "linkedin": {"pdf": 8, "txt": 2},
    "naukri": {"pdf": 3, "html": 3, "docx": 2, "txt": 2},
    "europass": {"pdf": 4, "docx": 3, "odt": 2, "html": 1},
    "two-column": {"pdf": 4, "docx": 4, "odt": 1, "html": 1},
    "sidebar": {"pdf": 4, "docx": 4, "odt": 1, "html": 1},
    "table": {"pdf": 4, "docx": 4, "odt": 1, "html": 1},
    "textbox": {"docx": 5, "pdf": 4, "odt": 1},
    "header-footer": {"docx": 5, "pdf": 4, "odt": 1},
    "classic": {"pdf": 3, "docx": 3, "odt": 1, "html": 1, "txt": 2},
}
# Layouts written as DOCX by docmodel (text boxes, page headers and footers); their pdf and odt are converted
# from that DOCX. The others are HTML, converted by LibreOffice as in the mix.
DOCX_NATIVE = ("linkedin", "textbox", "header-footer")
# Layouts whose headings may be German, French or Spanish (job boards and Europass here are English).
LOCALIZED = ("two-column", "sidebar", "table", "textbox", "header-footer", "classic")

HEADINGS = {
    "en": {k: v for k, v in W.HEADINGS.items()} | {"contact": ["Contact", "Contact Details", "Personal Details"]},
    "de": {"summary": ["Profil", "Kurzprofil", "Über mich", "Zusammenfassung"],
           "work": ["Berufserfahrung", "Beruflicher Werdegang", "Praxiserfahrung", "Berufspraxis"],
           "education": ["Ausbildung", "Bildungsweg", "Studium", "Akademische Ausbildung"],
           "skills": ["Kenntnisse", "Fachkenntnisse", "Kompetenzen", "IT-Kenntnisse"],
           "languages": ["Sprachen", "Sprachkenntnisse"],
           "certificates": ["Zertifikate", "Weiterbildung", "Zertifizierungen"],
           "projects": ["Projekte", "Ausgewählte Projekte"],
           "contact": ["Kontakt", "Kontaktdaten", "Persönliche Daten"]},
    "fr": {"summary": ["Profil", "À propos", "Profil professionnel", "Résumé"],
           "work": ["Expérience professionnelle", "Expériences professionnelles", "Parcours professionnel",
                    "Expérience"],
           "education": ["Formation", "Études", "Diplômes et formations", "Formation académique"],
           "skills": ["Compétences", "Compétences techniques", "Compétences clés"],
           "languages": ["Langues", "Compétences linguistiques"],
           "certificates": ["Certifications", "Certificats"],
           "projects": ["Projets", "Projets personnels"],
           "contact": ["Contact", "Coordonnées"]},
    "es": {"summary": ["Perfil", "Perfil profesional", "Sobre mí", "Resumen"],
           "work": ["Experiencia laboral", "Experiencia profesional", "Trayectoria profesional", "Experiencia"],
           "education": ["Formación", "Formación académica", "Educación", "Estudios"],
           "skills": ["Habilidades", "Competencias", "Conocimientos", "Conocimientos técnicos"],
           "languages": ["Idiomas"],
           "certificates": ["Certificaciones", "Cursos y certificaciones"],
           "projects": ["Proyectos"],
           "contact": ["Contacto", "Datos de contacto", "Datos personales"]},
}
PRESENT = {"en": ["Present", "present", "now", "Now", "Current", "today"],
           "de": ["heute", "aktuell", "Heute"], "fr": ["aujourd'hui", "présent", "ce jour"],
           "es": ["actualidad", "presente", "la actualidad"]}
SINCE = {"en": ["since", "Since"], "de": ["seit", "Seit"], "fr": ["depuis", "Depuis"], "es": ["desde", "Desde"]}
# Date forms: how one date is written; year forms show only years (the record is cut to years).
DATE_FORMS = {"en": ["Mon 'YY", "MM/YYYY", "YYYY-YY", "Mon YYYY", "Month YYYY", "YYYY", "MM.YYYY", "YYYY-MM"],
              "other": ["MM/YYYY", "MM.YYYY", "YYYY-YY", "YYYY", "YYYY-MM"]}
YEAR_FORMS = ("YYYY-YY", "YYYY")
BULLETS = ["•", "◦", "▪", "■", "►", "✓", "-", "*", "–", "→", "1.", "a)", "ul", "➢", "○"]


def pick_style(rng, layout):
    lang = "en"
    if layout in LOCALIZED and rng.random() < 0.45:
        lang = rng.choice(["de", "fr", "es"])
    forms = DATE_FORMS["en" if lang == "en" else "other"]
    st = {
        "lang": lang,
        "case": rng.choice(["upper", "title", "sentence"]) if lang == "en" else rng.choice(["upper", "asis"]),
        "headings": {k: rng.choice(v) for k, v in HEADINGS[lang].items()},
        "date": rng.choice(forms),
        "range": rng.choice([" – ", " - ", "–", " — ", " to "] if lang == "en" else [" – ", " - ", "–"]),
        "present": rng.choice(PRESENT[lang]),
        "since": rng.choice(SINCE[lang]) if rng.random() < 0.3 else None,
        "bullet": rng.choice(BULLETS),
        "job": rng.choice("ABCD"),
        "edu": rng.choice("ABC"),
        "skills": rng.choice(["lines", "bullets", "para"]),
        "langs": rng.choice([" ({})", " – {}", ": {}", " - {}"]),
        "contact_sep": rng.choice([" | ", " · ", " • ", "   ", "\n"]),
        "font": rng.choice(W.FONTS),
        "accent": rng.choice(W.ACCENTS),
        "size": rng.choice([9.5, 10, 10, 10.5, 11]),
        "margin": rng.choice(["0.5in", "0.75in", "1in", "18mm", "25mm"]),
        "txt_heading": rng.choice(["plain", "underline", "colon"]),
        "order": ["summary", "work", "education", "skills", "projects", "certificates", "languages"],
        "letter": False,
    }
    if rng.random() < 0.4:
        st["order"] = ["summary", "skills", "work", "education", "projects", "certificates", "languages"]
    if st["bullet"] == "ul" and layout in DOCX_NATIVE:
        st["bullet"] = "•"
    return st


def variant(st):
    """What the manifest says about a document's style (for scores per variant)."""
    return {"headings": st["lang"], "case": st["case"], "date": st["date"],
            "present": f"{st['since']} …" if st["since"] else st["present"], "bullet": st["bullet"]}


# ---------------------------------------------------------------------------------------------- text pieces


def heading(key, st):
    h = st["headings"][key]
    if st["case"] == "upper":
        return h.upper()
    if st["case"] == "sentence":
        return h[0] + h[1:].lower()
    return h


def fmt_date(d, st):
    """render's date forms, plus "Mon 'YY" (the year's last two digits after an apostrophe)."""
    if d is not None and len(d) > 4 and st["date"] == "Mon 'YY":
        y, m = int(d[:4]), int(d[5:7])
        return f"{W.MONTHS[m - 1][:3]} '{y % 100:02d}"
    return R.fmt_date(d, st)


def date_range(start, end, st, current_ok=True):
    if start is None:
        return fmt_date(end, st)
    if end is None and st["since"] and current_ok:
        return f"{st['since']} {fmt_date(start, st)}"
    if st["date"] == "YYYY-YY" and end is not None and start[:2] == end[:2] and start != end:
        return f"{start}–{end[2:]}"
    return fmt_date(start, st) + st["range"] + fmt_date(end, st)


def months_between(start, end):
    """LinkedIn's "(5 years 11 months)": both months counted."""
    ey, em = (2025, 6) if end is None else (int(end[:4]), int(end[5:7]) if len(end) > 4 else 12)
    sy, sm = int(start[:4]), int(start[5:7]) if len(start) > 4 else 1
    n = (ey * 12 + em) - (sy * 12 + sm) + 1
    y, m = divmod(max(n, 1), 12)
    parts = ([f"{y} year{'s' if y > 1 else ''}"] if y else []) + ([f"{m} month{'s' if m > 1 else ''}"] if m else [])
    return " ".join(parts)


def bullets(items, st, rng=None):
    out = []
    for k, x in enumerate(items):
        b = st["bullet"]
        if b == "1.":
            b = f"{k + 1}."
        elif b == "a)":
            b = f"{'abcdefghijklmnopqrstuvwxyz'[k % 26]})"
        out.append(P(x, "li", bullet=b))
    return out


def contact_items(rec):
    b = rec["basics"]
    items = [b["email"]] + ([b["phone"]] if "phone" in b else []) + [R.location_text(b["location"])]
    items += ([b["url"]] if "url" in b else []) + [p["url"] for p in b["profiles"]]
    return items


def contact_blocks(rec, st, align=None):
    items = contact_items(rec)
    if st["contact_sep"] == "\n":
        return [P(x, align=align) for x in items]
    return [P(st["contact_sep"].join(items), align=align)]


def head_blocks(rec, st, align=None):
    b = rec["basics"]
    out = [P(b["name"], "name", align=align)]
    if "label" in b:
        out.append(P(b["label"], "label", align=align))
    return out


def job_blocks(job, st):
    pos, comp = job["position"], job["name"]
    dates = date_range(job["startDate"], job.get("endDate"), st)
    j = st["job"]
    if j == "A":
        head = [P(f"{pos}, {comp}", bold=True), P(dates, italic=True)]
    elif j == "B":
        head = [P(comp, "h3"), P(f"{pos}\n{dates}")]
    elif j == "C":
        head = [P(f"{pos} | {comp} | {dates}", bold=True)]
    else:
        head = [P(f"{dates}   {pos}", bold=True), P(comp, italic=True)]
    return head + bullets(job["highlights"], st)


def edu_blocks(ed, st):
    dates = date_range(ed.get("startDate"), ed["endDate"], st, current_ok=False)
    k = st["edu"]
    if k == "A":
        return [P(f"{ed['studyType']} in {ed['area']}", bold=True), P(f"{ed['institution']}, {dates}")]
    if k == "B":
        return [P(ed["institution"], bold=True), P(f"{ed['studyType']}, {ed['area']}\n{dates}")]
    return [P(f"{dates}   {ed['studyType']}, {ed['area']}", bold=True), P(ed["institution"])]


def section(key, rec, st, compact=False):
    """One section's blocks (heading first), or [] when the record has nothing for it."""
    b = rec["basics"]
    h = [P(heading(key, st), "h")]
    if key == "summary":
        return h + [P(b["summary"])] if "summary" in b else []
    if key == "work":
        return h + [x for job in rec["work"] for x in job_blocks(job, st)]
    if key == "education":
        return h + [x for ed in rec["education"] for x in edu_blocks(ed, st)]
    if key == "skills":
        groups = rec["skills"]
        mode = "lines" if compact and st["skills"] == "para" else st["skills"]
        if compact and mode == "lines":
            return h + [P(f"{g['name']}\n" + ", ".join(g["keywords"])) for g in groups]
        if mode == "lines":
            return h + [P(f"{g['name']}: {', '.join(g['keywords'])}") for g in groups]
        if mode == "bullets":
            return h + bullets([f"{g['name']}: {', '.join(g['keywords'])}" for g in groups], st)
        return h + [x for g in groups for x in (P(g["name"], bold=True), P(" · ".join(g["keywords"])))]
    if key == "languages":
        langs = rec.get("languages")
        return h + [P(x["language"] + st["langs"].format(x["fluency"])) for x in langs] if langs else []
    if key == "certificates":
        certs = rec.get("certificates")
        return h + bullets([f"{c['name']}, {c['issuer']} ({fmt_date(c['date'], st)})" for c in certs], st) \
            if certs else []
    if key == "projects":
        projects = rec.get("projects")
        return h + [P(f"{p['name']} – {p['description']}") for p in projects] if projects else []
    raise KeyError(key)


# ---------------------------------------------------------------------------------------------- records


def years_only(rec):
    for job in rec["work"]:
        for k in ("startDate", "endDate"):
            if k in job:
                job[k] = job[k][:4]
    for ed in rec["education"]:
        for k in ("startDate", "endDate"):
            if k in ed:
                ed[k] = ed[k][:4]
    for c in rec.get("certificates", []):
        c["date"] = c["date"][:4]


LINKEDIN_FLUENCY = ["Native or Bilingual", "Full Professional", "Professional Working", "Limited Working",
                    "Elementary"]
CEFR = ["C2", "C1", "B2", "B1", "A2"]


def adapt(rec, layout, st, rng):
    """A copy of the record holding exactly what this layout shows."""
    rec = copy.deepcopy(rec)
    if st["date"] in YEAR_FORMS or layout in ("naukri",) and rng.random() < 0.3:
        years_only(rec)
    b = rec["basics"]
    if layout == "indeed":
        rec.pop("projects", None)
        rec["skills"] = [{"name": "Skills", "keywords": [k for g in rec["skills"] for k in g["keywords"]]}]
    elif layout == "linkedin":
        rec.pop("projects", None)
        for ed in rec["education"]:
            for k in ("startDate", "endDate"):
                if k in ed:
                    ed[k] = ed[k][:4]
        for p in b["profiles"]:
            p["url"] = p["url"].split("://", 1)[1]
        if "url" in b:
            b["url"] = b["url"].split("://", 1)[1]
        kws = [k for g in rec["skills"] for k in g["keywords"]]
        rec["skills"] = [{"name": "Top Skills", "keywords": rng.sample(kws, min(3, len(kws)))}]
        for x in rec.get("languages", []):
            x["fluency"] = LINKEDIN_FLUENCY[0] if x["fluency"] == "Native speaker" else rng.choice(LINKEDIN_FLUENCY[1:])
        if "certificates" in rec:
            rec["certificates"] = [{"name": c["name"]} for c in rec["certificates"]]
    elif layout == "naukri":
        rec["skills"] = [{"name": "Key Skills", "keywords": [k for g in rec["skills"] for k in g["keywords"]]}]
    elif layout == "europass":
        for x in rec.get("languages", []):
            x["fluency"] = "Mother tongue" if x["fluency"] == "Native speaker" else rng.choice(CEFR)
    return rec


# ---------------------------------------------------------------------------------------------- layouts


def two_col(left, right, lw, shade=None, shade_col=None):
    return Table([[left, right]], [lw, 100 - lw], shade=shade, shade_col=shade_col)


def lay_classic(rec, st, rng):
    blocks = head_blocks(rec, st) + contact_blocks(rec, st)
    for k in st["order"]:
        blocks += section(k, rec, st)
    return Doc(blocks, st)


def lay_two_column(rec, st, rng):
    side_keys = [k for k in st["order"] if k in ("skills", "languages", "certificates")]
    main = [x for k in st["order"] if k not in side_keys for x in section(k, rec, st)]
    side = [x for k in side_keys for x in section(k, rec, st, compact=True)]
    top = head_blocks(rec, st) + contact_blocks(rec, st)
    return Doc(top + [two_col(main, side, 64)], st)


def lay_sidebar(rec, st, rng):
    side_keys = [k for k in st["order"] if k in ("skills", "languages", "certificates")]
    side = head_blocks(rec, st) + [P(heading("contact", st), "h")] + [P(x) for x in contact_items(rec)]
    side += [x for k in side_keys for x in section(k, rec, st, compact=True)]
    main = [x for k in st["order"] if k not in side_keys for x in section(k, rec, st)]
    right = rng.random() < 0.25
    t = two_col(main, side, 66, "#e8edf3", 1) if right else two_col(side, main, 34, "#e8edf3", 0)
    return Doc([t], st)


def lay_table(rec, st, rng):
    """The whole resume in a bordered grid: heading cells on the left, content on the right."""
    rows = [[head_blocks(rec, st), [P(x) for x in contact_items(rec)]]]
    for k in st["order"]:
        sec = section(k, rec, st, compact=True)
        if not sec:
            continue
        if k == "work":
            rows.append([[sec[0]], []])
            for job in rec["work"]:
                dates = date_range(job["startDate"], job.get("endDate"), st)
                rows.append([[P(dates)], [P(job["position"], bold=True), P(job["name"], italic=True)]
                             + bullets(job["highlights"], st)])
        elif k == "education":
            rows.append([[sec[0]], []])
            for ed in rec["education"]:
                dates = date_range(ed.get("startDate"), ed["endDate"], st, current_ok=False)
                rows.append([[P(dates)], [P(f"{ed['studyType']}, {ed['area']}", bold=True), P(ed["institution"])]])
        else:
            rows.append([[sec[0]], sec[1:]])
    return Doc([Table(rows, [26, 74], border=True)], st)


def lay_textbox(rec, st, rng):
    """Name and label in one text box, contact in another beside it (a Word template's header band)."""
    kind = "small" if rng.random() < 0.3 else "p"
    contact = [P(x, kind) for x in contact_items(rec)]
    boxes = [(head_blocks(rec, st), 0.55, 1300), (contact, 0.42, 380 * len(contact) + 300)]
    blocks = []
    for k in st["order"]:
        blocks += section(k, rec, st)
    return Doc(blocks, st, boxes=boxes)


def lay_header_footer(rec, st, rng):
    b = rec["basics"]
    header = [P(b["name"], "label", bold=True)]
    if "label" in b and rng.random() < 0.7:
        header.append(P(b["label"], "small"))
    header.append(P(" | ".join(contact_items(rec)), "small"))
    footer = rng.choice([
        [P("", "small", align="center", fields="Page {PAGE} of {NUMPAGES}")],
        [P("", "small", align="center", fields="Confidential – {PAGE}")],
        [P("", "small", align="right", fields="Curriculum Vitae · Page {PAGE}")],
        [P("", "small", align="center", fields="- {PAGE} -")],
    ])
    for f in footer:
        f.text = f.fields
    blocks = []
    if "label" in b and len(header) == 2:
        blocks.append(P(b["label"], "label"))
    for k in st["order"]:
        blocks += section(k, rec, st)
    return Doc(blocks, st, header=header, footer=footer)


def lay_indeed(rec, st, rng):
    """Indeed's resume export: title line, "Company - City" line, "Month Year to Present", no bullets."""
    st = dict(st, date="Month YYYY", range=" to ", present="Present", since=None, txt_heading="plain")
    b = rec["basics"]
    cities = [c for c, _ in W.COUNTRIES[b["location"]["countryCode"]]["cities"]]
    blocks = [P(b["name"], "name")]
    if "label" in b:
        blocks.append(P(b["label"]))
    blocks += [P(R.location_text(b["location"])), P(b["email"])] + ([P(b["phone"])] if "phone" in b else [])
    if "summary" in b:
        blocks.append(P(b["summary"]))
    if rng.random() < 0.5:
        us = b["location"]["countryCode"] == "US" and rng.random() < 0.5
        blocks.append(P("Authorized to work in the US for any employer" if us else "Willing to relocate: Anywhere",
                        "small"))
    blocks.append(P("Work Experience", "h"))
    for job in rec["work"]:
        blocks += [P(job["position"], "h3"), P(f"{job['name']} - {rng.choice(cities)}"),
                   P(date_range(job["startDate"], job.get("endDate"), st))]
        blocks += [P(x) for x in job["highlights"]] if rng.random() < 0.6 else bullets(job["highlights"],
                                                                                      dict(st, bullet="•"))
    blocks.append(P("Education", "h"))
    for ed in rec["education"]:
        blocks += [P(f"{ed['studyType']} in {ed['area']}", "h3"), P(f"{ed['institution']} - {rng.choice(cities)}"),
                   P(date_range(ed.get("startDate"), ed["endDate"], st, current_ok=False))]
    blocks.append(P("Skills", "h"))
    exp = lambda: rng.choice(["Less than 1 year", "1 year", "2 years", "3 years", "4 years", "5 years",  # noqa: E731
                              "6 years", "7 years", "10+ years"])
    kws = [f"{k} ({exp()})" for k in rec["skills"][0]["keywords"]]
    blocks += [P(x, "li", bullet="•") for x in kws] if rng.random() < 0.5 else [P(", ".join(kws))]
    if rec.get("languages"):
        blocks.append(P("Languages", "h"))
        blocks += [P(f"{x['language']} - {x['fluency']}", "li", bullet="•") for x in rec["languages"]]
    if rec.get("certificates"):
        blocks.append(P("Certifications and Licenses", "h"))
        for c in rec["certificates"]:
            blocks += [P(c["name"], "h3"), P(c["issuer"]), P(fmt_date(c["date"], st))]
    links = ([b["url"]] if "url" in b else []) + [p["url"] for p in b["profiles"]]
    if links:
        blocks.append(P("Links", "h"))
        blocks += [P(x) for x in links]
    return Doc(blocks, st)


def lay_linkedin(rec, st, rng):
    """LinkedIn's "Save to PDF": a grey left column (Contact, Top Skills, Languages, Certifications) and the
    main column (name, headline, location, Summary, Experience, Education); "Page 1 of 2" in the footer."""
    st = dict(st, date="Month YYYY", range=" - ", present="Present", since=None, size=10, font="Arial",
              txt_heading="plain")
    b = rec["basics"]
    side = [P("Contact", "h")] + [P(b["email"])]
    if "phone" in b:
        side.append(P(f"{b['phone']} (Mobile)"))
    side += [P(f"{p['url']} ({p['network']})") for p in b["profiles"]]
    if "url" in b:
        side.append(P(f"{b['url']} (Personal)"))
    side += [P("Top Skills", "h")] + [P(k) for k in rec["skills"][0]["keywords"]]
    if rec.get("languages"):
        side += [P("Languages", "h")] + [P(f"{x['language']} ({x['fluency']})") for x in rec["languages"]]
    if rec.get("certificates"):
        side += [P("Certifications", "h")] + [P(c["name"]) for c in rec["certificates"]]
    main = [P(b["name"], "name")]
    if "label" in b:
        main.append(P(b["label"], "label"))
    main.append(P(R.location_text(b["location"]), "small"))
    if "summary" in b:
        main += [P("Summary", "h"), P(b["summary"])]
    main.append(P("Experience", "h"))
    cities = [c for c, _ in W.COUNTRIES[b["location"]["countryCode"]]["cities"]]
    for job in rec["work"]:
        dur = months_between(job["startDate"], job.get("endDate"))
        main += [P(job["name"], "h3"), P(job["position"]),
                 P(f"{date_range(job['startDate'], job.get('endDate'), st)} ({dur})", "small"),
                 P(f"{rng.choice(cities)}, {W.COUNTRIES[b['location']['countryCode']]['name']}", "small")]
        if rng.random() < 0.5:
            main += [P(x) for x in job["highlights"]]
        else:
            main += bullets(job["highlights"], dict(st, bullet=rng.choice(["-", "•", "●"])))
    main.append(P("Education", "h"))
    for ed in rec["education"]:
        years = f"({ed['startDate']} - {ed['endDate']})" if "startDate" in ed else f"({ed['endDate']})"
        main += [P(ed["institution"], "h3"), P(f"{ed['studyType']}, {ed['area']} · {years}")]
    t = Table([[side, main]], [30, 70], shade="#f3f2ef", shade_col=0)
    footer = [P("Page {PAGE} of {NUMPAGES}", "small", align="center", fields="Page {PAGE} of {NUMPAGES}")]
    return Doc([t], st, footer=footer)


def lay_naukri(rec, st, rng):
    """A Naukri-like profile page saved as a document: a badge beside the name, portal headings
    ("Resume Headline", "Key Skills", "Profile Summary"), "Last active", "Current location", match statistics."""
    st = dict(st, date=rng.choice(["Mon YYYY", "Mon 'YY"]) if st["date"] not in YEAR_FORMS else st["date"],
              range=" to ", present="Till Date", since=None, txt_heading="plain")
    b = rec["basics"]
    badge = rng.choice(["Featured Resume", "Premium", "Verified", "Actively looking", "Top Applicant"])
    blocks = [P(f"{b['name']}   {badge}", "name")]
    if rng.random() < 0.7:
        blocks.append(P(f"Last active: {rng.choice(['today', '2 days ago', '1 week ago', '3 weeks ago'])}", "small"))
    blocks.append(P(f"Current location: {R.location_text(b['location'])}"))
    c = [f"Email ID: {b['email']}"] + ([f"Mobile: {b['phone']}" + rng.choice(["", "  (Verified)"])]
                                       if "phone" in b else [])
    blocks += [P(x) for x in c]
    if rng.random() < 0.6:
        blocks += [P("Match Statistics", "h"),
                   P(f"Key skills matched: {rng.randint(3, 9)}/10   Experience match: {rng.choice(['Yes', 'Partial'])}",
                     "small")]
    if "label" in b:
        blocks += [P("Resume Headline", "h"), P(b["label"])]
    blocks += [P("Key Skills", "h"), P(", ".join(rec["skills"][0]["keywords"]))]
    if "summary" in b:
        blocks += [P("Profile Summary", "h"), P(b["summary"])]
    blocks.append(P("Employment", "h"))
    bullet, durations = rng.choice(["•", "-", "ul"]), rng.random() < 0.5
    for job in rec["work"]:
        dates = date_range(job["startDate"], job.get("endDate"), st)
        if durations and len(job["startDate"]) > 4:
            dates += " (" + months_between(job["startDate"], job.get("endDate")).replace(" years", " Yrs").replace(
                " year", " Yr").replace(" months", " Mos").replace(" month", " Mo") + ")"
        blocks += [P(job["position"], "h3"), P(job["name"]), P(dates)]
        blocks += bullets(job["highlights"], dict(st, bullet=bullet))
    blocks.append(P("Education", "h"))
    for ed in rec["education"]:
        blocks += [P(f"{ed['studyType']}, {ed['area']}", "h3"), P(ed["institution"]),
                   P(date_range(ed.get("startDate"), ed["endDate"], st, current_ok=False)
                     + rng.choice(["", " | Full Time", " (Full Time)"]))]
    if rec.get("certificates"):
        blocks.append(P("Certifications", "h"))
        blocks += [P(f"{c['name']} - {c['issuer']} ({fmt_date(c['date'], st)})") for c in rec["certificates"]]
    if rec.get("projects"):
        blocks.append(P("Projects", "h"))
        blocks += [x for p in rec["projects"] for x in (P(p["name"], "h3"), P(p["description"]))]
    if rec.get("languages"):
        rows = [[[P("Language", bold=True)], [P("Proficiency", bold=True)], [P("Read Write Speak", bold=True)]]]
        rows += [[[P(x["language"])], [P(x["fluency"])], [P("Yes Yes Yes")]] for x in rec["languages"]]
        blocks += [P("Languages Known", "h"), Table(rows, [30, 40, 30], border=True)]
    links = ([b["url"]] if "url" in b else []) + [p["url"] for p in b["profiles"]]
    if links:
        blocks += [P("Online Profile", "h")] + [P(x) for x in links]
    return Doc(blocks, st)


def lay_europass(rec, st, rng):
    """Europass: labels in a narrow left column. The 2004 shape ("Dates", "Occupation or position held", "Name
    and address of employer" ...) or the 2013 shape (dates on the left, entries on the right)."""
    st = dict(st, since=None)
    b = rec["basics"]
    old = rng.random() < 0.5
    rows = []

    def row(label, blocks, bold=False):
        rows.append([[P(label, "small" if not bold else "h", align="right" if old else None)], blocks])

    row("Europass Curriculum Vitae" if old else "Europass", [], bold=True)
    row("Personal information" if old else "PERSONAL INFORMATION", [P(b["name"], "name")], bold=True)
    if old:
        row("First name(s) / Surname(s)", [P(b["name"])])
    row("Address", [P(R.location_text(b["location"]))])
    if "phone" in b:
        row("Telephone(s)" if old else "Mobile", [P(b["phone"])])
    row("E-mail", [P(b["email"])])
    links = ([b["url"]] if "url" in b else []) + [p["url"] for p in b["profiles"]]
    if links:
        row("Website(s)", [P(x) for x in links])
    if "label" in b:
        row("Desired employment / Occupational field" if old else "JOB APPLIED FOR", [P(b["label"])])
    if "summary" in b:
        row("Summary" if old else "PERSONAL STATEMENT", [P(b["summary"])])
    row("Work experience" if old else "WORK EXPERIENCE", [], bold=True)
    for job in rec["work"]:
        dates = date_range(job["startDate"], job.get("endDate"), st)
        if old:
            row("Dates", [P(dates)])
            row("Occupation or position held", [P(job["position"], bold=True)])
            row("Main activities and responsibilities", bullets(job["highlights"], st))
            row("Name and address of employer", [P(f"{job['name']}, {b['location']['city']}")])
        else:
            row(dates, [P(job["position"], bold=True), P(job["name"])] + bullets(job["highlights"], st))
    row("Education and training" if old else "EDUCATION AND TRAINING", [], bold=True)
    for ed in rec["education"]:
        dates = date_range(ed.get("startDate"), ed["endDate"], st, current_ok=False)
        if old:
            row("Dates", [P(dates)])
            row("Title of qualification awarded", [P(ed["studyType"], bold=True)])
            row("Principal subjects / occupational skills covered", [P(ed["area"])])
            row("Name and type of organisation providing education and training", [P(ed["institution"])])
        else:
            row(dates, [P(f"{ed['studyType']}, {ed['area']}", bold=True), P(ed["institution"])])
    row("Personal skills and competences" if old else "PERSONAL SKILLS", [], bold=True)
    langs = rec.get("languages", [])
    native = [x for x in langs if x["fluency"] == "Mother tongue"]
    other = [x for x in langs if x["fluency"] != "Mother tongue"]
    if native:  # the record's fluency for these is "Mother tongue", the row's label
        row("Mother tongue(s)", [P(", ".join(x["language"] for x in native))])
    if other:
        if old:
            row("Other language(s)", [P(f"{x['language']} ({x['fluency']})") for x in other])
        else:
            grid = [[[P("")], [P("Listening", "small")], [P("Reading", "small")], [P("Spoken interaction", "small")],
                     [P("Writing", "small")]]]
            grid += [[[P(x["language"])]] + [[P(x["fluency"])] for _ in range(4)] for x in other]
            row("Other language(s)", [Table(grid, [28, 18, 18, 18, 18], border=True)])
    for g in rec["skills"]:
        row(g["name"], [P(", ".join(g["keywords"]))])
    if rec.get("certificates"):
        row("Certificates" if old else "Certificates and licences",
            [P(f"{c['name']} – {c['issuer']}, {fmt_date(c['date'], st)}") for c in rec["certificates"]])
    if rec.get("projects"):
        row("Projects", [P(f"{p['name']}: {p['description']}") for p in rec["projects"]])
    return Doc([Table(rows, [32, 68])], st)


BUILD = {"indeed": lay_indeed, "linkedin": lay_linkedin, "naukri": lay_naukri, "europass": lay_europass,
         "two-column": lay_two_column, "sidebar": lay_sidebar, "table": lay_table, "textbox": lay_textbox,
         "header-footer": lay_header_footer, "classic": lay_classic}


def build(rec, layout, rng):
    """(the record as this document shows it, the document, its style)."""
    st = pick_style(rng, layout)
    st["letter"] = rec["basics"]["location"]["countryCode"] in ("US", "CA")
    rec = adapt(rec, layout, st, rng)
    doc = BUILD[layout](rec, st, rng)
    doc.title = rec["basics"]["name"] + " – " + {"linkedin": "LinkedIn", "europass": "Europass CV"}.get(layout, "Resume")
    return rec, doc, doc.st
