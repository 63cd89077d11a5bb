"""LaTeX in titles and abstracts, rendered on the server as MathML.

Browsers draw MathML themselves, so a page with formulas needs no script and stays light (KaTeX
alone is ~75 KB gzipped). latex2mathml converts each `$...$` / `\\(...\\)` / `$$...$$`; its
output is parsed and rebuilt from an allow-list of MathML elements and attributes (it copies
`\\text{...}` verbatim and turns `\\href`/`\\style` into attributes, so it is not safe as is).
A formula it cannot convert, or whose output is not on the allow-list, stays as escaped TeX and
the page loads the vendored KaTeX to render it in the browser (`needs_katex`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import lru_cache

from latex2mathml.converter import convert
from lxml import etree
from markupsafe import Markup, escape

MATH = re.compile(r"\$\$(?P<d>[^$]+?)\$\$|\$(?P<i>[^$\n]+?)\$|\\\((?P<p>.+?)\\\)", re.DOTALL)
MARK = re.compile(r"</?mark>")
MAX_FORMULA = 2000  # characters of TeX; longer ones are left to KaTeX


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ELEMENTS = _words(
    "annotation maligngroup malignmark math menclose merror mfrac mi mlabeledtr "
    "mmultiscripts mn mo mover mpadded mphantom mprescripts mroot mrow ms mspace msqrt "
    "mstyle msub msubsup msup mtable mtd mtext mtr munder munderover none semantics"
)
ATTRIBUTES = _words(
    "accent accentunder align columnalign columnlines columnspacing columnspan depth "
    "display displaystyle fence form frame height largeop linethickness lspace "
    "mathbackground mathcolor mathsize mathvariant maxsize minsize movablelimits notation "
    "rowalign rowlines rowspacing rowspan rspace scriptlevel separator stretchy symmetric "
    "voffset width"
)
_SAFE_VALUE = re.compile(r"[\w .#%+-]{0,64}")  # no url(), quotes or markup in attribute values
_NS = "{http://www.w3.org/1998/Math/MathML}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class Unsafe(ValueError):
    """latex2mathml's output holds something not on the allow-list."""


def _clean(element: etree._Element) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if not tag.startswith(_NS) or tag[len(_NS) :] not in ELEMENTS:
        raise Unsafe(tag)
    for name, value in element.attrib.items():
        if name not in ATTRIBUTES or not _SAFE_VALUE.fullmatch(value):
            raise Unsafe(name)
    for child in element:
        _clean(child)


@lru_cache(maxsize=50_000)
def to_mathml(tex: str, display: bool = False) -> str | None:
    """The formula as allow-listed MathML, or None (left to KaTeX)."""
    if len(tex) > MAX_FORMULA:
        return None
    try:
        raw = convert(tex, display="block" if display else "inline")
        root = etree.fromstring(raw.encode(), _PARSER)
        _clean(root)
    except Exception:  # latex2mathml raises many kinds; the formula simply stays TeX
        return None
    for element in root.iter():  # drop the namespace: HTML parsers put <math> in it anyway
        if isinstance(element.tag, str):
            element.tag = element.tag[len(_NS) :]
    etree.cleanup_namespaces(root)
    out: str = etree.tostring(root, encoding="unicode")
    return out


def _formulas(text: str) -> Iterable[re.Match[str]]:
    return MATH.finditer(text)


def _tex_of(match: re.Match[str]) -> tuple[str, bool]:
    if match.group("d") is not None:
        return match.group("d"), True
    return (match.group("i") if match.group("i") is not None else match.group("p")), False


# LaTeX text commands authors leave in abstracts, outside formulas: rendered as HTML, or
# dropped where they mean nothing on a page (citations, labels). Applied to escaped text.
_STYLES = {"emph": "em", "textit": "em", "textsl": "em", "textbf": "strong", "texttt": "code"}
_PLAIN = ("textrm", "textsf", "textsc", "textup", "textnormal", "text", "mbox", "underline")
_DROP = ("cite", "citep", "citet", "citealp", "ref", "eqref", "autoref", "cref", "label")
_COMMAND = re.compile(r"\\([A-Za-z]+)\*?(?:\[[^\]{}]*\])?\{([^{}]*)\}")
_DROP_SPACE = re.compile(r"[~ ]?\\(?:" + "|".join(_DROP) + r")\*?(?:\[[^\]{}]*\])?\{[^{}]*\}")
# Ends at whitespace, markup, braces, or an escaped quote or angle bracket.
_URL = re.compile(r"https?://(?:(?!&(?:#34|#39|lt|gt);)[^\s<>\"'{}\\])+", re.IGNORECASE)
_URL_TAIL = ".,;:!?)]"


def _command(match: re.Match[str]) -> str:
    name, body = match.group(1), match.group(2)
    if name in _STYLES:
        tag = _STYLES[name]
        return f"<{tag}>{body}</{tag}>"
    if name in _PLAIN:
        return body
    if name == "url":
        return body  # the URL pass below makes it a link
    return match.group(0)


def _link(match: re.Match[str]) -> str:
    url = match.group(0)
    tail = ""
    while url and url[-1] in _URL_TAIL:
        url, tail = url[:-1], url[-1] + tail
    if len(url) <= len("https://"):
        return match.group(0)
    # http(s) only (the pattern), attribute-safe (the text was escaped); not endorsed.
    return f'<a href="{url}" rel="nofollow noopener ugc">{url}</a>{tail}'


def text_markup(escaped: str) -> str:
    """Escaped plain text with LaTeX text commands rendered and http(s) URLs made links."""
    if "\\" in escaped:
        escaped = _DROP_SPACE.sub("", escaped)
        for _ in range(3):  # nested commands, innermost first
            escaped, n = _COMMAND.subn(_command, escaped)
            if not n:
                break
    if "://" in escaped:
        escaped = _URL.sub(_link, escaped)
    return escaped


def render(text: str | None) -> Markup:
    """Plain text → HTML: escaped, with each formula as MathML where it converts."""
    text = text or ""
    out: list[str] = []
    last = 0
    for match in _formulas(text):
        out.append(text_markup(str(escape(text[last : match.start()]))))
        tex, display = _tex_of(match)
        mathml = to_mathml(tex.strip(), display)
        out.append(mathml if mathml is not None else str(escape(match.group(0))))
        last = match.end()
    out.append(text_markup(str(escape(text[last:]))))
    return Markup("".join(out))


def render_html(fragment: str | None) -> Markup:
    """Already-escaped HTML (a search snippet with <mark> highlights) → the same with its
    formulas as MathML; highlights inside a formula are dropped."""
    fragment = fragment or ""

    def replace(match: re.Match[str]) -> str:
        tex, display = _tex_of(match)
        mathml = to_mathml(html.unescape(MARK.sub("", tex)).strip(), display)
        if mathml is None:
            return match.group(0)
        # A highlight that starts or ends inside the formula: keep the tags balanced.
        opens, closes = tex.count("<mark>"), tex.count("</mark>")
        return "</mark>" * max(closes - opens, 0) + mathml + "<mark>" * max(opens - closes, 0)

    out, last = [], 0
    for match in MATH.finditer(fragment):
        out += [text_markup(fragment[last : match.start()]), replace(match)]
        last = match.end()
    out.append(text_markup(fragment[last:]))
    return Markup("".join(out))


def needs_katex(texts: Iterable[str | None]) -> bool:
    """Whether any formula in these texts is left as TeX for KaTeX to render."""
    for text in texts:
        for match in _formulas(text or ""):
            tex, display = _tex_of(match)
            if to_mathml(html.unescape(MARK.sub("", tex)).strip(), display) is None:
                return True
    return False
