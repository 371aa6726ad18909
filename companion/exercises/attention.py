"""Checkers of the attention chapter: additive scores, scaled dot-product attention."""

from __future__ import annotations

import numpy as np

from .core import _checker, check_function


def _reference_additive_scores(query, keys, W_q, W_k, v):
    return np.tanh(keys @ W_k.T + W_q @ query) @ v


@_checker
def check_additive_scores(function, trials: int = 5) -> None:
    """Check ``function(query, keys, W_q, W_k, v)``: Bahdanau's scores ``v^T tanh(W_q q + W_k k_j)``
    for one query (Q,) and keys (S, K), with W_q (A, Q), W_k (A, K), v (A,); returns (S,)."""
    def make_inputs(rng):
        Q, K, A, S = (int(x) for x in rng.integers(2, 7, size=4))
        return {"query": rng.normal(size=Q), "keys": rng.normal(size=(S, K)), "W_q": rng.normal(size=(A, Q)),
                "W_k": rng.normal(size=(A, K)), "v": rng.normal(size=A)}

    check_function(function, reference=_reference_additive_scores, make_inputs=make_inputs,
                   name="additive_scores", trials=trials)


def _reference_attention(Q, K, V):
    scores = Q @ K.T / np.sqrt(K.shape[1])
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    return (weights / weights.sum(axis=1, keepdims=True)) @ V


def _softmax(scores, axis):
    weights = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return weights / weights.sum(axis=axis, keepdims=True)


def _attention_inputs(rng):
    """Q (T, d), K (S, d), V (S, d_v) with T, S, d >= 2, at a scale where the answer hinges on every detail.

    * Scaled scores ``q·k / sqrt(d)`` of order one (std 1.5): the softmax is far from one-hot, so
      leaving out the ``1 / sqrt(d)`` (which multiplies the spread by ``sqrt(d) >= 1.4``), or any
      other change to the scores, changes the weights by far more than the tolerance. (Scores of
      order ten or more saturate the softmax into the same one-hot weights either way: then a wrong
      scaling passes.)
    * At least two queries, two keys and two features: with one key every softmax is 1, with
      ``d = 1`` the scaling is 1, with one query the softmax's axis cannot be wrong. The scores of
      each query spread over 0.5 to 8 (redrawn until they do): equal scores give uniform weights
      whatever the scaling.
    * Large scores all the same: the first feature of every key is one large constant and that
      of each query a positive number, which adds 800 to 3000 to all the scores of a query. The
      softmax over the keys cancels it exactly, but ``np.exp`` of such a score overflows to
      ``inf`` (and ``inf / inf`` is NaN) unless each row's maximum is subtracted first.
    """
    T, S = (int(x) for x in rng.integers(2, 7, size=2))
    d = int(rng.integers(2, 9))
    # sqrt(d_v) differs from 1, sqrt(d) and d: dividing by it is a mistake of its own, named as such
    d_v = int(rng.choice([v for v in range(2, 7) if v not in (d, d * d)]))
    sigma = np.sqrt(1.5)  # std of q·k / sqrt(d) over the random features: sigma_q * sigma_k = 1.5
    while True:  # each query's scores must spread over 0.5 to 8: neither uniform nor one-hot weights
        Q, K = rng.normal(size=(T, d)) * sigma, rng.normal(size=(S, d)) * sigma
        spread = np.ptp(Q[:, 1:] @ K[:, 1:].T / np.sqrt(d), axis=1)
        if spread.min() >= 0.5 and spread.max() <= 8:
            break
    offset = 800.0 * np.sqrt(d)  # q_0 k_0 / sqrt(d) >= 800: beyond exp's range (about 709)
    Q[:, 0] = rng.uniform(1.0, 3.0, size=T)
    K[:, 0] = offset
    while True:  # values of two keys differ by 0.5 or more somewhere: moved weight moves the output
        V = rng.normal(size=(S, d_v))
        if np.abs(V[:, None, :] - V[None, :, :]).max(axis=2)[~np.eye(S, dtype=bool)].min() >= 0.5:
            break
    return {"Q": Q, "K": K, "V": V}


_ATTENTION_MISTAKES = (
    (lambda Q, K, V: _softmax(Q @ K.T, 1) @ V,
     "the scores are not divided by sqrt(d) (d = K.shape[1], the width of queries and keys)"),
    (lambda Q, K, V: _softmax(Q @ K.T / K.shape[1], 1) @ V, "the scores are divided by d instead of sqrt(d)"),
    (lambda Q, K, V: _softmax(Q @ K.T / np.sqrt(V.shape[1]), 1) @ V,
     "the scores are divided by sqrt(d_v), the width of V, instead of sqrt(d), the width of K"),
    (lambda Q, K, V: _softmax(Q @ K.T / np.sqrt(K.shape[1]), 0) @ V,
     "the softmax runs over the queries (axis 0); each query's weights must sum to 1 over the keys (axis 1)"),
    (lambda Q, K, V: _softmax(Q @ K.T / np.sqrt(K.shape[1]), None) @ V,
     "the softmax runs over the whole score matrix; it must run over the keys of each query (axis 1)"),
    (lambda Q, K, V: _softmax(K @ Q.T / np.sqrt(K.shape[1]), 1) @ V,
     "the scores are K Q^T, one row per key; they must be Q K^T, (T, S), one row per query"),
    (lambda Q, K, V: _softmax(Q @ K.T / np.sqrt(K.shape[1]), 1),
     "these are the weights softmax(Q K^T / sqrt(d)), (T, S); the answer is the weights times V"),
    (lambda Q, K, V: (lambda e: e / e.sum(axis=1, keepdims=True))(np.exp(Q @ K.T / np.sqrt(K.shape[1]))) @ V,
     "np.exp overflowed on large scores (inf / inf is NaN); subtract each row's maximum before np.exp: "
     "the softmax does not change, and the largest exponent becomes 0"),
)


@_checker
def check_scaled_dot_product_attention(function, trials: int = 5) -> None:
    """Check ``function(Q, K, V)``: ``softmax(Q K^T / sqrt(d)) V`` for Q (T, d), K (S, d), V (S, d_v),
    the softmax over the S keys of each query; returns (T, d_v).

    The scores are large (each query's scores share an offset of 800 or more, which the softmax
    cancels), so the exponentials overflow unless each row's maximum is subtracted first; their
    differences are of order one, so a wrong scaling or a softmax over the wrong axis changes the
    answer on every input. A message names the typical mistake the answer matches, if any.
    """
    check_function(function, reference=_reference_attention, make_inputs=_attention_inputs,
                   name="scaled_dot_product_attention", trials=trials, mistakes=_ATTENTION_MISTAKES)
