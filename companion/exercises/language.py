"""Checkers of the language-model chapter: an add-k bigram table, top-k filtering, softmax with temperature."""

from __future__ import annotations

import numpy as np
import torch

from .core import _checker, check_function


def _reference_add_k_bigram(ids, vocab_size, k):
    from ..models import NGramLM

    model = NGramLM(2, vocab_size, smoothing="add_k", k=k).fit(ids)
    return np.stack([model.probabilities([prev]) for prev in range(vocab_size)])


@_checker
def check_add_k_bigram(function, trials: int = 10) -> None:
    """Check ``function(ids, vocab_size, k) -> P`` (V, V) with ``P[a, b] = p(b | a)`` add-k smoothed
    (each row sums to 1), on short random texts of ids where some pairs and some tokens never occur,
    against :class:`companion.models.NGramLM`."""
    def make_inputs(rng):
        V = int(rng.integers(3, 8))
        used = int(rng.integers(2, V + 1))  # tokens used >= used never occur: their rows are uniform
        ids = [int(i) for i in rng.integers(0, used, size=int(rng.integers(4, 30)))]
        return {"ids": ids, "vocab_size": V, "k": float(rng.choice([1.0, 0.5, rng.uniform(0.01, 2)]))}

    def row_sums_unnormalised(ids, vocab_size, k):  # the counts plus k, not divided by the row's total
        counts = np.zeros((vocab_size, vocab_size))
        for a, b in zip(ids[:-1], ids[1:]):
            counts[a, b] += 1
        return counts + k

    def laplace_always(ids, vocab_size, k):
        return _reference_add_k_bigram(ids, vocab_size, 1.0)

    check_function(function, reference=_reference_add_k_bigram, make_inputs=make_inputs, name="add_k_bigram",
                   trials=trials, mistakes=[(row_sums_unnormalised, "the counts plus k are not divided by "
                                             "C(a) + k V, the row's total"),
                                            (laplace_always, "k is always 1 (Laplace) instead of the argument k")])


def _reference_top_k(logits, k):
    from ..sampling import top_k_filter

    return top_k_filter(torch.as_tensor(logits), k).numpy()


@_checker
def check_top_k_filter(function, trials: int = 10) -> None:
    """Check ``function(logits, k)``: the logits (B, V) with every entry outside the ``k`` largest of
    its row replaced by ``-inf`` (compared as: the same entries kept, with the same values),
    against :func:`companion.sampling.top_k_filter`."""
    def make_inputs(rng):
        B, V = int(rng.integers(1, 4)), int(rng.integers(3, 10))
        return {"logits": torch.as_tensor(rng.normal(size=(B, V)) * 3), "k": int(rng.integers(1, V))}

    def kept(logits, k):  # -inf cannot be compared by value: compare which entries survive, and their values
        out = function(logits, k)
        if out is None:
            return None  # check_function says that the function returned None
        out = out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out, dtype=float)
        return {"kept": np.isfinite(out).astype(float), "values": np.where(np.isfinite(out), out, 0.0)}

    def reference(logits, k):
        out = _reference_top_k(logits, k)
        return {"kept": np.isfinite(out).astype(float), "values": np.where(np.isfinite(out), out, 0.0)}

    def smallest_k(logits, k):
        out = -_reference_top_k(-logits, k)
        out = np.where(np.isfinite(out), out, -np.inf)
        return {"kept": np.isfinite(out).astype(float), "values": np.where(np.isfinite(out), out, 0.0)}

    check_function(kept, reference=reference, make_inputs=make_inputs, name="top_k_filter", trials=trials,
                   mistakes=[(smallest_k, "the k smallest logits are kept instead of the k largest")])


def _reference_softmax_with_temperature(logits, temperature):
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    weights = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True)


@_checker
def check_softmax_with_temperature(function, trials: int = 10) -> None:
    """Check ``function(logits, temperature) -> probabilities`` (V,): ``softmax(logits / temperature)``,
    at temperatures from 0.05 (where exp overflows unless the maximum is subtracted) to 5."""
    def make_inputs(rng):
        V = int(rng.integers(2, 10))
        return {"logits": rng.normal(size=V) * 10, "temperature": float(rng.choice([0.05, 1.0, rng.uniform(0.2, 5)]))}

    def times_temperature(logits, temperature):
        return _reference_softmax_with_temperature(np.asarray(logits) * temperature ** 2, temperature)

    check_function(function, reference=_reference_softmax_with_temperature, make_inputs=make_inputs,
                   name="softmax_with_temperature", trials=trials,
                   mistakes=[(times_temperature, "the logits are multiplied by the temperature instead of divided")])
