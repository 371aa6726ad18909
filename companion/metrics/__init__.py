"""Error measures and scores; each returns a float.

=================  =========================================================
module             what it holds
=================  =========================================================
``forecast``       ``mae``, ``rmse``, ``mase``
``text``           ``bleu`` with ``brevity_penalty`` and ``modified_precision``; ``exact_match``
=================  =========================================================

Every public name is also importable from ``companion.metrics`` itself.
"""

from .forecast import mae, mase, rmse
from .text import bleu, brevity_penalty, exact_match, exact_matches, modified_precision

__all__ = ["mae", "rmse", "mase", "bleu", "brevity_penalty", "modified_precision", "exact_matches", "exact_match"]
