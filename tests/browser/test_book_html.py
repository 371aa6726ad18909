"""The built HTML book, read in a real browser (headless Chromium), page by page.

Run ``make book`` first; then ``make test`` (or ``pytest -m browser``) runs
these tests. Each check is its own test, repeated for every page of the table
of contents (``_toc.yml``):

* the page loads, with no JavaScript errors;
* it loads nothing from outside 127.0.0.1: the book reads offline, MathJax included;
* its mathematics is typeset by the book's own copy of MathJax;
* every figure its notebook makes is shown, and every image loads;
* the solutions to its exercises are folded until the reader opens them;
* a full-page screenshot goes to ``_build/screenshots/<page>.png`` for a human to look at.

The appendices get checks of their own: each has its heading, the bibliography lists at least 15
works and the chapters' citations lead to it, the glossary shows its Chinese terms in a CJK font
(not as empty boxes) and the chapters' term links lead to its entries, the errata table has its
rows, and every source article has its entry on the sources page.

The fixtures (HTTP server, browser, ``visit``) live in ``conftest.py``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from helpers import toc_pages

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / "_build"
EXECUTED_DIR = BUILD_DIR / "jupyter_execute"
SCREENSHOT_DIR = BUILD_DIR / "screenshots"
SOURCE_SUFFIXES = (".ipynb", ".md", ".rst")

# Console errors we accept, as regular expressions, each with the reason why.
# Keep it empty: an error in the reader's console is a bug in the book.
ALLOWED_CONSOLE_ERRORS: list[str] = []


# --------------------------------------------------------------------------
# The pages of the book and their sources
# --------------------------------------------------------------------------


PAGES = toc_pages()
ROOT_PAGE = PAGES[0]


def html_path(page: str) -> str:
    """The built page's path relative to the book's root URL: ``book/rnn`` -> ``book/rnn.html``."""
    return f"{page}.html"


def source_file(page: str) -> Path:
    """The source of a page: ``book/rnn`` -> ``book/rnn.ipynb`` (or ``.md``, ``.rst``)."""
    for suffix in SOURCE_SUFFIXES:
        path = REPO_ROOT / f"{page}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no source for page {page!r} (tried {SOURCE_SUFFIXES})")


def executed_notebook(page: str) -> dict | None:
    """The notebook as executed by the build, or None when the page is not a notebook."""
    path = EXECUTED_DIR / f"{page}.ipynb"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def prose_of(path: Path) -> str:
    """The text of a page without its code: markdown cells, or the file minus code fences."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return CODE_FENCE.sub("", text)


# A fenced block of code: ```python, ``` (no language) or ```{code-cell}; not
# ```{math} or ```{exercise}, whose content is prose and mathematics.
CODE_FENCE = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[ \t]*(\{(code-cell|code-block|code|sourcecode)\}.*|[\w+-]*)[ \t]*\n"
    r".*?^(?P=fence)[ \t]*$",
    flags=re.M | re.S,
)


MATH_IN_SOURCE = re.compile(
    r"\$\$"  # $$ display $$
    r"|\$[^\s$][^$\n]*\$"  # $inline$
    r"|\\\(|\\\["  # \( \) and \[ \]
    r"|\{math\}|\\begin\{"  # {math} directive, amsmath environments
)


def source_has_math(page: str) -> bool:
    """True when the page's prose contains mathematics (dollars, \\( \\), {math}, \\begin{...})."""
    return bool(MATH_IN_SOURCE.search(prose_of(source_file(page))))


# Code that draws with matplotlib: such a notebook must show at least one figure.
PLOTTING = re.compile(r"\bplt\.\w+\(|\bimport matplotlib|\bfrom matplotlib\b|\.savefig\(")


def code_of(notebook: dict) -> str:
    """All the code of a notebook, cell after cell."""
    return "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")


def image_outputs(notebook: dict) -> int:
    """How many outputs of the notebook's code cells are images (PNG, JPEG or SVG)."""
    return sum(
        1
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
        if any(mime.startswith("image/") for mime in output.get("data", {}))
    )


def is_chapter(page: str) -> bool:
    return page != ROOT_PAGE


# --------------------------------------------------------------------------
# The tests, one check each, for every page
# --------------------------------------------------------------------------

# Module scope makes pytest run every check of one page before the next page, so that the checks
# share one load of the page (the ``loaded`` fixture).
pages = pytest.mark.parametrize("page", PAGES, scope="module")


@pages
def test_page_loads_without_errors(loaded, page):
    """The page answers 200 and the browser reports no console error, page error or failed load."""
    seen = loaded(html_path(page))

    assert seen.status == 200, f"expected HTTP 200 for {seen.url}, got {seen.status}"
    assert seen.failed_responses == [], (
        "expected every resource of the page to load, these failed:\n  "
        + "\n  ".join(seen.failed_responses)
    )
    console_errors = [
        message
        for message in seen.console_errors
        if not any(re.search(allowed, message) for allowed in ALLOWED_CONSOLE_ERRORS)
    ]
    assert console_errors == [], "expected no console errors, got:\n  " + "\n  ".join(console_errors)
    assert seen.page_errors == [], "expected no page errors, got:\n  " + "\n  ".join(seen.page_errors)


def test_index_leads_to_the_first_page(visit):
    """``index.html`` (a redirect written by Jupyter Book) lands on the root page of the TOC."""
    seen = visit("index.html")
    seen.page.wait_for_url(f"**/{html_path(ROOT_PAGE)}")
    assert seen.page.url.endswith(html_path(ROOT_PAGE))


@pages
def test_nothing_is_loaded_from_outside(loaded, page):
    """The page makes no request beyond 127.0.0.1: it reads offline (fonts, scripts, MathJax)."""
    seen = loaded(html_path(page))

    assert seen.blocked_requests == [], (
        "expected every request to stay on 127.0.0.1, these went out (and were blocked):\n  "
        + "\n  ".join(seen.blocked_requests)
    )


@pages
def test_math_is_typeset_by_local_mathjax(loaded, book_url, page):
    """MathJax, served from ``_static/mathjax/``, turns every formula into ``mjx-container``s."""
    seen = loaded(html_path(page))
    page_obj = seen.page
    local_mathjax = book_url + "_static/mathjax/"

    scripts = page_obj.eval_on_selector_all(
        "script[src*='mathjax' i]", "nodes => nodes.map(n => n.src)"
    )
    for src in scripts:
        assert src.startswith(local_mathjax), (
            f"expected MathJax to be served from the book's _static/mathjax/, got a script from {src}"
        )

    if source_has_math(page):
        assert scripts, f"{page} has mathematics in its source, but the page loads no MathJax"
        assert any(url.startswith(local_mathjax) for url in seen.responses), (
            "expected MathJax files to be fetched from _static/mathjax/, none were"
        )
        rendered = page_obj.locator("mjx-container").count()
        assert rendered > 0, f"{page} has mathematics in its source, but no mjx-container on the page"

    # Every formula Sphinx marked as math was typeset.
    untypeset = page_obj.eval_on_selector_all(
        ".math:not(:has(mjx-container))", "nodes => nodes.map(n => n.textContent.trim())"
    )
    assert untypeset == [], f"expected every .math element to be typeset, these were not: {untypeset}"

    # MathJax shows TeX errors (an unknown macro, a missing brace) in red, as mjx-merror.
    errors = page_obj.eval_on_selector_all(
        "mjx-merror", "nodes => nodes.map(n => n.getAttribute('data-mjx-error') || n.textContent)"
    )
    assert errors == [], f"expected no TeX errors, MathJax reports: {errors}"

    # Around the typeset formulas, no TeX delimiter is left in the text a reader sees.
    leftovers = page_obj.evaluate(
        """() => {
            const blocks = new Set(
                [...document.querySelectorAll('mjx-container')].map(
                    m => m.parentElement.closest('p, li, dt, dd, td, th, h1, h2, h3, h4, h5, h6, figcaption, div')
                ).filter(Boolean));
            return [...blocks].map(block => {
                const copy = block.cloneNode(true);
                copy.querySelectorAll('mjx-container, script').forEach(n => n.remove());
                return copy.textContent.replace(/\\s+/g, ' ').trim();
            }).filter(text => /\\$\\$|\\\\\\(|\\\\\\)|\\\\\\[|\\\\\\]/.test(text));
        }"""
    )
    assert leftovers == [], (
        "expected no raw $$, \\( \\) or \\[ \\] next to typeset math, found them in:\n  "
        + "\n  ".join(leftovers)
    )


@pages
def test_every_figure_is_shown(loaded, page):
    """Each image output of the executed notebook appears on the page, and every image loads."""
    seen = loaded(html_path(page))
    page_obj = seen.page
    notebook = executed_notebook(page)

    if source_file(page).suffix == ".ipynb":
        assert notebook is not None, (
            f"expected the build to write the executed notebook {EXECUTED_DIR / page}.ipynb"
        )
    if notebook is not None:
        expected = image_outputs(notebook)
        if PLOTTING.search(code_of(notebook)):
            assert expected > 0, (
                f"{page} plots with matplotlib but its executed notebook has no image output "
                "(is a non-interactive backend selected with matplotlib.use()?)"
            )
        shown = page_obj.locator("div.cell_output img").count()
        assert shown == expected, (
            f"expected {expected} images in the cell outputs (as in the executed notebook), "
            f"the page shows {shown}"
        )

    broken = page_obj.eval_on_selector_all(
        "article img",
        "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)",
    )
    assert broken == [], f"expected every image to load, these are broken: {broken}"


@pages
def test_screenshot(loaded, page):
    """A full-page screenshot goes to ``_build/screenshots/<page>.png``, and it is not blank."""
    seen = loaded(html_path(page))
    path = SCREENSHOT_DIR / f"{page}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    seen.page.screenshot(path=str(path), full_page=True)

    with Image.open(path) as image:
        darkest, lightest = image.convert("L").getextrema()
    assert darkest < lightest, f"expected a screenshot with something on it, {path} is one flat colour"


@pages
def test_solutions_are_folded_until_clicked(loaded, page):
    """Every solution (sphinx-exercise + ``:class: dropdown``) is hidden until its title is clicked."""
    seen = loaded(html_path(page))
    try:
        check_solutions_fold(seen, page)
    finally:
        loaded.forget()  # the clicks changed the page: the next check loads it afresh


def check_solutions_fold(seen, page: str) -> None:
    page_obj = seen.page
    exercises = page_obj.locator("div.exercise")
    solutions = page_obj.locator("div.solution")

    if is_chapter(page) and exercises.count() > 0:
        assert solutions.count() > 0, (
            f"{page} has {exercises.count()} exercises but no solutions: a chapter must have solutions"
        )

    for index in range(solutions.count()):
        solution = solutions.nth(index)
        name = solution.get_attribute("id") or f"solution {index + 1}"
        # sphinx-togglebutton turns `.dropdown` admonitions into `.toggle` ones,
        # and hides everything after the title until the title is clicked.
        assert "toggle" in (solution.get_attribute("class") or "").split(), (
            f"expected {name} to be foldable (give it `:class: dropdown`), it is always shown"
        )
        title = solution.locator(":scope > .admonition-title")
        body = solution.locator(":scope > .admonition-title ~ *")
        assert body.count() > 0, f"expected {name} to have a body after its title"

        for part in range(body.count()):
            expect(body.nth(part), f"{name} should be hidden before it is clicked").to_be_hidden()
        title.click()
        for part in range(body.count()):
            expect(body.nth(part), f"{name} should show once its title is clicked").to_be_visible()


# --------------------------------------------------------------------------
# The appendices: bibliography, sources, errata, glossary, FAQ
# --------------------------------------------------------------------------

APPENDICES = {
    "book/bibliography": "Bibliography",
    "book/sources": "The source articles",
    "book/errata": "Errata of the source articles",
    "book/glossary": "Glossary (English–Chinese)",
    "book/faq": "Frequently asked questions",
}

# Chinese terms the glossary must show (issue 16), as a reader sees them on the page.
CHINESE_TERMS = ["循环神经网络", "长短期记忆网络", "门控循环单元", "时间反向传播", "梯度消失", "梯度爆炸",
                 "双向循环神经网络", "注意力机制", "隐藏状态", "遗忘门", "截断的BPTT", "困惑度"]


def heading_of(page_obj) -> str:
    """The text of the page's first ``h1``, without the ``#`` of its permalink."""
    return page_obj.locator("article h1").first.inner_text().replace("#", "").strip()


@pytest.mark.parametrize("page", sorted(APPENDICES))
def test_appendix_is_in_the_book_with_its_heading(visit, page):
    """Each appendix is a page of the table of contents, and shows its title as its heading."""
    assert page in PAGES, f"expected {page} in _toc.yml (part 'Appendices')"
    seen = visit(html_path(page))
    assert seen.status == 200, f"expected HTTP 200 for {seen.url}, got {seen.status}"
    assert heading_of(seen.page) == APPENDICES[page]


def test_bibliography_lists_at_least_15_works(visit):
    """The bibliography page renders the entries of references.bib, at least 15 of them."""
    seen = visit(html_path("book/bibliography"))
    entries = seen.page.locator("article div.citation")
    assert entries.count() >= 15, f"expected at least 15 bibliography entries, the page shows {entries.count()}"
    texts = entries.all_inner_texts()
    assert any("Finding structure in time" in text for text in texts), "expected Elman (1990) in the bibliography"


def test_a_citation_in_a_chapter_leads_to_its_bibliography_entry(visit):
    """The RNN chapter's citation of Elman (1990) is a link to an entry of the bibliography page."""
    seen = visit(html_path("book/rnn"))
    links = seen.page.locator("article a[href*='bibliography.html#']")
    assert links.count() > 0, "expected the RNN chapter to cite papers with links to the bibliography"
    assert any("Elman" in text for text in links.all_inner_texts()), "expected a citation of Elman (1990)"
    links.filter(has_text="Elman").first.click()
    seen.page.wait_for_url("**/bibliography.html#*")
    anchor = seen.page.url.split("#", 1)[1]
    entry = seen.page.locator(f"[id='{anchor}']")
    assert "Elman" in entry.inner_text(), f"expected the citation to lead to Elman's entry, it leads to #{anchor}"


def test_glossary_shows_the_chinese_terms(visit):
    """The glossary page shows each Chinese term of issue 16 and at least 30 terms."""
    seen = visit(html_path("book/glossary"))
    text = seen.page.locator("article").inner_text()
    missing = [term for term in CHINESE_TERMS if term not in text]
    assert missing == [], f"expected the glossary page to show these Chinese terms: {missing}"
    terms = seen.page.locator("article dl.glossary > dt")
    assert terms.count() >= 30, f"expected at least 30 glossary terms, the page shows {terms.count()}"


def test_chinese_is_drawn_with_a_cjk_font(visit):
    """Two different Chinese characters draw differently: a CJK font is there, not empty boxes.

    Without a font for the characters, Chromium draws every one of them as the same placeholder
    box, and the glossary's screenshot shows boxes where the Chinese terms should be.
    """
    seen = visit(html_path("book/glossary"))
    differ = seen.page.evaluate(
        r"""() => {
            const font = getComputedStyle(document.querySelector('article dd') || document.body).font;
            const draw = (ch) => {
                const canvas = document.createElement('canvas');
                canvas.width = 64; canvas.height = 64;
                const ctx = canvas.getContext('2d');
                ctx.font = font.replace(/\d+(\.\d+)?px/, '48px');
                ctx.fillStyle = '#000';
                ctx.fillText(ch, 4, 52);
                return Array.from(ctx.getImageData(0, 0, 64, 64).data).join(',');
            };
            return draw('循') !== draw('门');
        }"""
    )
    if not differ:
        message = (
            "Chinese characters are drawn as identical boxes: no CJK font is installed "
            "(Debian: apt-get install fonts-noto-cjk)"
        )
        if os.environ.get("RECURRENT_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def test_chapter_term_links_lead_to_glossary_entries(visit):
    """The RNN chapter links its terms to the glossary, and each link's anchor is a glossary term."""
    seen = visit(html_path("book/rnn"))
    hrefs = seen.page.eval_on_selector_all(
        "article a[href*='glossary.html#term-']", "nodes => nodes.map(n => n.getAttribute('href'))"
    )
    assert len(hrefs) >= 5, f"expected the RNN chapter to link at least 5 glossary terms, found {len(hrefs)}"
    glossary = visit(html_path("book/glossary"))
    ids = set(glossary.page.eval_on_selector_all("article dl.glossary > dt", "nodes => nodes.map(n => n.id)"))
    broken = sorted({href.split("#", 1)[1] for href in hrefs} - ids)
    assert broken == [], f"these term links of the RNN chapter lead to no glossary entry: {broken}"


def test_errata_table_has_its_rows(visit):
    """The errata page shows a table with a row per error, each linking to the book or 'in preparation'."""
    seen = visit(html_path("book/errata"))
    rows = seen.page.locator("article table").first.locator("tbody tr")
    assert rows.count() >= 15, f"expected at least 15 errata rows, the table shows {rows.count()}"
    for index in range(rows.count()):
        where = rows.nth(index).locator("td").last
        linked = where.locator("a").count() > 0
        assert linked or "(chapter in preparation)" in where.inner_text(), (
            f"errata row {index + 1} neither links to the book nor says '(chapter in preparation)'"
        )


def test_sources_page_has_an_entry_per_article(visit):
    """Each of the five source articles has an anchor on the sources page that chapters link to."""
    seen = visit(html_path("book/sources"))
    for number in ("000", "001", "002", "003", "004"):
        assert seen.page.locator(f"[id='source-{number}']").count() == 1, f"no entry #source-{number}"
