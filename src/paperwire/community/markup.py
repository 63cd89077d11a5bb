"""Comment Markdown to safe HTML: markdown-it-py renders (raw HTML off: typed tags show as
text), then nh3 (the Rust `ammonia` sanitiser) keeps only an allow-list of tags and
attributes, links only to http, https and mailto, each with rel="nofollow noopener ugc".
Two kept libraries, no regular expressions of our own: a comment can carry no script, no
event handler, no style and no image (a tracking pixel or page weight)."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener ugc"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "commonmark" with html off: `<script>` in a comment is text, not markup.
    # Images off: `![alt](url)` shows as a link (no tracking pixels, no page weight).
    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    return md.enable(["table", "strikethrough"]).disable("image")


@lru_cache(maxsize=4096)
def render(body: str) -> Markup:
    """The comment's HTML, safe to put in a page or a feed as is."""
    html = _parser().render(body)
    # Headings of a comment sit below the page's h2 "Discussion": shift h1/h2 down.
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return Markup(clean)  # sanitised by nh3 just above
