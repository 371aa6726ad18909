"""The book's apparatus, checked statically (no build): citations, glossary terms, errata, sources.

* every ``{cite}`` key (``{cite}``, ``{cite:t}``, ``{cite:p}``, ...) is an entry of references.bib,
  and the chapters cite at least 15 times;
* every ``{term}`` is a term of the glossary (``book/glossary.md``), which has at least 30 terms,
  each with its Chinese term;
* every row of the errata table names a source article and links to where the book shows the
  right thing, or says "(chapter in preparation)"; every label it links to exists;
* no chapter mentions a source article by number ("source article 004", "articles 001 and 002")
  without linking the number to its entry on the sources page, and that page has an entry for
  each of the five articles.

The Sphinx build (``make book``, with ``-W``) checks that the links resolve; these tests say
which rule a page breaks, without building.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from helpers import toc_pages

REPO_ROOT = Path(__file__).resolve().parents[1]
BOOK = REPO_ROOT / "book"
BIB = REPO_ROOT / "references.bib"
GLOSSARY = BOOK / "glossary.md"
ERRATA = BOOK / "errata.md"
SOURCES = BOOK / "sources.md"

ARTICLES = ["000", "001", "002", "003", "004"]

# A MyST role with its content: {name}`content`. Role content never spans lines in this book.
ROLE = re.compile(r"\{(?P<name>[a-z]+(?::[a-z]+)?)\}`(?P<content>[^`\n]+)`")
# A target label written in MyST: (label)= alone on its line.
LABEL = re.compile(r"^\((?P<label>[A-Za-z0-9_.:-]+)\)=\s*$", flags=re.M)
# A fenced code block in a Markdown file (```python ... ```), whose text is not prose.
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})[ \t]*(\{code-cell\}.*|[\w+-]*)[ \t]*\n.*?^\1[ \t]*$", re.M | re.S)
# A mention of a source article by number: "article 004", "Article 000's", "articles (001 and 002".
ARTICLE_MENTION = re.compile(r"\barticles?\s+\(?\s*(?P<number>\d{3})\b", flags=re.I)
# What counts as a link to a source article's entry: a {ref} to its label, or a Markdown link to
# the sources page.
SOURCE_LINK = re.compile(
    r"\{ref\}`[^`<\n]*<source-\d{3}>`"
    r"|\{ref\}`source-\d{3}`"
    r"|\[[^\]\n]*\]\((?:\./)?sources(?:\.md)?#source-\d{3}\)"
)


def toc_sources() -> list[Path]:
    """The source file (.ipynb or .md) of every page of the table of contents."""
    pages = []
    for stem in toc_pages():
        for suffix in (".ipynb", ".md"):
            if (REPO_ROOT / f"{stem}{suffix}").is_file():
                pages.append(REPO_ROOT / f"{stem}{suffix}")
                break
        else:
            raise FileNotFoundError(f"_toc.yml lists {stem!r}, which has no .ipynb or .md source")
    return pages


def prose(path: Path) -> str:
    """The prose of a page: the markdown cells of a notebook, or a Markdown file without its code."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return CODE_FENCE.sub("", text)


PAGES = toc_sources()
CHAPTERS = [p for p in PAGES if p.parent == BOOK and p.stem not in {"bibliography", "glossary", "errata", "sources", "faq"}]


def roles(name_prefix: str) -> list[tuple[Path, str]]:
    """Every (page, content) of the roles whose name starts with ``name_prefix`` on every page."""
    found = []
    for page in PAGES:
        for match in ROLE.finditer(prose(page)):
            if match["name"] == name_prefix or match["name"].startswith(name_prefix + ":"):
                found.append((page, match["content"]))
    return found


def target(content: str) -> str:
    """The target of a role's content: ``text <target>`` -> ``target``, ``target`` -> itself."""
    explicit = re.fullmatch(r"(?s).*<(?P<target>[^<>]+)>\s*", content)
    return (explicit["target"] if explicit else content).strip()


def bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", BIB.read_text(encoding="utf-8"), flags=re.M))


def glossary_entries() -> dict[str, str]:
    """Term -> definition of the ``{glossary}`` block of book/glossary.md."""
    text = GLOSSARY.read_text(encoding="utf-8")
    block = re.search(r"^```\{glossary\}[^\n]*\n(?P<body>.*?)^```\s*$", text, flags=re.M | re.S)
    assert block, f"{GLOSSARY} has no ```{{glossary}} block"
    entries, term = {}, None
    for line in block["body"].splitlines():
        if not line.strip() or line.startswith(":"):
            continue
        if line[0].isspace():
            assert term is not None, f"a definition line comes before any term: {line!r}"
            entries[term] += " " + line.strip()
        else:
            term = line.strip()
            assert term.lower() not in {t.lower() for t in entries}, f"the glossary defines {term!r} twice"
            entries[term] = ""
    return entries


def all_labels() -> set[str]:
    labels = set()
    for page in PAGES:
        labels |= set(LABEL.findall(prose(page)))
        if page.suffix == ".ipynb":  # sphinx-exercise labels (:label: x) are {ref} targets too
            labels |= set(re.findall(r"^:label:\s*(\S+)", prose(page), flags=re.M))
    return labels


# --------------------------------------------------------------------------
# Citations
# --------------------------------------------------------------------------


def test_every_cited_key_is_in_references_bib():
    keys = bib_keys()
    missing = [
        f"{page.relative_to(REPO_ROOT)}: {key}"
        for page, content in roles("cite")
        for key in (k.strip() for k in content.split(","))
        if key not in keys
    ]
    assert missing == [], "these citation keys are not entries of references.bib:\n  " + "\n  ".join(missing)


def test_every_entry_of_references_bib_is_cited():
    """The bibliography page says so: it lists ``:all:`` entries, so an uncited one is a stray."""
    cited = {key.strip() for _, content in roles("cite") for key in content.split(",")}
    uncited = sorted(bib_keys() - cited)
    assert uncited == [], f"these entries of references.bib are cited by no page: {uncited}"


def test_the_chapters_cite_at_least_15_times():
    uses = roles("cite")
    assert len(uses) >= 15, f"expected at least 15 {{cite}} uses in the book, found {len(uses)}"


def test_references_bib_has_no_duplicate_keys():
    keys = re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", BIB.read_text(encoding="utf-8"), flags=re.M)
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert duplicates == [], f"references.bib defines these keys more than once: {duplicates}"


@pytest.mark.parametrize(
    "key",
    ["elman1990", "jordan1986", "werbos1990", "hochreiter1997", "gers2000", "cho2014", "sutskever2014",
     "bahdanau2015", "luong2015", "schuster1997", "pascanu2013", "graves2013", "graves2006",
     "karpathy2015", "gal2016", "fawaz2019", "makridakis2018", "feng2024"],
)
def test_the_papers_of_issue_16_are_in_references_bib(key):
    assert key in bib_keys(), f"expected references.bib to have an entry {key!r}"


def test_bibliography_page_lists_the_bib_file():
    text = (BOOK / "bibliography.md").read_text(encoding="utf-8")
    assert re.search(r"^```\{bibliography\}", text, flags=re.M), "book/bibliography.md has no {bibliography} directive"
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "references.bib" in config.get("bibtex_bibfiles", []), "_config.yml must list references.bib in bibtex_bibfiles"


# --------------------------------------------------------------------------
# Glossary
# --------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_glossary_has_at_least_30_terms_each_with_its_chinese_term():
    entries = glossary_entries()
    assert len(entries) >= 30, f"expected at least 30 glossary terms, found {len(entries)}"
    without = [term for term, definition in entries.items() if not CJK.search(definition)]
    assert without == [], f"these glossary terms give no Chinese term: {without}"


@pytest.mark.parametrize(
    "chinese",
    ["循环神经网络", "长短期记忆网络", "门控循环单元", "时间反向传播", "梯度消失", "梯度爆炸", "梯度裁剪",
     "双向循环神经网络", "注意力机制", "序列到序列", "编码器", "解码器", "隐藏状态", "遗忘门", "输入门",
     "输出门", "更新门", "重置门", "截断的BPTT", "困惑度"],
)
def test_glossary_has_the_chinese_terms_of_issue_16(chinese):
    assert chinese in GLOSSARY.read_text(encoding="utf-8"), f"the glossary does not give {chinese}"


def test_every_term_link_is_a_glossary_term():
    terms = {term.lower() for term in glossary_entries()}
    missing = [
        f"{page.relative_to(REPO_ROOT)}: {content}"
        for page, content in roles("term")
        if target(content).lower() not in terms
    ]
    assert missing == [], "these {term} links name no glossary term:\n  " + "\n  ".join(missing)


def test_every_chapter_links_some_glossary_terms():
    without = [p.relative_to(REPO_ROOT) for p in CHAPTERS if "{term}`" not in prose(p)]
    assert without == [], f"these chapters link no glossary term: {without}"


# --------------------------------------------------------------------------
# Errata
# --------------------------------------------------------------------------

IN_PREPARATION = "(chapter in preparation)"


def errata_rows() -> list[str]:
    rows = []
    for line in ERRATA.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.lstrip().startswith("|") or set("".join(cells)) <= set("-: "):
            continue  # not a table line, or the separator line
        if cells[0] == "#":
            continue  # the header
        rows.append(line)
    return rows


def test_errata_has_a_row_per_known_error():
    rows = errata_rows()
    assert len(rows) >= 15, f"expected at least 15 errata rows, found {len(rows)}"
    for article in ARTICLES:
        assert any(f"<source-{article}>" in row for row in rows), f"no errata row for source article {article}"


def test_every_errata_row_links_to_the_book_or_is_in_preparation():
    labels = all_labels()
    pages = {p.stem for p in PAGES}
    for row in errata_rows():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert len(cells) == 5, f"expected 5 columns (#, article, says, right, where), got {len(cells)}: {row[:80]}"
        where = cells[-1]
        links = [target(c) for name, c in ((m["name"], m["content"]) for m in ROLE.finditer(where)) if name in ("ref", "doc")]
        assert links or IN_PREPARATION in where, (
            f"errata row {cells[0]} neither links to the book nor says {IN_PREPARATION!r}: {where!r}"
        )
        for link in links:
            assert link in labels or link in pages, f"errata row {cells[0]} links to {link!r}, which no page defines"
        article = re.search(r"<source-(\d{3})>", cells[1])
        assert article, f"errata row {cells[0]} does not link the article it corrects: {cells[1]!r}"


# --------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------


def test_sources_page_has_an_entry_per_article():
    labels = set(LABEL.findall(SOURCES.read_text(encoding="utf-8")))
    missing = [a for a in ARTICLES if f"source-{a}" not in labels]
    assert missing == [], f"book/sources.md has no entry (label source-NNN) for articles {missing}"


def test_no_chapter_mentions_a_source_article_without_linking_it():
    unlinked = []
    for page in PAGES:
        if page == SOURCES:
            continue
        text = SOURCE_LINK.sub("", prose(page))
        for match in ARTICLE_MENTION.finditer(text):
            start = text.rfind("\n", 0, match.start()) + 1
            line = text[start:text.find("\n", match.end())]
            unlinked.append(f"{page.relative_to(REPO_ROOT)}: {line.strip()}")
    assert unlinked == [], (
        "these lines name a source article without a link to its entry on the sources page "
        "(write {ref}`source article 004 <source-004>`):\n  " + "\n  ".join(unlinked)
    )


def test_every_source_link_points_at_an_article_that_exists():
    bad = []
    for page in PAGES:
        for match in re.finditer(r"source-(\d{3})\b", prose(page)):
            if match[1] not in ARTICLES:
                bad.append(f"{page.relative_to(REPO_ROOT)}: source-{match[1]}")
    assert bad == [], f"these links name no source article: {bad}"


def test_each_term_is_linked_at_most_once_per_page():
    """A term links to the glossary at its first use in a chapter, not at every use."""
    seen, repeated = set(), []
    for page, content in roles("term"):
        key = (page, target(content).lower())
        if key in seen:
            repeated.append(f"{page.relative_to(REPO_ROOT)}: {target(content)}")
        seen.add(key)
    assert repeated == [], "these terms are linked more than once on the same page:\n  " + "\n  ".join(repeated)
