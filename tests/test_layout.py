"""The package's layout: one table of modules (companion/__init__.py), the README's copy of it,
and the size rules of the architecture (no file over 400 lines; data/ and exercises/ packages)."""

import pkgutil
import re
from pathlib import Path

import companion

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "companion"


def init_table():
    """(module, text) rows of the table in companion/__init__.py's docstring, continuation lines joined."""
    doc = companion.__doc__
    body = doc[doc.index("module             what it holds"):].split("=================  ")[1]
    rows = []
    for line in body.strip("\n").splitlines()[1:]:
        if not line.strip() or line.startswith("="):
            continue
        if line.startswith(" "):
            rows[-1][1] += " " + line.strip()
        else:
            rows.append([line[:19].strip().strip("`"), line[19:].strip()])
    return [(module, text.replace("``", "`")) for module, text in rows]


def readme_table():
    text = (ROOT / "README.md").read_text()
    block = text[text.index("<!-- modules: begin -->"):text.index("<!-- modules: end -->")]
    rows = [line for line in block.splitlines() if line.startswith("| `")]
    return [tuple(cell.strip() for cell in row.strip("|").split(" | ")) for row in rows]


def test_the_readme_table_is_the_packages_table():
    readme = [(module.strip("`"), text) for module, text in readme_table()]
    assert readme == init_table()


def test_every_module_and_subpackage_is_in_the_table():
    listed = {module for module, _ in init_table()}
    present = {info.name + ("/" if info.ispkg else "") for info in pkgutil.iter_modules(companion.__path__)}
    assert listed == present, f"in the package but not the table: {present - listed}; " \
                              f"in the table but not the package: {listed - present}"


def test_no_file_in_companion_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long


def test_data_exercises_train_seq2seq_metrics_models_are_packages():
    for name in ("data", "exercises", "train", "seq2seq", "metrics", "models"):
        assert (PACKAGE / name / "__init__.py").is_file(), name


def test_pyproject_finds_the_subpackages():
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'include\s*=\s*\[\s*"companion\*?"', text) or "companion.*" in text, \
        "pyproject.toml must find companion's subpackages"


def test_one_masked_cross_entropy_and_one_lengths_to_mask():
    sources = {p: p.read_text() for p in PACKAGE.rglob("*.py")}
    for name in ("masked_cross_entropy", "lengths_to_mask", "pad_sequences"):
        defining = [str(p.relative_to(ROOT)) for p, s in sources.items() if re.search(rf"^def {name}\(", s, re.M)]
        assert defining == ["companion/masking.py"], (name, defining)
    loops = [str(p.relative_to(ROOT)) for p, s in sources.items() if "torch.optim.Adam(" in s]
    assert loops == ["companion/train/loop.py"], f"an optimizer is built outside the one loop: {loops}"
