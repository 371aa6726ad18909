"""n-gram language models: counts of what followed the last ``n - 1`` tokens, smoothed.

An n-gram model predicts token ``w`` after context ``c`` (the ``n - 1`` tokens before it) from
counts ``C(c w)`` in the training text. The maximum-likelihood estimate ``C(c w) / C(c)`` gives
probability 0 to anything not seen, and one zero on held-out text makes its cross-entropy infinite,
so the counts are smoothed:

* ``smoothing="add_k"`` (Laplace for ``k = 1``)::

      p(w | c) = (C(c w) + k) / (C(c) + k V)

* ``smoothing="kneser_ney"`` (interpolated Kneser–Ney, Chen & Goodman 1999): subtract a discount
  ``D`` from every seen count and give the mass it frees to the next lower order, whose counts are
  *continuation* counts ``N1+(• c' w)`` (in how many different contexts ``w`` was seen), down to a
  uniform distribution::

      p(w | c) = max(C(c w) − D, 0) / C(c) + D · N1+(c •) / C(c) · p(w | c')

  where ``c'`` is ``c`` without its first token and ``N1+(c •)`` the number of distinct tokens seen
  after ``c``; a context never seen (``C(c) = 0``) uses ``p(w | c')`` alone.

Both give a distribution over all ``V`` tokens for every context, seen or not (the tests check that
it sums to 1). Counting is done with NumPy on integer codes of the n-grams, so a model of a few
million tokens fits in about a second per order. Near the start of a text, where fewer than
``n - 1`` tokens precede a position, the model of the order the context allows is used.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..checks import check_int, check_real, check_sequence, describe

SMOOTHINGS = ("add_k", "kneser_ney")


def _lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``values`` at the positions of ``queries`` in the sorted ``keys``; 0 where a query is absent."""
    if keys.size == 0:
        return np.zeros(queries.shape, dtype=np.float64)
    index = np.clip(np.searchsorted(keys, queries), 0, keys.size - 1)
    return np.where(keys[index] == queries, values[index], 0).astype(np.float64)


def _grouped(keys: np.ndarray, values: np.ndarray, group: np.ndarray):
    """Sum of ``values`` and number of entries per distinct ``group`` (sorted keys of the groups)."""
    groups, inverse = np.unique(group, return_inverse=True)
    return groups, np.bincount(inverse, weights=values), np.bincount(inverse)


class NGramLM:
    """An n-gram language model over ids ``0 .. vocab_size - 1``.

    ``NGramLM(n, vocab_size, smoothing="add_k", k=1.0, discount=0.75)``; :meth:`fit` counts a
    training text of ids, :meth:`probabilities` gives ``p(· | context)`` (V,), :meth:`log_probs`
    gives ``ln p(x_t | x_<t)`` for every position ``t >= 1`` of a text, :meth:`cross_entropy` their
    negative mean in nats.
    """

    def __init__(self, n: int, vocab_size: int, *, smoothing: str = "add_k", k: float = 1.0,
                 discount: float = 0.75):
        who = "NGramLM"
        self.n = check_int(who, "n", n)
        self.vocab_size = check_int(who, "vocab_size", vocab_size)
        if not isinstance(smoothing, str) or smoothing not in SMOOTHINGS:
            raise ValueError(f"{who}: smoothing must be one of {SMOOTHINGS}, got {describe(smoothing)}")
        self.smoothing = smoothing
        self.k = check_real(who, "k", k, above=0)
        self.discount = check_real(who, "discount", discount, above=0)
        if self.discount >= 1:
            raise ValueError(f"{who}: discount must be in (0, 1) (it is taken from counts of at least 1), "
                             f"got {self.discount:g}")
        if self.vocab_size ** self.n >= 2**62:
            raise ValueError(f"{who}: vocab_size**n = {self.vocab_size}**{self.n} is too large to code an n-gram "
                             "as one 64-bit integer; use a smaller n or vocabulary")
        self._tables = None

    def __repr__(self) -> str:
        extra = f"k={self.k:g}" if self.smoothing == "add_k" else f"discount={self.discount:g}"
        return f"NGramLM(n={self.n}, vocab_size={self.vocab_size}, smoothing={self.smoothing!r}, {extra})"

    # ------------------------------------------------------------------
    # Counting

    def _ids(self, who: str, ids, minimum: int) -> np.ndarray:
        if isinstance(ids, (str, bytes)):
            raise TypeError(f"{who}: expected ids (a 1-D sequence of integer ids), got {describe(ids)}; encode "
                            "the text first, e.g. vocab.encode(characters(text))")
        if isinstance(ids, torch.Tensor):
            ids = ids.detach().cpu().numpy()
        elif not isinstance(ids, np.ndarray):
            ids = check_sequence(who, "ids", ids, expected="a 1-D sequence of integer ids")
        array = np.asarray(ids)
        if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            raise TypeError(f"{who}: expected ids to be a 1-D sequence of integer ids, got {describe(array)}")
        if array.size < minimum:
            raise ValueError(f"{who}: expected at least {minimum} ids, got {array.size}"
                             + (" (an empty corpus)" if array.size == 0 else ""))
        if array.size and (array.min() < 0 or array.max() >= self.vocab_size):
            bad = int(array.min()) if array.min() < 0 else int(array.max())
            raise ValueError(f"{who}: ids must be in 0..{self.vocab_size - 1} (vocab_size={self.vocab_size}), "
                             f"got {bad}")
        return array.astype(np.int64)

    def _codes(self, ids: np.ndarray, m: int) -> np.ndarray:
        """The integer code of every m-gram of ``ids``: ``sum_j ids[t + j] V^(m-1-j)``."""
        codes = np.zeros(ids.size - m + 1, dtype=np.int64)
        for j in range(m):
            codes = codes * self.vocab_size + ids[j : ids.size - m + 1 + j]
        return codes

    def fit(self, ids) -> "NGramLM":
        """Count the n-grams of every order 1..n of ``ids`` (a 1-D sequence of ids); return ``self``."""
        ids = self._ids("NGramLM.fit", ids, minimum=self.n)
        V, tables = self.vocab_size, {}
        grams = {m: np.unique(self._codes(ids, m), return_counts=True) for m in range(1, self.n + 1)}
        for m in range(1, self.n + 1):
            keys, counts = grams[m]
            if self.smoothing == "kneser_ney" and m < self.n:
                # Continuation counts: in how many distinct contexts (one token longer) each m-gram was seen.
                longer = grams[m + 1][0] % (V ** m)
                keys, counts = np.unique(longer, return_counts=True)
            counts = counts.astype(np.float64)
            contexts, totals, types = _grouped(keys, counts, keys // V)
            tables[m] = {"keys": keys, "counts": counts, "contexts": contexts, "totals": totals,
                         "types": types.astype(np.float64)}
        self._tables = tables
        return self

    def count(self, tokens) -> int:
        """How often the m-gram ``tokens`` (a list of 1..n ids) occurs in the training text (raw count)."""
        who = "NGramLM.count"
        self._check_fitted(who)
        tokens = self._ids(who, tokens, minimum=1)
        if tokens.size > self.n:
            raise ValueError(f"{who}: expected at most n={self.n} tokens, got {tokens.size}")
        code = self._codes(tokens, tokens.size)
        if self.smoothing == "kneser_ney" and tokens.size < self.n:
            raise ValueError(f"{who}: a Kneser–Ney model keeps raw counts of {self.n}-grams only "
                             "(the lower orders hold continuation counts)")
        table = self._tables[tokens.size]
        return int(_lookup(table["keys"], table["counts"], code)[0])

    def _check_fitted(self, who: str) -> None:
        if self._tables is None:
            raise RuntimeError(f"{who}: the model has not been fitted; call fit(ids) first")

    # ------------------------------------------------------------------
    # Probabilities

    def _prob(self, m: int, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        """p(w | c) at order m for arrays of context codes (of m - 1 tokens) and words."""
        V, table = self.vocab_size, self._tables[m]
        c_cw = _lookup(table["keys"], table["counts"], contexts * V + words)
        c_c = _lookup(table["contexts"], table["totals"], contexts)
        if self.smoothing == "add_k":
            return (c_cw + self.k) / (c_c + self.k * V)
        D = self.discount
        if m == 1:
            lower = np.full(words.shape, 1.0 / V)
        else:
            lower = self._prob(m - 1, contexts % (V ** (m - 2)), words)
        types = _lookup(table["contexts"], table["types"], contexts)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = (np.maximum(c_cw - D, 0.0) + D * types * lower) / c_c
        return np.where(c_c > 0, p, lower)

    def _context_code(self, context: np.ndarray) -> int:
        code = 0
        for i in context:
            code = code * self.vocab_size + int(i)
        return code

    def probabilities(self, context) -> np.ndarray:
        """``p(w | context)`` for every ``w`` (V,), from the last ``n - 1`` ids of ``context`` (a list of
        ids, possibly empty; a shorter context uses the model of the order it allows)."""
        who = "NGramLM.probabilities"
        self._check_fitted(who)
        context = self._ids(who, context, minimum=0)
        context = context[context.size - min(context.size, self.n - 1):]
        m = context.size + 1
        words = np.arange(self.vocab_size, dtype=np.int64)
        return self._prob(m, np.full(self.vocab_size, self._context_code(context), dtype=np.int64), words)

    def log_probs(self, ids) -> np.ndarray:
        """``ln p(ids[t] | ids[:t])`` for ``t = 1 .. N-1`` (N - 1 values: the first token has no context
        and is not predicted, as for a recurrent model that reads ``ids[:-1]`` to predict ``ids[1:]``)."""
        who = "NGramLM.log_probs"
        self._check_fitted(who)
        ids = self._ids(who, ids, minimum=2)
        out = np.empty(ids.size - 1)
        for m in range(2, self.n + 1):  # the first positions, with a short context
            t = m - 1  # predicted position with m - 1 tokens before it
            if t < ids.size and m < self.n:
                out[t - 1] = math.log(self._prob(m, np.array([self._context_code(ids[:t])]), ids[t : t + 1])[0])
        start = max(self.n - 1, 1)  # every later position has a full context of n - 1 tokens
        if start < ids.size:
            codes = self._codes(ids, self.n)[start - (self.n - 1):]
            contexts, words = codes // self.vocab_size, codes % self.vocab_size
            out[start - 1 :] = np.log(self._prob(self.n, contexts, words))
        return out

    def cross_entropy(self, ids) -> float:
        """Mean ``-ln p(x_t | x_<t)`` over positions 1 .. N-1 of ``ids``, in nats."""
        return float(-self.log_probs(ids).mean())
