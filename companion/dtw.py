"""Dynamic time warping (Sakoe and Chiba, 1978): the distance between two sequences of frames
once their time axes are aligned, and the nearest-neighbour classifier built on it.

The accumulated cost of aligning frames ``a[:i]`` with ``b[:j]`` obeys

    D[i, j] = d(a[i-1], b[j-1]) + min(D[i-1, j], D[i, j-1], D[i-1, j-1]),   D[0, 0] = 0,

(``D[i, 0] = D[0, j] = inf`` otherwise) with ``d`` the Euclidean distance between frames; the
DTW distance is ``D[n, m]``. Every cell of one anti-diagonal ``i + j = s`` depends only on the
two diagonals before it, so :func:`dtw_distances` fills a whole diagonal — for every template at
once — in one vectorised step: ``n + m`` NumPy steps instead of ``n * m`` Python ones.
"""

from __future__ import annotations

import numpy as np

from .checks import check_bool, check_int, describe


def _frames(who: str, name: str, value, features: int | None = None) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64) if not isinstance(value, (str, bytes, dict)) else None
    if array is None or array.ndim != 2 or array.shape[0] == 0 or (features is not None and array.shape[1] != features):
        F = features if features is not None else "F"
        raise ValueError(f"{who}: expected {name} of shape (T, {F}) with T >= 1 frames, got {describe(value)}")
    if not np.isfinite(array).all():
        raise ValueError(f"{who}: {name} holds NaN or infinite values")
    return array


def _accumulate(queries: np.ndarray, padded: np.ndarray, m: np.ndarray) -> np.ndarray:
    """DTW distances (Q, N) between ``queries`` (Q, n, F), all of n frames, and ``padded`` templates
    (N, M, F) of true lengths ``m`` (N,): one vectorised step per anti-diagonal of the (n, M) grid."""
    Q, n, _ = queries.shape
    N, M, _ = padded.shape
    # cost[q, k, i, j] = |query_q[i] - template_k[j]|; cells past a template's end never reach its D[n, m_k].
    square = (queries ** 2).sum(-1)[:, None, :, None] + (padded ** 2).sum(-1)[None, :, None, :]
    cost = np.sqrt(np.maximum(square - 2 * np.einsum("qif,kjf->qkij", queries, padded), 0.0))
    D = np.full((Q, N, n + 1, M + 1), np.inf)
    D[:, :, 0, 0] = 0.0
    for s in range(2, n + M + 1):  # anti-diagonal i + j = s, 1 <= i <= n, 1 <= j <= M
        i = np.arange(max(1, s - M), min(n, s - 1) + 1)
        j = s - i
        best = np.minimum(np.minimum(D[:, :, i - 1, j], D[:, :, i, j - 1]), D[:, :, i - 1, j - 1])
        D[:, :, i, j] = cost[:, :, i - 1, j - 1] + best
    return D[:, np.arange(N), n, m]


def _pad(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    m = np.array([len(a) for a in arrays])
    padded = np.zeros((len(arrays), int(m.max()), arrays[0].shape[1]))
    for k, a in enumerate(arrays):
        padded[k, :len(a)] = a
    return padded, m


def _check_templates(who: str, templates, features: int) -> list[np.ndarray]:
    if isinstance(templates, np.ndarray) and templates.ndim == 2:
        templates = [templates]
    if not isinstance(templates, (list, tuple)) or len(templates) == 0:
        raise TypeError(f"{who}: expected templates to be a non-empty list of (m_k, {features}) arrays, got "
                        f"{describe(templates)}")
    return [_frames(who, f"templates[{k}]", t, features) for k, t in enumerate(templates)]


def _distance_matrix(queries: list[np.ndarray], templates: list[np.ndarray], normalize: bool,
                     chunk: int = 64) -> np.ndarray:
    """(len(queries), len(templates)) DTW distances. Queries of equal length go through together;
    templates are sorted by length and padded in chunks of ``chunk``, so little of the grid is padding."""
    out = np.empty((len(queries), len(templates)))
    order = np.argsort([len(t) for t in templates], kind="stable")
    chunks = [order[c:c + chunk] for c in range(0, len(order), chunk)]
    padded_chunks = [_pad([templates[k] for k in idx]) for idx in chunks]
    n_all = np.array([len(q) for q in queries])
    for n in np.unique(n_all):
        rows = np.flatnonzero(n_all == n)
        for start in range(0, len(rows), 16):  # at most 16 queries at once: bounded memory
            block = rows[start:start + 16]
            stacked = np.stack([queries[r] for r in block])
            for idx, (padded, m) in zip(chunks, padded_chunks):
                d = _accumulate(stacked, padded, m)
                out[np.ix_(block, idx)] = d / (n + m) if normalize else d
    return out


def dtw_distances(query, templates, *, normalize: bool = False) -> np.ndarray:
    """DTW distances (N,) from ``query`` (n, F) to each of ``templates``, a list of N arrays (m_k, F).

    ``normalize=True`` divides each distance by ``n + m_k``, the most steps an alignment path can
    take, so that long templates are not favoured or penalised merely for their length.
    """
    who = "dtw_distances"
    query = _frames(who, "query", query)
    templates = _check_templates(who, templates, query.shape[1])
    check_bool(who, "normalize", normalize)
    return _distance_matrix([query], templates, normalize)[0]


def dtw_distance(a, b, *, normalize: bool = False) -> float:
    """The DTW distance between two sequences ``a`` (n, F) and ``b`` (m, F)."""
    a = _frames("dtw_distance", "a", a)
    b = _frames("dtw_distance", "b", b, a.shape[1])
    return float(dtw_distances(a, [b], normalize=normalize)[0])


def dtw_nearest_neighbour(queries, templates, labels, *, normalize: bool = True, k: int = 1) -> np.ndarray:
    """Classify each of ``queries`` (a list of (n_i, F) arrays) by a majority vote of its ``k``
    nearest ``templates`` under DTW (ties go to the nearest of the tied labels); ``labels`` (N,)
    are the templates' integer labels. Returns the predicted labels (len(queries),), int64."""
    who = "dtw_nearest_neighbour"
    labels = np.asarray(labels)
    if not isinstance(templates, (list, tuple)) or labels.ndim != 1 or labels.dtype.kind not in "iu" \
            or len(labels) != len(templates):
        raise ValueError(f"{who}: expected templates (a list of N arrays) and labels (N,) of integers, one per "
                         f"template, got {describe(templates)} and {describe(labels)}")
    if not isinstance(queries, (list, tuple)) or len(queries) == 0:
        raise TypeError(f"{who}: expected queries to be a non-empty list of (n_i, F) arrays, got {describe(queries)}")
    k = check_int(who, "k", k)
    if k > len(templates):
        raise ValueError(f"{who}: k={k} is more than the {len(templates)} templates")
    queries = [_frames(who, f"queries[{q}]", x) for q, x in enumerate(queries)]
    templates = _check_templates(who, templates, queries[0].shape[1])
    check_bool(who, "normalize", normalize)
    distances = _distance_matrix(queries, templates, normalize)
    predictions = np.empty(len(queries), dtype=np.int64)
    for q, d in enumerate(distances):
        nearest = np.argsort(d, kind="stable")[:k]
        votes = np.bincount(labels[nearest])
        tied = np.flatnonzero(votes == votes.max())
        predictions[q] = next(int(labels[i]) for i in nearest if labels[i] in tied)
    return predictions
