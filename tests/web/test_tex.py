"""Formulas to MathML on the server (paperwire.web.tex): converted where safe, else escaped TeX
left for KaTeX."""

from __future__ import annotations

from paperwire.web.tex import needs_katex, render, render_html, to_mathml


def test_formulas_become_mathml_and_text_is_escaped() -> None:
    out = str(render("Bounds $O(n^2)$ & <b>bold</b>"))
    assert "<math" in out and "<msup><mi>n</mi><mn>2</mn></msup>" in out
    assert "&amp; &lt;b&gt;bold&lt;/b&gt;" in out
    assert "$" not in out
    display = str(render(r"$$E=mc^2$$ and \(a_b\)"))
    assert 'display="block"' in display and 'display="inline"' in display


def test_unsafe_conversions_stay_escaped_tex() -> None:
    # latex2mathml copies \text{} verbatim and turns \href / \style into attributes.
    for tex in (
        r"$\text{<script>alert(1)</script>}$",
        r"$\href{javascript:alert(1)}{x}$",
        r"$\style{background:url(x)}{y}$",
        r"$\text{<img src=x onerror=alert(1)>}$",
    ):
        out = str(render(tex))
        assert "<script" not in out and "<img" not in out and "href=" not in out, out
        assert "style=" not in out and "<math" not in out, out
        assert needs_katex([tex])


def test_broken_formulas_are_left_for_katex() -> None:
    assert to_mathml(r"\frac{1}{") is None
    assert str(render(r"a $\frac{1}{$ b")) == r"a $\frac{1}{$ b"
    assert needs_katex([r"$\frac{1}{$"]) and not needs_katex(["$x_1$", None, "no math"])


def test_snippet_highlights_stay_balanced() -> None:
    assert str(render_html("a <mark>$\\alpha$</mark> b")).count("<mark>") == 1
    inside = str(render_html("<mark>$a</mark> + b$ c"))  # highlight begins outside, ends inside
    assert inside.count("<mark>") == inside.count("</mark>") == 1
    assert "<math" in inside and inside.index("</mark>") < inside.index("<math")
    escaped = str(render_html("$a &lt; b$"))
    assert "<mo>&lt;</mo>" in escaped
