"""A small document model for the layouts set, and its three writers: HTML (LibreOffice's source), plain text
(txt documents and the flattened twins) and DOCX (text boxes, page headers and footers, which the HTML import
cannot make).

A document is a list of blocks: paragraphs (`P`) and tables (`Table`, whose cells hold blocks). A DOCX-only
document also has a page header, a page footer and text boxes. "\n" inside a paragraph is a line break.
"""

import html
import zipfile

# ---------------------------------------------------------------------------------------------- model


class P:
    """kind: name, label, h (section heading), h3, p, li (bullet item), small (grey portal text)."""

    def __init__(self, text, kind="p", bold=False, italic=False, align=None, bullet=None, fields=None):
        self.text, self.kind, self.bold, self.italic, self.align = text, kind, bold, italic, align
        self.bullet = bullet  # the bullet's text ("•", "1.", "a)") for kind li; "ul" for a real HTML list
        self.fields = fields  # DOCX header/footer: text with {PAGE} and {NUMPAGES} fields


class Table:
    def __init__(self, rows, widths, shade=None, border=False, shade_col=None):
        self.rows, self.widths, self.shade, self.border, self.shade_col = rows, widths, shade, border, shade_col


class Doc:
    def __init__(self, blocks, st, header=None, footer=None, boxes=None, title=""):
        """boxes: [(blocks, share of the text width, height in twips)], drawn side by side at the top."""
        self.blocks, self.st, self.title = blocks, st, title
        self.header, self.footer, self.boxes = header or [], footer or [], boxes or []


# ---------------------------------------------------------------------------------------------- text


def text_lines(blocks, heading_style="plain"):
    out = []
    for b in blocks:
        if isinstance(b, Table):
            for row in b.rows:
                for cell in row:
                    out += text_lines(cell, heading_style)
            continue
        lines = b.text.split("\n")
        if b.kind == "h":
            out.append("")
            if heading_style == "underline":
                lines = lines + ["-" * len(lines[0])]
            elif heading_style == "colon" and not lines[0].endswith(":"):
                lines = [lines[0] + ":"]
        if b.kind == "li":
            mark = "-" if b.bullet == "ul" else b.bullet
            lines = [f"{mark} {lines[0]}"] + lines[1:]
        out += lines
    return out


def render_text(doc):
    lines = [x.text for x in doc.header]
    for box, *_ in doc.boxes:
        lines += text_lines(box)
    lines += text_lines(doc.blocks, doc.st.get("txt_heading", "plain"))
    lines += [x.text.replace("{PAGE}", "1").replace("{NUMPAGES}", "1") for x in doc.footer]
    out, blank = [], False
    for x in lines:  # one blank line at most, none at the top
        x = x.rstrip()
        if not x:
            blank = bool(out)
            continue
        if blank:
            out.append("")
        out.append(x)
        blank = False
    return "\n".join(out) + "\n"


def flatten(text, rng):
    """The text as ATS exports and HTML-to-text tools give it: one line, breaks become runs of spaces (2 to 6
    mostly, now and then one space), paragraph breaks longer runs."""
    paras = [p.split("\n") for p in text.strip("\n").split("\n\n")]
    out = []
    for k, para in enumerate(paras):
        if k:
            out.append(" " * rng.randint(6, 12))
        for j, line in enumerate(para):
            if j:
                out.append(" " if rng.random() < 0.25 else " " * rng.randint(2, 6))
            out.append(line.strip())
    return "".join(out) + "\n"


# ---------------------------------------------------------------------------------------------- HTML


def esc(text):
    return html.escape(text, quote=False).replace("\n", "<br/>")


def html_blocks(blocks):
    out, ul = [], False
    for b in blocks:
        in_ul = isinstance(b, P) and b.kind == "li" and b.bullet == "ul"
        if ul and not in_ul:
            out.append("</ul>\n")
        if in_ul and not ul:
            out.append("<ul>")
        ul = in_ul
        if isinstance(b, Table):
            border = ' border="1" cellspacing="0"' if b.border else ' cellspacing="0"'
            out.append(f'<table width="100%" cellpadding="5"{border}>')
            for r, row in enumerate(b.rows):
                out.append("<tr>")
                for c, cell in enumerate(row):
                    w = f' width="{b.widths[c]}%"' if c < len(b.widths) and b.widths[c] else ""
                    bg = f' bgcolor="{b.shade}"' if b.shade and c == (b.shade_col or 0) else ""
                    out.append(f'<td{w} valign="top"{bg}>{html_blocks(cell)}</td>')
                out.append("</tr>")
            out.append("</table>\n")
            continue
        t = esc(b.text)
        if b.bold:
            t = f"<b>{t}</b>"
        if b.italic:
            t = f"<i>{t}</i>"
        align = f' align="{b.align}"' if b.align else ""
        if b.kind == "name":
            out.append(f"<h1{align}>{t}</h1>\n")
        elif b.kind == "h":
            out.append(f"<h2{align}>{t}</h2>\n")
        elif b.kind == "h3":
            out.append(f"<h3{align}>{t}</h3>\n")
        elif in_ul:
            out.append(f"<li>{t}</li>")
        elif b.kind == "li":
            out.append(f'<p class="b">{esc(b.bullet)} {t}</p>\n')
        else:
            cls = {"label": "label", "small": "small"}.get(b.kind)
            out.append(f'<p{align}{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{t}</p>\n')
    if ul:
        out.append("</ul>\n")
    return "".join(out)


def render_html(doc):
    st = doc.st
    page = "8.5in 11in" if st["letter"] else "210mm 297mm"
    css = (f"@page {{ size: {page}; margin: {st['margin']}; }}\n"
           f"body {{ font-family: '{st['font']}', sans-serif; font-size: {st['size']}pt; }}\n"
           f"h1 {{ font-size: {st['size'] + 9}pt; margin-bottom: 2pt; }}\n"
           f"h2 {{ font-size: {st['size'] + 2}pt; color: {st['accent']}; margin-top: 9pt; margin-bottom: 3pt; }}\n"
           f"h3 {{ font-size: {st['size'] + 0.5}pt; margin-bottom: 0; }}\n"
           f"p {{ margin-top: 0; margin-bottom: 3pt; }}\n"
           f"p.b {{ margin-left: 12pt; margin-bottom: 1pt; }}\n"
           f"p.label {{ font-size: {st['size'] + 1.5}pt; color: {st['accent']}; }}\n"
           f"p.small {{ font-size: {st['size'] - 1.5}pt; color: #777777; }}\n"
           f"td {{ font-size: {st['size']}pt; }}\n")
    return (f"<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{esc(doc.title)}</title>\n"
            f"<style>\n{css}</style>\n</head>\n<body>\n{html_blocks(doc.blocks)}</body>\n</html>\n")


# ---------------------------------------------------------------------------------------------- DOCX

W_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:w10="urn:schemas-microsoft-com:office:word" mc:Ignorable="wps"')
ZIP_TIME = (2025, 6, 1, 0, 0, 0)


def xesc(text):
    return html.escape(text, quote=True)


def _run(text, st, kind, bold=False, italic=False):
    size = {"name": st["size"] + 9, "h": st["size"] + 2, "label": st["size"] + 1.5, "h3": st["size"] + 0.5,
            "small": st["size"] - 1.5}.get(kind, st["size"])
    props = f'<w:rFonts w:ascii="{xesc(st["font"])}" w:hAnsi="{xesc(st["font"])}" w:cs="{xesc(st["font"])}"/>'
    if bold or kind in ("name", "h"):
        props += "<w:b/>"
    if italic:
        props += "<w:i/>"
    color = {"h": st["accent"], "label": st["accent"], "small": "#777777"}.get(kind)
    if color:
        props += f'<w:color w:val="{color.lstrip("#")}"/>'
    props += f'<w:sz w:val="{int(size * 2)}"/>'
    parts = []
    for k, line in enumerate(text.split("\n")):
        if k:
            parts.append("<w:br/>")
        parts.append(f'<w:t xml:space="preserve">{xesc(line)}</w:t>')
    return f"<w:r><w:rPr>{props}</w:rPr>{''.join(parts)}</w:r>"


def _field(instr, st, kind):
    return (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> {instr} '
            f'</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>{_run("1", st, kind)}'
            f'<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def _para(b, st):
    ppr = '<w:spacing w:before="0" w:after="60"/>'
    if b.kind == "h":
        ppr = ('<w:keepNext/><w:spacing w:before="200" w:after="60"/>'
               f'<w:pBdr><w:bottom w:val="single" w:sz="4" w:space="1" w:color="{st["accent"].lstrip("#")}"/></w:pBdr>')
    if b.kind == "li":
        ppr += '<w:ind w:left="360" w:hanging="240"/>'
    if b.align:
        ppr += f'<w:jc w:val="{ {"right": "right", "center": "center"}[b.align] }"/>'
    if b.fields:
        runs, rest = [], b.fields
        while rest:
            i = rest.find("{")
            if i < 0:
                runs.append(_run(rest, st, b.kind))
                break
            if i:
                runs.append(_run(rest[:i], st, b.kind))
            j = rest.index("}", i)
            runs.append(_field(rest[i + 1:j], st, b.kind))
            rest = rest[j + 1:]
        body = "".join(runs)
    else:
        text = (("-" if b.bullet == "ul" else b.bullet) + " " + b.text) if b.kind == "li" else b.text
        body = _run(text, st, b.kind, b.bold, b.italic)
    return f"<w:p><w:pPr>{ppr}</w:pPr>{body}</w:p>"


def _blocks(blocks, st, width):
    out = []
    for b in blocks:
        if isinstance(b, P):
            out.append(_para(b, st))
            continue
        widths = [int(width * w / 100) for w in b.widths]
        borders = ("<w:tblBorders>" + "".join(f'<w:{s} w:val="single" w:sz="4" w:space="0" w:color="999999"/>'
                                              for s in ("top", "left", "bottom", "right", "insideH", "insideV"))
                   + "</w:tblBorders>") if b.border else ""
        out.append(f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/>{borders}'
                   '<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="100" w:type="dxa"/>'
                   '<w:right w:w="100" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>'
                   + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths) + "</w:tblGrid>")
        for row in b.rows:
            out.append("<w:tr>")
            for c, cell in enumerate(row):
                shade = (f'<w:shd w:val="clear" w:color="auto" w:fill="{b.shade.lstrip("#")}"/>'
                         if b.shade and c == (b.shade_col or 0) else "")
                inner = _blocks(cell, st, widths[c]) or "<w:p/>"
                if not inner.endswith("</w:p>"):
                    inner += "<w:p/>"
                out.append(f'<w:tc><w:tcPr><w:tcW w:w="{widths[c]}" w:type="dxa"/>{shade}</w:tcPr>{inner}</w:tc>')
            out.append("</w:tr>")
        out.append("</w:tbl>")
    return "".join(out)


def _textbox(k, blocks, st, x, y, cx, cy):
    """A floating text box: DrawingML (wps) for Word 2010+, VML as the fallback; both hold w:txbxContent."""
    inner = _blocks(blocks, st, int(cx / 635))
    emu = lambda v: int(v * 635)  # noqa: E731  twips -> EMU
    drawing = (
        f'<w:drawing><wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0" relativeHeight="{k + 2}" '
        'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="margin"><wp:posOffset>{emu(x)}</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="margin"><wp:posOffset>{emu(y)}</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{emu(cx)}" cy="{emu(cy)}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapTopAndBottom/>'
        f'<wp:docPr id="{k + 1}" name="Text Box {k + 1}"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr>'
        f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{emu(cx)}" cy="{emu(cy)}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>'
        f'<wps:txbx><w:txbxContent>{inner}</w:txbxContent></wps:txbx>'
        '<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="45720" tIns="45720" rIns="45720" bIns="45720" '
        'anchor="t" anchorCtr="0"><a:noAutofit/></wps:bodyPr></wps:wsp></a:graphicData></a:graphic></wp:anchor>'
        '</w:drawing>')
    vml = (f'<w:pict><v:shape id="TextBox{k + 1}" o:spid="_x0000_s{1025 + k}" type="#_x0000_t202" filled="f" '
           f'stroked="f" style="position:absolute;margin-left:{x / 20:.1f}pt;margin-top:{y / 20:.1f}pt;'
           f'width:{cx / 20:.1f}pt;height:{cy / 20:.1f}pt;z-index:{k + 2};mso-position-horizontal-relative:margin;'
           f'mso-position-vertical-relative:margin"><v:textbox><w:txbxContent>{inner}</w:txbxContent></v:textbox>'
           '<w10:wrap type="topAndBottom"/></v:shape></w:pict>')
    return (f'<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps">{drawing}</mc:Choice>'
            f'<mc:Fallback>{vml}</mc:Fallback></mc:AlternateContent></w:r></w:p>')


def write_docx(doc, path):
    st = doc.st
    pw, ph = (12240, 15840) if st["letter"] else (11906, 16838)
    margin = 1000
    width = pw - 2 * margin
    boxes = []
    y = 0
    for k, (box, frac, height) in enumerate(doc.boxes):
        x = 0 if k % 2 == 0 else int(width * (1 - frac))
        boxes.append(_textbox(k, box, st, x, y, int(width * frac), height))
    body = "".join(boxes) + _blocks(doc.blocks, st, width)
    rels = ['<Relationship Id="rIdStyles" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>']
    sect_refs = ""
    parts = {}
    for kind, blocks in (("header", doc.header), ("footer", doc.footer)):
        if not blocks:
            continue
        tag = "hdr" if kind == "header" else "ftr"
        parts[f"word/{kind}1.xml"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                      f"<w:{tag} {W_NS}>{_blocks(blocks, st, width)}</w:{tag}>")
        rels.append(f'<Relationship Id="rId{kind}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    f'relationships/{kind}" Target="{kind}1.xml"/>')
        sect_refs += f'<w:{kind}Reference w:type="default" r:id="rId{kind}"/>'
    sect = (f'<w:sectPr>{sect_refs}<w:pgSz w:w="{pw}" w:h="{ph}"/><w:pgMar w:top="{margin + (400 if doc.header else 0)}" '
            f'w:right="{margin}" w:bottom="{margin}" w:left="{margin}" w:header="500" w:footer="500" w:gutter="0"/>'
            "</w:sectPr>")
    parts["word/document.xml"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                  f"<w:document {W_NS}><w:body>{body}{sect}</w:body></w:document>")
    parts["word/styles.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault>'
        f'<w:rPr><w:rFonts w:ascii="{xesc(st["font"])}" w:hAnsi="{xesc(st["font"])}"/><w:sz w:val="{int(st["size"] * 2)}"/>'
        '</w:rPr></w:rPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal">'
        '<w:name w:val="Normal"/></w:style></w:styles>')
    parts["word/_rels/document.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(rels) + "</Relationships>")
    overrides = "".join(
        f'<Override PartName="/word/{k}1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        f'wordprocessingml.{k}+xml"/>' for k in ("header", "footer") if f"word/{k}1.xml" in parts)
    parts["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/word/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
        f"{overrides}</Types>")
    parts["_rels/.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="word/document.xml"/></Relationships>')
    order = ["[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/_rels/document.xml.rels",
             "word/styles.xml", "word/header1.xml", "word/footer1.xml"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in order:
            if name in parts:
                z.writestr(zipfile.ZipInfo(name, ZIP_TIME), parts[name].encode("utf-8"), zipfile.ZIP_DEFLATED)
