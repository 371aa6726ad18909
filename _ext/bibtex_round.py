"""Author–year citations in round brackets, "Elman (1990)" and "(Elman, 1990)", as the style guide
writes them; sphinxcontrib-bibtex's ``author_year`` style uses square ones and has no setting for it.

Registers the referencing style ``author_year_round`` (``bibtex_reference_style`` in _config.yml).
"""

import dataclasses

from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


@dataclasses.dataclass
class AuthorYearRoundReferenceStyle(AuthorYearReferenceStyle):
    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_author: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_year: BracketStyle = dataclasses.field(default_factory=_round)


def setup(app):
    register_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_round", AuthorYearRoundReferenceStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
