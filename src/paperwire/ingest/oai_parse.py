"""Parsers for one arXiv OAI-PMH record in each metadata format arXiv serves.

`arXiv` and `arXivRaw` are arXiv's own schemas; `oai_dc` is Dublin Core, which also arrives as JSON
in bulk dumps, so its field mapping (`record_from_dc`) works on a plain dict of lists and the XML
parser only collects that dict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from paperwire.records import (
    Item,
    PaperRecord,
    Rejected,
    Version,
    clean_text,
    finish,
    parse_arxiv_id,
    parse_date,
)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"
ARXIV_RAW_NS = "http://arxiv.org/OAI/arXivRaw/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"

HARVEST_SOURCE = "arxiv-oai"

# oai_dc `subject` holds arXiv's human-readable category names; these give the codes back.
# fmt: off
_SUBJECT_GROUPS: dict[tuple[str, str], dict[str, str]] = {
    ("Astrophysics", "astro-ph"): {
        "Astrophysics of Galaxies": "GA", "Cosmology and Nongalactic Astrophysics": "CO",
        "Earth and Planetary Astrophysics": "EP", "High Energy Astrophysical Phenomena": "HE",
        "Instrumentation and Methods for Astrophysics": "IM",
        "Solar and Stellar Astrophysics": "SR",
    },
    ("Computer Science", "cs"): {
        "Artificial Intelligence": "AI", "Computation and Language": "CL",
        "Computational Complexity": "CC", "Computational Engineering, Finance, and Science": "CE",
        "Computational Geometry": "CG", "Computer Science and Game Theory": "GT",
        "Computer Vision and Pattern Recognition": "CV", "Computers and Society": "CY",
        "Cryptography and Security": "CR", "Data Structures and Algorithms": "DS",
        "Databases": "DB", "Digital Libraries": "DL", "Discrete Mathematics": "DM",
        "Distributed, Parallel, and Cluster Computing": "DC", "Emerging Technologies": "ET",
        "Formal Languages and Automata Theory": "FL", "General Literature": "GL",
        "Graphics": "GR", "Hardware Architecture": "AR", "Human-Computer Interaction": "HC",
        "Information Retrieval": "IR", "Information Theory": "IT", "Learning": "LG",
        "Machine Learning": "LG", "Logic in Computer Science": "LO",
        "Mathematical Software": "MS", "Multiagent Systems": "MA", "Multimedia": "MM",
        "Networking and Internet Architecture": "NI", "Neural and Evolutionary Computing": "NE",
        "Numerical Analysis": "NA", "Operating Systems": "OS", "Other Computer Science": "OH",
        "Performance": "PF", "Programming Languages": "PL", "Robotics": "RO",
        "Social and Information Networks": "SI", "Software Engineering": "SE", "Sound": "SD",
        "Symbolic Computation": "SC", "Systems and Control": "SY",
    },
    ("Condensed Matter", "cond-mat"): {
        "Disordered Systems and Neural Networks": "dis-nn", "Materials Science": "mtrl-sci",
        "Mesoscale and Nanoscale Physics": "mes-hall", "Other Condensed Matter": "other",
        "Quantum Gases": "quant-gas", "Soft Condensed Matter": "soft",
        "Statistical Mechanics": "stat-mech", "Strongly Correlated Electrons": "str-el",
        "Superconductivity": "supr-con",
    },
    ("Economics", "econ"): {
        "Econometrics": "EM", "General Economics": "GN", "Theoretical Economics": "TH",
    },
    ("Electrical Engineering and Systems Science", "eess"): {
        "Audio and Speech Processing": "AS", "Image and Video Processing": "IV",
        "Signal Processing": "SP", "Systems and Control": "SY",
    },
    ("Mathematics", "math"): {
        "Algebraic Geometry": "AG", "Algebraic Topology": "AT", "Analysis of PDEs": "AP",
        "Category Theory": "CT", "Classical Analysis and ODEs": "CA", "Combinatorics": "CO",
        "Commutative Algebra": "AC", "Complex Variables": "CV", "Differential Geometry": "DG",
        "Dynamical Systems": "DS", "Functional Analysis": "FA", "General Mathematics": "GM",
        "General Topology": "GN", "Geometric Topology": "GT", "Group Theory": "GR",
        "History and Overview": "HO", "Information Theory": "IT", "K-Theory and Homology": "KT",
        "Logic": "LO", "Mathematical Physics": "MP", "Metric Geometry": "MG",
        "Number Theory": "NT", "Numerical Analysis": "NA", "Operator Algebras": "OA",
        "Optimization and Control": "OC", "Probability": "PR", "Quantum Algebra": "QA",
        "Representation Theory": "RT", "Rings and Algebras": "RA", "Spectral Theory": "SP",
        "Statistics Theory": "ST", "Symplectic Geometry": "SG",
    },
    ("Nonlinear Sciences", "nlin"): {
        "Adaptation and Self-Organizing Systems": "AO",
        "Cellular Automata and Lattice Gases": "CG", "Chaotic Dynamics": "CD",
        "Exactly Solvable and Integrable Systems": "SI", "Pattern Formation and Solitons": "PS",
    },
    ("Physics", "physics"): {
        "Accelerator Physics": "acc-ph", "Applied Physics": "app-ph",
        "Atmospheric and Oceanic Physics": "ao-ph", "Atomic Physics": "atom-ph",
        "Atomic and Molecular Clusters": "atm-clus", "Biological Physics": "bio-ph",
        "Chemical Physics": "chem-ph", "Classical Physics": "class-ph",
        "Computational Physics": "comp-ph", "Data Analysis, Statistics and Probability": "data-an",
        "Fluid Dynamics": "flu-dyn", "General Physics": "gen-ph", "Geophysics": "geo-ph",
        "History and Philosophy of Physics": "hist-ph", "Instrumentation and Detectors": "ins-det",
        "Medical Physics": "med-ph", "Optics": "optics", "Physics Education": "ed-ph",
        "Physics and Society": "soc-ph", "Plasma Physics": "plasm-ph", "Popular Physics": "pop-ph",
        "Space Physics": "space-ph",
    },
    ("Quantitative Biology", "q-bio"): {
        "Biomolecules": "BM", "Cell Behavior": "CB", "Genomics": "GN", "Molecular Networks": "MN",
        "Neurons and Cognition": "NC", "Other Quantitative Biology": "OT",
        "Populations and Evolution": "PE", "Quantitative Methods": "QM",
        "Subcellular Processes": "SC", "Tissues and Organs": "TO",
    },
    ("Quantitative Finance", "q-fin"): {
        "Computational Finance": "CP", "Economics": "EC", "General Finance": "GN",
        "Mathematical Finance": "MF", "Portfolio Management": "PM", "Pricing of Securities": "PR",
        "Risk Management": "RM", "Statistical Finance": "ST",
        "Trading and Market Microstructure": "TR",
    },
    ("Statistics", "stat"): {
        "Applications": "AP", "Computation": "CO", "Machine Learning": "ML", "Methodology": "ME",
        "Other Statistics": "OT", "Statistics Theory": "TH",
    },
}
# fmt: on
# Archives without subdivisions, and the bare archive names that old records carry.
_SUBJECT_ARCHIVES = {
    "General Relativity and Quantum Cosmology": "gr-qc",
    "High Energy Physics - Experiment": "hep-ex",
    "High Energy Physics - Lattice": "hep-lat",
    "High Energy Physics - Phenomenology": "hep-ph",
    "High Energy Physics - Theory": "hep-th",
    "Mathematical Physics": "math-ph",
    "Nuclear Experiment": "nucl-ex",
    "Nuclear Theory": "nucl-th",
    "Quantum Physics": "quant-ph",
}


def _subject_table() -> dict[str, str]:
    table = dict(_SUBJECT_ARCHIVES)
    for (group, archive), names in _SUBJECT_GROUPS.items():
        table[group] = archive
        for name, code in names.items():
            table[f"{group} - {name}"] = f"{archive}.{code}"
    return table


SUBJECT_CODES: dict[str, str] = _subject_table()

_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_PARENS = re.compile(r"\([^()]*\)")
_AUTHOR_SEP = re.compile(r",|;|&|\band\b")
_HAS_WORD = re.compile(r"\w")


# --- shared helpers --------------------------------------------------------------------------


def subject_to_category(subject: str) -> str | None:
    """arXiv code for an oai_dc subject; None for MSC/ACM/PACS codes, which are not categories."""
    text = clean_text(subject)
    if text in SUBJECT_CODES:
        return SUBJECT_CODES[text]
    if not text or any(c.isdigit() for c in text):
        return None  # "05B, 52A01" (MSC), "F.2.2" (ACM): classifications, not arXiv categories
    return text  # an unknown name: kept as written rather than lost


def _is_suffix(text: str) -> bool:
    return text.strip().lower() in _SUFFIXES


def flip_name(name: str) -> str:
    """Dublin Core "Last, First" (or "Last, Jr., First") -> "First Last" ("First Last Jr.")."""
    parts = [p.strip() for p in clean_text(name).split(",")]
    if len(parts) == 1:
        return parts[0]
    last, rest = parts[0], [p for p in parts[1:] if p]
    suffixes = [p for p in rest if _is_suffix(p)]
    firsts = [p for p in rest if not _is_suffix(p)]
    return " ".join([*firsts, last, *suffixes])


def split_author_string(text: str | None) -> list[str]:
    """arXivRaw's one-string author list ("A, B, and C (MIT)") -> ["A", "B", "C"]."""
    s = clean_text(text)
    # Parentheses hold affiliations and footnote marks, and may nest: drop innermost first.
    previous = None
    while previous != s:
        previous, s = s, _PARENS.sub(" ", s)
    names: list[str] = []
    for piece in _AUTHOR_SEP.split(s.replace("(", " ").replace(")", " ")):
        piece = clean_text(piece)
        if not piece:
            continue
        if _is_suffix(piece) and names:
            names[-1] = f"{names[-1]} {piece}"  # "John Smith, Jr." is one author
        else:
            names.append(piece)
    return names


def _categories(text: str | None) -> list[str]:
    return clean_text(text).split()


def _set_id(record: PaperRecord, text: str | None) -> None:
    parsed = parse_arxiv_id(clean_text(text))
    if parsed:
        record.arxiv_id = parsed[0]


# --- Dublin Core (XML and the JSON dumps) ------------------------------------------------------


def _dc_identifiers(record: PaperRecord, identifiers: Sequence[str]) -> None:
    for raw in identifiers:
        ident = clean_text(raw)
        parsed = parse_arxiv_id(ident)
        if parsed:
            record.arxiv_id = record.arxiv_id or parsed[0]
        elif ident.lower().startswith("doi:"):
            # Lists of DOIs arrive comma-terminated ("doi:10.4213/faa3227,"); the first names
            # the paper itself, later ones errata.
            record.doi = record.doi or ident.rstrip(",;")
        elif ident and not ident.lower().startswith(("http://", "https://")):
            record.journal_ref = record.journal_ref or ident


def _dc_descriptions(record: PaperRecord, descriptions: Sequence[str]) -> None:
    for text in descriptions:
        stripped = text.strip()
        if stripped.startswith("Comment:"):
            record.comments = record.comments or stripped.removeprefix("Comment:")
        elif not record.abstract:
            record.abstract = text


def record_from_dc(
    fields: Mapping[str, Any], *, origin: str, source: str, arxiv_id: str | None = None
) -> Item:
    """A record from Dublin Core fields (each a list of strings, as both XML and JSON give)."""

    def values(name: str) -> list[str]:
        raw = fields.get(name)
        items = raw if isinstance(raw, list) else [] if raw is None else [raw]
        return [v for v in items if isinstance(v, str)]

    record = PaperRecord(title=next(iter(values("title")), ""), source=source, origin=origin)
    _set_id(record, arxiv_id)
    _dc_identifiers(record, values("identifier"))
    _dc_descriptions(record, values("description"))
    record.authors = [flip_name(c) for c in values("creator") if _HAS_WORD.search(c)]
    dates = [d for d in (parse_date(v) for v in values("date")) if d]
    if dates:
        record.submitted, record.updated = dates[0], dates[-1]
    cats = (subject_to_category(s) for s in values("subject"))
    record.categories = [c for c in cats if c]
    return finish(record)


def dc_fields(dc: Any) -> dict[str, list[str]]:
    """The children of an `<oai_dc:dc>` element as {local name: [texts]}."""
    fields: dict[str, list[str]] = {}
    for child in dc:
        if isinstance(child.tag, str) and child.tag.startswith(f"{{{DC_NS}}}"):
            name = child.tag.split("}", 1)[1]
            fields.setdefault(name, []).append(child.text or "")
    return fields


# --- arXiv and arXivRaw ------------------------------------------------------------------------


def _text(el: Any, ns: str, name: str) -> str | None:
    value = el.findtext(f"{{{ns}}}{name}")
    return value if value and value.strip() else None


def _common(record: PaperRecord, meta: Any, ns: str) -> None:
    _set_id(record, _text(meta, ns, "id"))
    record.abstract = _text(meta, ns, "abstract") or ""
    record.categories = _categories(_text(meta, ns, "categories"))
    record.comments = _text(meta, ns, "comments")
    record.journal_ref = _text(meta, ns, "journal-ref")
    record.doi = _text(meta, ns, "doi")


def _arxiv_author(author: Any) -> str:
    parts = (_text(author, ARXIV_NS, n) for n in ("forenames", "keyname", "suffix"))
    return " ".join(clean_text(p) for p in parts if p)


def record_from_arxiv(meta: Any, *, origin: str, source: str = HARVEST_SOURCE) -> Item:
    """`metadataPrefix=arXiv`: structured authors, created/updated dates."""
    record = PaperRecord(title=_text(meta, ARXIV_NS, "title") or "", source=source, origin=origin)
    _common(record, meta, ARXIV_NS)
    record.submitted = parse_date(_text(meta, ARXIV_NS, "created"))
    record.updated = parse_date(_text(meta, ARXIV_NS, "updated")) or record.submitted
    authors = meta.iterfind(f"{{{ARXIV_NS}}}authors/{{{ARXIV_NS}}}author")
    record.authors = [_arxiv_author(a) for a in authors]
    return finish(record)


def _raw_versions(meta: Any) -> list[Version]:
    versions: list[Version] = []
    for el in meta.iterfind(f"{{{ARXIV_RAW_NS}}}version"):
        label = (el.get("version") or "").strip().lower().removeprefix("v")
        if label.isdigit():
            versions.append(Version(int(label), parse_date(_text(el, ARXIV_RAW_NS, "date"))))
    return versions


def record_from_arxiv_raw(meta: Any, *, origin: str, source: str = HARVEST_SOURCE) -> Item:
    """`metadataPrefix=arXivRaw`: every version with its date, authors as one string."""
    title = _text(meta, ARXIV_RAW_NS, "title") or ""
    record = PaperRecord(title=title, source=source, origin=origin)
    _common(record, meta, ARXIV_RAW_NS)
    record.versions = _raw_versions(meta)
    record.authors = split_author_string(_text(meta, ARXIV_RAW_NS, "authors"))
    return finish(record)


# --- one <record> of a response ----------------------------------------------------------------


def parse_record(el: Any, *, source: str = HARVEST_SOURCE) -> Item | None:
    """One OAI-PMH `<record>` in any of the three formats; None for a deleted record.

    The format is read from the metadata's namespace, not from what was asked for, so a server
    answering in another format is parsed correctly or rejected by name.
    """
    header = el.find(f"{{{OAI_NS}}}header")
    if header is not None and header.get("status") == "deleted":
        return None  # a withdrawal notice, not a paper: nothing to store or reject
    origin = clean_text(header.findtext(f"{{{OAI_NS}}}identifier") if header is not None else "")
    origin = origin or "record without identifier"
    metadata = el.find(f"{{{OAI_NS}}}metadata")
    meta = None if metadata is None else next((c for c in metadata if isinstance(c.tag, str)), None)
    if meta is None:
        return Rejected(origin, "record has no metadata")
    if meta.tag == f"{{{ARXIV_RAW_NS}}}arXivRaw":
        return record_from_arxiv_raw(meta, origin=origin, source=source)
    if meta.tag == f"{{{ARXIV_NS}}}arXiv":
        return record_from_arxiv(meta, origin=origin, source=source)
    if meta.tag == f"{{{OAI_DC_NS}}}dc":
        oai_id = origin.rsplit(":", 1)[-1] if origin.startswith("oai:") else None
        return record_from_dc(dc_fields(meta), origin=origin, source=source, arxiv_id=oai_id)
    return Rejected(origin, f"unsupported metadata format {meta.tag}")
