"""Auto-checkers for the exercises.

A reader writes a function in a notebook and hands it to a checker::

    from companion.exercises import check_function
    check_function(my_mae, reference=companion.metrics.mae, make_inputs=..., name="mae")

The checker calls the reader's function and the reference on fresh random
inputs and either prints what passed or raises :class:`ExerciseError` with a
message that says which input failed and how: a wrong shape, a wrong value (with
the largest difference and where it is), or an exception from the reader's code.
Chapters define their own ``check_*`` functions on top of :func:`check_function`:

* sequences and time series: :func:`check_mase`, :func:`check_seasonal_naive`;
* sequence to sequence: :func:`check_modified_precision`, :func:`check_brevity_penalty`,
  :func:`check_length_normalized_score`;
* attention: :func:`check_additive_scores`, :func:`check_scaled_dot_product_attention`.

Every chapter checker also takes a keyword ``seed``: ``None`` (the default) draws fresh
inputs on every call; an integer draws the same inputs every time (a test, or a reader who
wants to reproduce a failure). Where a checker knows a typical mistake, a wrong answer that
equals what that mistake gives is named as such in the message.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import inspect

import numpy as np
import torch

from .bptt import rnn_step_backward
from .checks import check_bool, check_callable, check_int, check_real, describe


class ExerciseError(AssertionError):
    """The reader's function disagrees with the reference; the message says how."""


def _as_array(value, what: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (str, bytes)):  # np.asarray("1", dtype=float) would read it as the number 1
        raise ExerciseError(f"{what}: expected a number, an array or a tensor, got {describe(value)}")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ExerciseError(f"{what}: expected a number, an array or a tensor, got {describe(value)}") from error


def _describe(inputs) -> str:
    parts = []
    for name, value in inputs.items():
        if isinstance(value, (np.ndarray, torch.Tensor)):
            parts.append(f"{name}: {type(value).__name__} of shape {tuple(value.shape)}")
        else:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


def _expected(expected) -> str:
    """What the reference returned, in words, for a message: ``a dict with keys [...]``, ``an array of shape (3,)``."""
    if isinstance(expected, dict):
        return f"a dict with keys {sorted(expected)}"
    if isinstance(expected, (tuple, list)):
        return f"a {type(expected).__name__} of {len(expected)} values"
    if isinstance(expected, (np.ndarray, torch.Tensor)) and expected.ndim > 0:
        return f"an array of shape {tuple(expected.shape)}"
    return "a number"


def compare(got, expected, *, what: str, atol: float, rtol: float) -> None:
    """Raise :class:`ExerciseError` unless ``got`` equals ``expected`` in shape and, within tolerance, in value.

    ``got`` and ``expected`` may be numbers, arrays, tensors, or tuples/lists/dicts of them.
    ``None`` in ``got`` is reported as such (never read as NaN).
    """
    if not isinstance(what, str):
        raise TypeError(f"compare: expected what to be a str (names the value in messages), got {describe(what)}")
    atol = check_real("compare", "atol", atol, minimum=0)
    rtol = check_real("compare", "rtol", rtol, minimum=0)
    if got is None:
        raise ExerciseError(f"{what}: expected {_expected(expected)}, got None")
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            raise ExerciseError(f"{what}: expected a dict with keys {sorted(expected)}, got {got!r:.200}")
        for key in expected:
            compare(got[key], expected[key], what=f"{what}[{key!r}]", atol=atol, rtol=rtol)
        return
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise ExerciseError(f"{what}: expected a {type(expected).__name__} of {len(expected)} values, got {got!r:.200}")
        for i, (g, e) in enumerate(zip(got, expected)):
            compare(g, e, what=f"{what}[{i}]", atol=atol, rtol=rtol)
        return
    g, e = _as_array(got, what), _as_array(expected, "the reference")
    if g.shape != e.shape:
        raise ExerciseError(f"{what}: expected shape {e.shape}, got {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ExerciseError(f"{what}: contains NaN or infinite values")
    if not np.allclose(g, e, atol=atol, rtol=rtol):
        diff = np.abs(g - e)
        if diff.ndim == 0:  # a single number: no index to report
            raise ExerciseError(f"{what}: wrong value; expected {e:.6g}, got {g:.6g} (difference {diff:.3g})")
        where = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
        raise ExerciseError(
            f"{what}: wrong value; largest difference {diff.max():.3g} at index {tuple(int(i) for i in where)} "
            f"(expected {e[where]:.6g}, got {g[where]:.6g})"
        )


def check_function(function, *, reference, make_inputs, name: str, trials: int = 5, seed: int | None = None,
                   atol: float = 1e-8, rtol: float = 1e-6, quiet: bool = False, mistakes=()) -> None:
    """Check ``function(**inputs)`` against ``reference(**inputs)`` on ``trials`` random inputs.

    ``make_inputs(rng)`` draws one set of keyword arguments from a NumPy
    ``Generator``. Each call gets its own copy of the inputs, so a function that
    changes its arguments in place cannot hide it. ``seed=None`` draws fresh inputs
    on every call. A function that returns ``None`` (no ``return`` statement) is reported as such.

    ``mistakes`` is a sequence of ``(wrong, explanation)`` pairs: when the reader's answer
    is wrong and equals ``wrong(**inputs)`` (NaN where it has NaN), the message adds the
    explanation, e.g. ``"the scores are not divided by sqrt(d)"``.
    """
    who = "check_function"
    _check_readers_function(who, function)
    check_callable(who, "reference", reference)
    check_callable(who, "make_inputs", make_inputs, " (make_inputs(rng) -> dict of keyword arguments)")
    if not isinstance(name, str) or not name:
        raise TypeError(f"{who}: expected name to be a non-empty str, got {describe(name)}")
    check_int(who, "trials", trials)
    check_int(who, "seed", seed, minimum=0, optional=True)
    check_real(who, "atol", atol, minimum=0)
    check_real(who, "rtol", rtol, minimum=0)
    check_bool(who, "quiet", quiet)
    mistakes = _check_mistakes(who, mistakes)
    if seed is None:
        seed = _CHECKER_SEED.get()  # a chapter checker's seed=..., when one was given
    rng = np.random.default_rng(seed)
    for trial in range(1, trials + 1):
        inputs = make_inputs(rng)
        if not isinstance(inputs, dict) or not all(isinstance(key, str) for key in inputs):
            raise TypeError(f"{who}: expected make_inputs(rng) to return a dict of keyword arguments, "
                            f"got {describe(inputs)}")
        expected = reference(**copy.deepcopy(inputs))  # deep: lists of arrays are copied too
        try:
            got = function(**copy.deepcopy(inputs))
        except Exception as error:  # the reader's code failed: say where, keep the traceback
            raise ExerciseError(
                f"{name}: your function raised {type(error).__name__}: {error} (trial {trial}, inputs {_describe(inputs)})"
            ) from error
        if got is None:
            raise ExerciseError(f"{name}: your function returned None; expected {_expected(expected)}. Does it end "
                                f"with a return statement? (trial {trial}, inputs {_describe(inputs)})")
        try:
            compare(got, expected, what=f"{name}", atol=atol, rtol=rtol)
        except ExerciseError as error:
            hint = _diagnose(got, mistakes, inputs, atol=atol, rtol=rtol)
            raise ExerciseError(f"{error}{hint} (trial {trial}, inputs {_describe(inputs)})") from None
    if not quiet:
        print(f"{name}: correct on {trials} random inputs.")


def _check_mistakes(who: str, mistakes) -> list:
    if isinstance(mistakes, (str, bytes)) or not hasattr(mistakes, "__iter__"):
        raise TypeError(f"{who}: expected mistakes to be a sequence of (function, explanation) pairs, "
                        f"got {describe(mistakes)}")
    mistakes = list(mistakes)
    for pair in mistakes:
        if not (isinstance(pair, tuple) and len(pair) == 2 and callable(pair[0]) and isinstance(pair[1], str)):
            raise TypeError(f"{who}: expected each of mistakes to be a (function, explanation) pair, "
                            f"got {describe(pair)}")
    return mistakes


def _same(got, expected, atol: float, rtol: float) -> bool:
    """Whether ``got`` equals ``expected`` (nested like :func:`compare`'s), NaN equal to NaN."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and set(got) == set(expected) and all(
            _same(got[k], expected[k], atol, rtol) for k in expected)
    if isinstance(expected, (tuple, list)):
        return isinstance(got, (tuple, list)) and len(got) == len(expected) and all(
            _same(g, e, atol, rtol) for g, e in zip(got, expected))
    try:
        g, e = _as_array(got, "got"), _as_array(expected, "expected")
    except ExerciseError:
        return False
    return g.shape == e.shape and bool(np.allclose(g, e, atol=atol, rtol=rtol, equal_nan=True))


def _diagnose(got, mistakes, inputs, *, atol: float, rtol: float) -> str:
    """``"; it looks like <explanation>"`` for the first known mistake that gives ``got``, else ``""``."""
    for wrong, explanation in mistakes:
        try:
            with np.errstate(all="ignore"):
                expected = wrong(**copy.deepcopy(inputs))
        except Exception:  # the mistake does not apply to these inputs
            continue
        if _same(got, expected, atol, rtol):
            return f"; it looks like {explanation}"
    return ""


# The seed a chapter checker was given (check_mase(f, seed=3)): check_function uses it when given none.
_CHECKER_SEED: contextvars.ContextVar[int | None] = contextvars.ContextVar("checker_seed", default=None)


def _check_readers_function(who: str, function) -> None:
    if not callable(function):
        raise TypeError(f"{who}: expected your function itself, got {describe(function)}; pass the function, "
                        "not the result of calling it: check(my_function), not check(my_function(...))")


def _checker(check):
    """A ``check_*(function, trials=..., seed=None)`` of a chapter: refuse a ``function`` that is not
    callable and a ``trials`` that is not a positive integer before drawing any input; ``seed`` (an
    integer, or ``None`` for fresh inputs) is handed to :func:`check_function`."""
    signature = inspect.signature(check)

    @functools.wraps(check)
    def checked(*args, seed: int | None = None, **kwargs):
        arguments = signature.bind(*args, **kwargs).arguments
        _check_readers_function(check.__name__, arguments.get("function"))
        if "trials" in arguments:
            check_int(check.__name__, "trials", arguments["trials"])
        check_int(check.__name__, "seed", seed, minimum=0, optional=True)
        token = _CHECKER_SEED.set(seed)
        try:
            return check(*args, **kwargs)
        finally:
            _CHECKER_SEED.reset(token)

    return checked


# --- Sequences and time series ------------------------------------------------------------


def _forecast_inputs(rng):
    """A training series with trend and season, a horizon that is rarely a whole number of seasons."""
    m = int(rng.choice([1, 4, 7, 12]))
    n = int(rng.integers(m + 5, 60))
    t = np.arange(n)
    y_train = 0.1 * t + np.sin(2 * np.pi * t / m) + rng.normal(scale=0.5, size=n)
    horizon = int(rng.integers(1, 3 * m + 3))
    return y_train, horizon, m


@_checker
def check_mase(function, trials: int = 5) -> None:
    """Check the reader's ``function(y_true, y_pred, y_train, m)`` against :func:`companion.metrics.mase`.

    The inputs mix season lengths ``m`` in {1, 4, 7, 12}, so a function that scales by the
    naive forecast (``m = 1``) whatever ``m`` is, or by out-of-sample errors, is caught.
    """
    from .metrics import mase

    def make_inputs(rng):
        y_train, horizon, m = _forecast_inputs(rng)
        y_true = y_train[-1] + rng.normal(size=horizon)
        return {"y_true": y_true, "y_pred": y_true + rng.normal(scale=0.7, size=horizon), "y_train": y_train, "m": m}

    check_function(function, reference=mase, make_inputs=make_inputs, name="mase", trials=trials)


@_checker
def check_seasonal_naive(function, trials: int = 5) -> None:
    """Check the reader's ``function(y_train, horizon, m)`` against :func:`companion.baselines.seasonal_naive_forecast`.

    Horizons are often longer than one season and not a multiple of ``m``, so the forecast
    must repeat the last season as often as needed and stop part-way through it.
    """
    from .baselines import seasonal_naive_forecast

    def make_inputs(rng):
        y_train, horizon, m = _forecast_inputs(rng)
        return {"y_train": y_train, "horizon": horizon, "m": m}

    check_function(function, reference=seasonal_naive_forecast, make_inputs=make_inputs,
                   name="seasonal_naive", trials=trials)


# ----------------------------------------------------------------------------
# Backpropagation through time


def _rnn_step_inputs(rng):
    """One tanh RNN step of random sizes, and a random δ_t = dL/dh_t for it (NumPy, unbatched)."""
    I, H = (int(v) for v in rng.integers(1, 6, size=2))
    W_xh, W_hh = rng.normal(size=(H, I)) * 0.7, rng.normal(size=(H, H)) * 0.7
    x_t, h_prev, b_h = rng.normal(size=I), np.tanh(rng.normal(size=H)), rng.normal(size=H) * 0.3
    h_t = np.tanh(W_xh @ x_t + W_hh @ h_prev + b_h)
    return {"delta_t": rng.normal(size=H), "h_t": h_t, "h_prev": h_prev, "x_t": x_t, "W_xh": W_xh, "W_hh": W_hh}


@_checker
def check_rnn_step_backward(function, trials: int = 5) -> None:
    """Check ``function(delta_t, h_t, h_prev, x_t, W_xh, W_hh)``: one step of BPTT for
    ``h_t = tanh(W_xh x_t + W_hh h_prev + b_h)``, given δ_t = dL/dh_t (NumPy vectors).

    It must return a dict with the gradients ``"W_xh"``, ``"W_hh"``, ``"b_h"`` of this step
    and the vectors ``"h_prev"`` (sent back to step t-1) and ``"x_t"``, as
    :func:`companion.bptt.rnn_step_backward` does.
    """
    check_function(function, reference=rnn_step_backward, make_inputs=_rnn_step_inputs,
                   name="rnn_step_backward", trials=trials)


def _reference_clip_grad_norm(grads, max_norm):
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    return [t.grad.numpy() for t in tensors]


def _gradient_list(rng):
    """A few arrays of random shapes; the norm limit is below their global norm in most draws.

    The global norm is drawn from [1, 100]: at smaller norms torch's 1e-6 guard in
    ``max_norm / (norm + 1e-6)`` alone would exceed the checker's tolerance.
    """
    grads = [rng.normal(size=tuple(rng.integers(1, 5, size=int(rng.integers(1, 3)))))
             for _ in range(int(rng.integers(1, 4)))]
    norm = np.sqrt(sum(float(np.sum(g**2)) for g in grads))
    total = 10.0 ** rng.uniform(0, 2)
    grads = [g * (total / norm) for g in grads]
    return {"grads": grads, "max_norm": float(total * rng.choice([0.1, 0.5, 2.0]))}


@_checker
def check_clip_grad_norm(function, trials: int = 8) -> None:
    """Check ``function(grads, max_norm)``: ``grads`` a list of NumPy arrays, returning the
    list rescaled so that their global norm is at most ``max_norm``, as
    ``torch.nn.utils.clip_grad_norm_`` does (within its 1e-6 guard against dividing by zero).
    """
    check_function(function, reference=_reference_clip_grad_norm, make_inputs=_gradient_list,
                   name="clip_grad_norm", trials=trials, rtol=1e-5)


# ----------------------------------------------------------------------------
# The LSTM and GRU chapters


def _article_lstm_reference(x_t, h_prev, c_prev, W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o):
    """The article's LSTM step, via :func:`companion.cells.lstm_step` after splitting [h, x] weights."""
    from .cells import lstm_step

    H = h_prev.shape[0]
    W = torch.from_numpy(np.concatenate([W_i, W_f, W_c, W_o]))  # PyTorch's gate order i, f, g, o
    b = torch.from_numpy(np.concatenate([b_i, b_f, b_c, b_o]))
    x, h, c = (torch.from_numpy(v)[None] for v in (x_t, h_prev, c_prev))
    h_t, c_t = lstm_step(x @ W[:, H:].T + b, h, c, W[:, :H], None)
    return h_t[0].numpy(), c_t[0].numpy()


def _article_lstm_inputs(rng):
    I, H = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    inputs = {"x_t": rng.normal(size=I), "h_prev": rng.normal(size=H), "c_prev": rng.normal(size=H)}
    for gate in "fico":
        inputs[f"W_{gate}"] = rng.normal(size=(H, H + I))
    for gate in "fico":
        inputs[f"b_{gate}"] = rng.normal(size=H)
    return inputs


@_checker
def check_lstm_step(function, trials: int = 5) -> None:
    """Check ``function(x_t, h_prev, c_prev, W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o) -> (h_t, c_t)``.

    NumPy vectors ``x_t`` (I,), ``h_prev`` and ``c_prev`` (H,); each ``W_·`` is
    (H, H + I) and acts on the concatenation ``[h_{t-1}, x_t]`` (the source
    article's form, eq. lstm-gates); each ``b_·`` is (H,). A message about
    ``lstm_step[0]`` is about ``h_t``, one about ``lstm_step[1]`` about ``c_t``.
    """
    check_function(function, reference=_article_lstm_reference, make_inputs=_article_lstm_inputs,
                   name="lstm_step", trials=trials)


def _gru_reference(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    from .cells import gru_step

    x, h = torch.from_numpy(x_t)[None], torch.from_numpy(h_prev)[None]
    xw = x @ torch.from_numpy(weight_ih).T + torch.from_numpy(bias_ih)
    return gru_step(xw, h, torch.from_numpy(weight_hh), torch.from_numpy(bias_hh))[0].numpy()


def _gru_inputs(rng):
    I, H = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    return {"x_t": rng.normal(size=I), "h_prev": rng.normal(size=H),
            "weight_ih": rng.normal(size=(3 * H, I)), "weight_hh": rng.normal(size=(3 * H, H)),
            "bias_ih": rng.normal(size=3 * H), "bias_hh": rng.normal(size=3 * H)}


@_checker
def check_gru_step(function, trials: int = 5) -> None:
    """Check ``function(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh) -> h_t`` against ``torch.nn.GRUCell``'s step.

    NumPy arrays in PyTorch's layout: ``weight_ih`` (3H, I), ``weight_hh`` (3H, H),
    biases (3H,), gate order r, z, n (eq. gru-torch); ``x_t`` (I,), ``h_prev`` (H,).
    """
    check_function(function, reference=_gru_reference, make_inputs=_gru_inputs, name="gru_step", trials=trials)


def _parameter_count_reference(kind):
    def count(input_size, hidden_size, num_layers):
        layer = getattr(torch.nn, kind)(input_size, hidden_size, num_layers=num_layers)
        return sum(p.numel() for p in layer.parameters())
    return count


def _size_inputs(rng):
    return {"input_size": int(rng.integers(1, 50)), "hidden_size": int(rng.integers(1, 50)),
            "num_layers": int(rng.integers(1, 4))}


@_checker
def check_lstm_parameter_count(function, trials: int = 5) -> None:
    """Check ``function(input_size, hidden_size, num_layers) -> int`` against ``torch.nn.LSTM``'s parameter count."""
    check_function(function, reference=_parameter_count_reference("LSTM"), make_inputs=_size_inputs,
                   name="lstm_parameter_count", trials=trials, atol=0, rtol=0)


@_checker
def check_gru_parameter_count(function, trials: int = 5) -> None:
    """Check ``function(input_size, hidden_size, num_layers) -> int`` against ``torch.nn.GRU``'s parameter count."""
    check_function(function, reference=_parameter_count_reference("GRU"), make_inputs=_size_inputs,
                   name="gru_parameter_count", trials=trials, atol=0, rtol=0)


# -- variable-length sequences (the deep and bidirectional RNNs chapter) -------------------------


def _random_lengths(rng, B: int, T: int) -> torch.Tensor:
    """(B,) lengths in 1..T, at least one of them T and at least one shorter, when B > 1."""
    lengths = rng.integers(1, T + 1, size=B)
    lengths[rng.integers(B)] = T
    if B > 1 and T > 1 and (lengths == T).all():
        lengths[0] = rng.integers(1, T)
    return torch.as_tensor(lengths, dtype=torch.int64)


def _padded_inputs(rng, garbage: bool):
    """A padded batch-first batch (B, T, F) with its lengths; the padding holds large garbage."""
    B, T, F = int(rng.integers(2, 6)), int(rng.integers(3, 9)), int(rng.integers(1, 4))
    lengths = _random_lengths(rng, B, T)
    x = torch.as_tensor(rng.normal(size=(B, T, F)))
    if garbage:
        from .masking import lengths_to_mask

        pad = ~lengths_to_mask(lengths, T)
        x[pad] = torch.as_tensor(rng.uniform(50, 100, size=(int(pad.sum()), F)))
    return x, lengths


@_checker
def check_lengths_to_mask(function) -> None:
    """Check ``function(lengths) -> mask``: lengths (B,) int64 -> bool (B, max(lengths)), True on real steps."""
    from .masking import lengths_to_mask

    def as_checked(lengths):
        mask = function(lengths)
        if mask is None:
            return None  # check_function says that the function returned None
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            what = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
            raise TypeError(f"expected a torch.bool tensor, got {what}; a comparison such as a < b gives one")
        return mask.double()

    def make_inputs(rng):
        return {"lengths": _random_lengths(rng, int(rng.integers(1, 6)), int(rng.integers(1, 9)))}

    check_function(as_checked, reference=lambda lengths: lengths_to_mask(lengths).double(),
                   make_inputs=make_inputs, name="lengths_to_mask")


@_checker
def check_masked_mse(function) -> None:
    """Check ``function(prediction, target, lengths)``: the MSE over real steps only (padding holds garbage)."""
    from .masking import masked_mse

    def make_inputs(rng):
        prediction, lengths = _padded_inputs(rng, garbage=True)
        target = torch.as_tensor(rng.normal(size=tuple(prediction.shape)))
        return {"prediction": prediction, "target": target, "lengths": lengths}

    check_function(function, reference=lambda prediction, target, lengths: masked_mse(prediction, target, lengths),
                   make_inputs=make_inputs, name="masked_mse")


@_checker
def check_reverse_padded(function) -> None:
    """Check ``function(x, lengths)``: each sequence of (B, T, F) reversed within its length, padding in place."""
    from .masking import reverse_padded

    def make_inputs(rng):
        x, lengths = _padded_inputs(rng, garbage=True)
        return {"x": x, "lengths": lengths}

    check_function(function, reference=reverse_padded, make_inputs=make_inputs, name="reverse_padded")


# ----------------------------------------------------------------------------
# Deep and bidirectional RNNs


def _reference_parameter_count(cell, input_size, hidden_size, num_layers, bidirectional):
    from .layers import GRU, LSTM, RNN

    layer = {"rnn": RNN, "lstm": LSTM, "gru": GRU}[cell](input_size, hidden_size, num_layers=num_layers,
                                                          bidirectional=bidirectional)
    return sum(p.numel() for p in layer.parameters())


@_checker
def check_stacked_parameter_count(function, trials: int = 8) -> None:
    """Check ``function(cell, input_size, hidden_size, num_layers, bidirectional)``: the number
    of parameters of a ``companion.RNN``/``LSTM``/``GRU`` (``cell`` is ``"rnn"``, ``"lstm"`` or
    ``"gru"``) with PyTorch's two biases, counted by the layers themselves.

    Sizes mix one to three layers and both directions, so a formula that forgets that the
    upper layers of a bidirectional stack read ``2H`` features is caught.
    """

    def make_inputs(rng):
        return {"cell": str(rng.choice(["rnn", "lstm", "gru"])), "input_size": int(rng.integers(1, 20)),
                "hidden_size": int(rng.integers(1, 20)), "num_layers": int(rng.integers(1, 4)),
                "bidirectional": bool(rng.integers(0, 2))}

    check_function(function, reference=_reference_parameter_count, make_inputs=make_inputs,
                   name="parameter_count", trials=trials, atol=0, rtol=0)


@_checker
def check_final_states(function, trials: int = 6) -> None:
    """Check ``function(h_n, num_layers, bidirectional)``: from ``h_n`` (L·D, B, H), the last
    layer's final states, (B, H) or, when bidirectional, forward and backward joined (B, 2H),
    as :func:`companion.models.final_states` returns them.
    """
    from .models import final_states

    def make_inputs(rng):
        L, D = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        B, H = int(rng.integers(1, 5)), int(rng.integers(1, 6))
        return {"h_n": torch.from_numpy(rng.normal(size=(L * D, B, H))), "num_layers": L, "bidirectional": D == 2}

    check_function(function, reference=final_states, make_inputs=make_inputs, name="final_states", trials=trials)


# Sequence to sequence and attention


def _token_lists(rng):
    """A hypothesis and a reference over a 4-word vocabulary, so n-grams repeat and match often."""
    words = np.array(["one", "two", "three", "hundred"])
    hypothesis = list(words[rng.integers(0, 4, size=int(rng.integers(1, 9)))])
    reference = list(words[rng.integers(0, 4, size=int(rng.integers(1, 9)))])
    return {"hypothesis": hypothesis, "reference": reference, "n": int(rng.integers(1, 4))}


@_checker
def check_modified_precision(function, trials: int = 20) -> None:
    """Check ``function(hypothesis, reference, n) -> (matches, total)`` for token lists, against
    :func:`companion.metrics.modified_precision`: matches are *clipped* by the reference's counts."""
    from .metrics import modified_precision

    check_function(function, reference=modified_precision, make_inputs=_token_lists,
                   name="modified_precision", trials=trials)


@_checker
def check_brevity_penalty(function, trials: int = 20) -> None:
    """Check ``function(hyp_len, ref_len)`` against :func:`companion.metrics.brevity_penalty`,
    on lengths shorter than, equal to and longer than the reference, and on an empty output."""
    from .metrics import brevity_penalty

    def make_inputs(rng):
        ref_len = int(rng.integers(1, 50))
        return {"hyp_len": int(rng.choice([0, ref_len, rng.integers(1, 100)])), "ref_len": ref_len}

    check_function(function, reference=brevity_penalty, make_inputs=make_inputs, name="brevity_penalty",
                   trials=trials)


@_checker
def check_length_normalized_score(function, trials: int = 10) -> None:
    """Check ``function(log_prob, length, alpha)`` against :func:`companion.seq2seq.length_normalized_score`."""
    from .seq2seq import length_normalized_score

    def make_inputs(rng):
        return {"log_prob": float(-rng.exponential(5.0)), "length": int(rng.integers(1, 20)),
                "alpha": float(rng.choice([0.0, 0.6, 1.0, rng.uniform(0, 2)]))}

    check_function(function, reference=length_normalized_score, make_inputs=make_inputs,
                   name="length_normalized_score", trials=trials)


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
