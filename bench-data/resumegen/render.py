"""Renders a record to HTML (the source LibreOffice converts) or plain text, in a layout drawn from a seed.

Every value of the record appears in the document; only dates are reformatted (at the precision the record
holds) and headings, order, bullets, contact layout and tables vary.
"""

import html
import textwrap

from . import words as W


def pick_style(rng, fmt):
    s = {
        "layout": rng.choices(["classic", "sidebar", "header-table", "jobs-table"], weights=[45, 20, 20, 15])[0],
        "headings": {k: rng.choice(v) for k, v in W.HEADINGS.items()},
        "upper": rng.random() < 0.4,
        "name_upper": rng.random() < 0.15,
        "date": rng.choice(["Mon YYYY", "Month YYYY", "MM/YYYY", "YYYY-MM", "Mon. YYYY", "MM.YYYY", "M/YYYY"]),
        "range": rng.choice([" – ", " - ", " — ", " to ", "–", " – "]),
        "present": rng.choice(W.PRESENT_WORDS),
        "bullet": rng.choice(["ul", "ul", "ul", "•", "-", "–", "▪", "*", "›", "o"]),
        "job": rng.choice("ABCD"),
        "job_sep": rng.choice([" — ", ", ", " at ", " | ", " – "]),
        "edu": rng.choice("ABC"),
        "cert": rng.choice("ABC"),
        "skills": rng.choice(["lines", "lines", "bullets", "table", "para"]),
        "langs": rng.choice([" ({})", " – {}", ": {}", " - {}"]),
        "contact_sep": rng.choice([" | ", " · ", " • ", "   ", "\n"]),
        "font": rng.choice(W.FONTS),
        "accent": rng.choice(W.ACCENTS),
        "size": rng.choice([9.5, 10, 10, 10.5, 11]),
        "order": None,
        "wrap": rng.random() < 0.5,
        "txt_heading": rng.choice(["upper", "underline", "equals", "colon", "hash"]),
        "margin": rng.choice(["0.5in", "0.6in", "0.75in", "1in", "18mm", "25mm"]),
    }
    contact = ["email", "phone", "location", "url", "profiles"]
    if rng.random() < 0.5:
        rng.shuffle(contact)
    s["contact"] = contact
    order = ["summary", "work", "education", "skills", "projects", "certificates", "languages"]
    r = rng.random()
    if r < 0.25:
        order = ["summary", "skills", "work", "education", "projects", "certificates", "languages"]
    elif r < 0.45:
        order = ["summary", "education", "work", "skills", "certificates", "projects", "languages"]
    elif r < 0.55:
        order = ["summary", "work", "projects", "skills", "education", "languages", "certificates"]
    s["order"] = order
    return s


def fmt_date(d, st):
    if d is None:
        return st["present"]
    if len(d) == 4:
        return d
    y, m = int(d[:4]), int(d[5:7])
    f = st["date"]
    if f == "Mon YYYY":
        return f"{W.MONTHS[m - 1][:3]} {y}"
    if f == "Month YYYY":
        return f"{W.MONTHS[m - 1]} {y}"
    if f == "MM/YYYY":
        return f"{m:02d}/{y}"
    if f == "YYYY-MM":
        return f"{y}-{m:02d}"
    if f == "Mon. YYYY":
        mon = W.MONTHS[m - 1]
        return f"{mon[:3]}. {y}" if len(mon) > 3 else f"{mon} {y}"
    if f == "MM.YYYY":
        return f"{m:02d}.{y}"
    return f"{m}/{y}"


def date_range(start, end, st):
    if start is None:
        return "Graduated " + fmt_date(end, st) if st["edu"] == "B" else fmt_date(end, st)
    return fmt_date(start, st) + st["range"] + fmt_date(end, st)


def location_text(loc):
    if "region" in loc:
        return f"{loc['city']}, {loc['region']}"
    return f"{loc['city']}, {W.COUNTRIES[loc['countryCode']]['name']}"


def contact_items(rec, st):
    b = rec["basics"]
    items = []
    for key in st["contact"]:
        if key == "email":
            items.append(b["email"])
        elif key == "phone" and "phone" in b:
            items.append(b["phone"])
        elif key == "location":
            items.append(location_text(b["location"]))
        elif key == "url" and "url" in b:
            items.append(b["url"])
        elif key == "profiles":
            items.extend(p["url"] for p in b["profiles"])
    return items


def heading(key, st):
    h = st["headings"][key]
    return h


# ---------------------------------------------------------------------------------------------- HTML

def e(text):
    return html.escape(text, quote=False)


def html_bullets(items, st):
    if not items:
        return ""
    if st["bullet"] == "ul":
        return "<ul>" + "".join(f"<li>{e(x)}</li>" for x in items) + "</ul>\n"
    return "".join(f'<p class="b">{e(st["bullet"])} {e(x)}</p>\n' for x in items)


def html_job(job, st):
    pos, comp = e(job["position"]), e(job["name"])
    dates = e(date_range(job["startDate"], job.get("endDate"), st))
    j = st["job"]
    if j == "A":
        head = f"<p class=\"jh\"><b>{pos}</b>{e(st['job_sep'])}{comp}<br/><i>{dates}</i></p>\n"
    elif j == "B":
        head = f"<p class=\"jh\"><b>{comp}</b><br/>{pos}, {dates}</p>\n"
    elif j == "C":
        head = f"<p class=\"jh\"><b>{pos}</b> | {comp} | {dates}</p>\n"
    else:
        head = f"<h3>{comp}</h3>\n<p class=\"jh\"><i>{pos}</i> ({dates})</p>\n"
    return head, html_bullets(job["highlights"], st)


def edu_line(ed, st):
    dates = date_range(ed.get("startDate"), ed["endDate"], st)
    k = st["edu"]
    if k == "A":
        return (f"{ed['studyType']} in {ed['area']}", f"{ed['institution']}, {dates}")
    if k == "B":
        return (ed["institution"], f"{ed['studyType']}, {ed['area']} ({dates})")
    return (f"{ed['studyType']}, {ed['area']}", f"{ed['institution']} · {dates}")


def cert_line(c, st):
    d = fmt_date(c["date"], st)
    k = st["cert"]
    if k == "A":
        return f"{c['name']}, {c['issuer']} ({d})"
    if k == "B":
        return f"{c['name']} — {c['issuer']}, {d}"
    return f"{d}  {c['name']} ({c['issuer']})"


def html_section(key, rec, st, compact=False):
    """One section as HTML, or '' when the record has nothing for it."""
    b = rec["basics"]
    h = f"<h2>{e(heading(key, st))}</h2>\n"
    if key == "summary":
        return h + f"<p>{e(b['summary'])}</p>\n" if "summary" in b else ""
    if key == "work":
        out = [h]
        if st["layout"] == "jobs-table" and not compact:
            out.append('<table width="100%" cellpadding="3">')
            for job in rec["work"]:
                dates = e(date_range(job["startDate"], job.get("endDate"), st))
                out.append(f'<tr><td width="24%" valign="top">{dates}</td><td valign="top">'
                           f"<b>{e(job['position'])}</b><br/>{e(job['name'])}"
                           f"{html_bullets(job['highlights'], st)}</td></tr>")
            out.append("</table>\n")
        else:
            for job in rec["work"]:
                head, body = html_job(job, st)
                out.append(head + body)
        return "".join(out)
    if key == "education":
        out = [h]
        if st["layout"] == "jobs-table" and not compact:
            out.append('<table width="100%" cellpadding="3">')
            for ed in rec["education"]:
                dates = e(date_range(ed.get("startDate"), ed["endDate"], st))
                out.append(f'<tr><td width="24%" valign="top">{dates}</td><td valign="top">'
                           f"<b>{e(ed['studyType'])}, {e(ed['area'])}</b><br/>{e(ed['institution'])}</td></tr>")
            out.append("</table>\n")
        else:
            for ed in rec["education"]:
                l1, l2 = edu_line(ed, st)
                out.append(f"<p><b>{e(l1)}</b><br/>{e(l2)}</p>\n")
        return "".join(out)
    if key == "skills":
        groups = rec["skills"]
        mode = "lines" if compact and st["skills"] == "table" else st["skills"]
        if mode == "lines":
            return h + "".join(f"<p><b>{e(g['name'])}:</b> {e(', '.join(g['keywords']))}</p>\n" for g in groups)
        if mode == "bullets":
            return h + html_bullets([f"{g['name']}: {', '.join(g['keywords'])}" for g in groups], st)
        if mode == "table":
            rows = "".join(f'<tr><td width="22%" valign="top"><b>{e(g["name"])}</b></td>'
                           f'<td>{e(" · ".join(g["keywords"]))}</td></tr>' for g in groups)
            return h + f'<table width="100%" cellpadding="2">{rows}</table>\n'
        return h + "".join(f"<p><b>{e(g['name'])}</b><br/>{e(' | '.join(g['keywords']))}</p>\n" for g in groups)
    if key == "languages":
        langs = rec.get("languages")
        if not langs:
            return ""
        return h + "".join(f"<p>{e(x['language'] + st['langs'].format(x['fluency']))}</p>\n" for x in langs)
    if key == "certificates":
        certs = rec.get("certificates")
        if not certs:
            return ""
        return h + html_bullets([cert_line(c, st) for c in certs], st)
    if key == "projects":
        projects = rec.get("projects")
        if not projects:
            return ""
        return h + "".join(f"<p><b>{e(p['name'])}</b> – {e(p['description'])}</p>\n" for p in projects)
    raise KeyError(key)


def css(st, letter):
    page = "8.5in 11in" if letter else "210mm 297mm"
    up = "text-transform: uppercase; " if st["upper"] else ""
    name_up = "text-transform: uppercase; " if st["name_upper"] else ""
    return (f"@page {{ size: {page}; margin: {st['margin']}; }}\n"
            f"body {{ font-family: '{st['font']}', sans-serif; font-size: {st['size']}pt; }}\n"
            f"h1 {{ font-size: {st['size'] + 10}pt; margin-bottom: 2pt; {name_up}}}\n"
            f"h2 {{ font-size: {st['size'] + 2.5}pt; color: {st['accent']}; {up}"
            f"border-bottom: 1px solid {st['accent']}; margin-top: 10pt; margin-bottom: 3pt; }}\n"
            f"h3 {{ font-size: {st['size'] + 1}pt; margin-bottom: 0; }}\n"
            f"p {{ margin-top: 0; margin-bottom: 3pt; }}\n"
            f"p.b {{ margin-left: 12pt; margin-bottom: 1pt; }}\n"
            f"p.label {{ font-size: {st['size'] + 2}pt; color: {st['accent']}; }}\n"
            f"td {{ font-size: {st['size']}pt; }}\n")


def render_html(rec, st, word_html=False):
    b = rec["basics"]
    title = e(b["name"]) + " – Resume"
    label = f'<p class="label">{e(b["label"])}</p>\n' if "label" in b else ""
    items = contact_items(rec, st)
    if st["contact_sep"] == "\n":
        contact = "".join(f"<p>{e(x)}</p>\n" for x in items)
    else:
        contact = f"<p>{e(st['contact_sep'].join(items))}</p>\n"
    layout = st["layout"]
    body = []
    if layout == "sidebar":
        side_keys = [k for k in st["order"] if k in ("skills", "languages", "certificates")]
        main_keys = [k for k in st["order"] if k not in side_keys]
        side = [f"<h2>{e('Contact')}</h2>\n" + "".join(f"<p>{e(x)}</p>\n" for x in items)]
        side += [html_section(k, rec, st, compact=True) for k in side_keys]
        main = [html_section(k, rec, st) for k in main_keys]
        body.append(f"<h1>{e(b['name'])}</h1>\n{label}")
        body.append('<table width="100%" cellpadding="6" cellspacing="0"><tr>'
                    f'<td width="33%" valign="top" bgcolor="#eef1f5">{"".join(side)}</td>'
                    f'<td valign="top">{"".join(main)}</td></tr></table>\n')
    else:
        if layout == "header-table":
            right = "".join(f"<p align=\"right\">{e(x)}</p>" for x in items)
            body.append('<table width="100%" cellpadding="0"><tr>'
                        f'<td width="55%" valign="top"><h1>{e(b["name"])}</h1>{label}</td>'
                        f'<td valign="top">{right}</td></tr></table>\n')
        else:
            body.append(f"<h1>{e(b['name'])}</h1>\n{label}{contact}")
        body += [html_section(k, rec, st) for k in st["order"]]
    head_extra = ""
    html_open = "<html>"
    if word_html:
        html_open = ('<html xmlns:o="urn:schemas-microsoft-com:office:office" '
                     'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">')
        head_extra = '<meta name="ProgId" content="Word.Document">\n<meta name="Generator" content="Microsoft Word 15">\n'
    return (f"<!DOCTYPE html>\n{html_open}\n<head>\n<meta charset=\"utf-8\">\n{head_extra}<title>{title}</title>\n"
            f"<style>\n{css(st, b['location']['countryCode'] in ('US', 'CA'))}</style>\n</head>\n<body>\n" + "".join(body) + "</body>\n</html>\n")


# ---------------------------------------------------------------------------------------------- text

def txt_heading(text, st):
    k = st["txt_heading"]
    if k == "upper":
        return [text.upper()]
    if k == "underline":
        return [text, "-" * len(text)]
    if k == "equals":
        return [text.upper(), "=" * len(text)]
    if k == "colon":
        return [text.upper() + ":"]
    return ["## " + text]


def txt_bullets(items, st):
    ch = "-" if st["bullet"] == "ul" else st["bullet"]
    out = []
    for x in items:
        if st["wrap"]:
            out += textwrap.wrap(x, 76, initial_indent=f"  {ch} ", subsequent_indent="    ")
        else:
            out.append(f"{ch} {x}")
    return out


def txt_para(text, st):
    return textwrap.wrap(text, 78) if st["wrap"] else [text]


def render_text(rec, st):
    b = rec["basics"]
    lines = [b["name"].upper() if st["name_upper"] else b["name"]]
    if "label" in b:
        lines.append(b["label"])
    items = contact_items(rec, st)
    if st["contact_sep"] == "\n":
        lines += items
    else:
        lines.append(st["contact_sep"].join(items))
    for key in st["order"]:
        sec = []
        if key == "summary" and "summary" in b:
            sec = txt_para(b["summary"], st)
        elif key == "work":
            for job in rec["work"]:
                dates = date_range(job["startDate"], job.get("endDate"), st)
                if st["job"] in "AD":
                    sec += [f"{job['position']}{st['job_sep']}{job['name']}", dates]
                elif st["job"] == "B":
                    sec += [job["name"], f"{job['position']}, {dates}"]
                else:
                    sec += [f"{job['position']} | {job['name']} | {dates}"]
                sec += txt_bullets(job["highlights"], st) + [""]
            sec = sec[:-1]
        elif key == "education":
            for ed in rec["education"]:
                sec += list(edu_line(ed, st))
                sec.append("")
            sec = sec[:-1]
        elif key == "skills":
            for g in rec["skills"]:
                sec += txt_para(f"{g['name']}: {', '.join(g['keywords'])}", st)
        elif key == "languages" and rec.get("languages"):
            sec = [x["language"] + st["langs"].format(x["fluency"]) for x in rec["languages"]]
        elif key == "certificates" and rec.get("certificates"):
            sec = txt_bullets([cert_line(c, st) for c in rec["certificates"]], st)
        elif key == "projects" and rec.get("projects"):
            for p in rec["projects"]:
                sec += txt_para(f"{p['name']} – {p['description']}", st)
        if sec:
            lines += [""] + txt_heading(heading(key, st), st) + sec
    return "\n".join(lines) + "\n"
