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

The fixtures (HTTP server, browser, ``visit``) live in ``conftest.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from PIL import Image
from playwright.sync_api import expect

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


def toc_pages(toc_file: Path = REPO_ROOT / "_toc.yml") -> list[str]:
    """Every page of the table of contents in reading order, e.g. ``["book/preface", "book/rnn"]``."""
    toc = yaml.safe_load(toc_file.read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in toc.items() if key != "root"})
    return [re.sub(r"\.(ipynb|md|rst)$", "", page) for page in pages]


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

pages = pytest.mark.parametrize("page", PAGES)


@pages
def test_page_loads_without_errors(visit, page):
    """The page answers 200 and the browser reports no console error, page error or failed load."""
    seen = visit(html_path(page))

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
def test_nothing_is_loaded_from_outside(visit, page):
    """The page makes no request beyond 127.0.0.1: it reads offline (fonts, scripts, MathJax)."""
    seen = visit(html_path(page))

    assert seen.blocked_requests == [], (
        "expected every request to stay on 127.0.0.1, these went out (and were blocked):\n  "
        + "\n  ".join(seen.blocked_requests)
    )


@pages
def test_math_is_typeset_by_local_mathjax(visit, book_url, page):
    """MathJax, served from ``_static/mathjax/``, turns every formula into ``mjx-container``s."""
    seen = visit(html_path(page))
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
def test_every_figure_is_shown(visit, page):
    """Each image output of the executed notebook appears on the page, and every image loads."""
    seen = visit(html_path(page))
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
def test_solutions_are_folded_until_clicked(visit, page):
    """Every solution (sphinx-exercise + ``:class: dropdown``) is hidden until its title is clicked."""
    seen = visit(html_path(page))
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


@pages
def test_screenshot(visit, page):
    """A full-page screenshot goes to ``_build/screenshots/<page>.png``, and it is not blank."""
    seen = visit(html_path(page))
    path = SCREENSHOT_DIR / f"{page}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    seen.page.screenshot(path=str(path), full_page=True)

    with Image.open(path) as image:
        darkest, lightest = image.convert("L").getextrema()
    assert darkest < lightest, f"expected a screenshot with something on it, {path} is one flat colour"
