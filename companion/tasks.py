"""The tasks on which the LSTM and GRU chapters compare the RNN, the LSTM and the GRU.

* :func:`adding_problem` — the adding problem in the form of Le, Jaitly & Hinton (2015)
  and Arjovsky, Shah & Bengio (2016), a simplification of experiment 4 of Hochreiter &
  Schmidhuber (1997): a sequence of random numbers, two of them marked; the target is
  their sum. The first mark falls in the first half of the sequence, so the network has
  to keep a number for at least ``T/2`` steps. Predicting the mean of the targets, 1,
  gives a mean squared error of 1/6 ≈ 0.167 (:data:`ADDING_BASELINE_MSE`), the variance
  of the sum of two independent U(0, 1) numbers.
* :func:`adding_model`, :func:`fit_adding_problem` — build and train one
  :class:`~companion.models.Forecaster` on it, the same way for every cell, so that a
  chapter compares cells at an equal budget.
* :func:`sunspot_task` — the sunspot forecast of the RNN chapter as tensors: square-root
  counts standardised on the training years, windows, and a train / validation / test
  split in time order, scored in sunspot counts; :func:`sunspot_model` and
  :func:`fit_sunspots` build and train a forecaster on it with early stopping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from . import data, metrics, models, train
from .cells import set_forget_bias
from .checks import check_instance, check_int, describe

ADDING_BASELINE_MSE = 1.0 / 6.0  # Var(u1 + u2) for u1, u2 ~ U(0, 1): the MSE of always predicting 1


def adding_problem(n: int, T: int, *, generator: torch.Generator | None = None, dtype=torch.float32):
    """Return ``(X, y)``: ``X`` (n, T, 2) inputs and ``y`` (n,) targets.

    Channel 0 of ``X`` holds numbers drawn from U(0, 1); channel 1 is 1 at two
    positions and 0 elsewhere. One mark is drawn from the first half,
    ``0 <= p1 < T // 2``, the other from the second half, ``T // 2 <= p2 < T``;
    ``y`` is the sum of the two marked numbers. Pass a seeded ``generator`` for
    repeatable data.
    """
    n = check_int("adding_problem", "n", n)
    T = check_int("adding_problem", "T", T, minimum=2)
    if generator is not None:
        check_instance("adding_problem", "generator", generator, torch.Generator, "a torch.Generator or None")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"adding_problem: expected dtype to be a floating-point torch.dtype, got {describe(dtype)}")
    values = torch.rand(n, T, generator=generator, dtype=dtype)
    half = T // 2
    first = torch.randint(0, half, (n,), generator=generator)
    second = torch.randint(half, T, (n,), generator=generator)
    marks = torch.zeros(n, T, dtype=dtype)
    rows = torch.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    X = torch.stack([values, marks], dim=-1)
    y = values[rows, first] + values[rows, second]
    return X, y


def adding_model(cell: str, seed: int, *, hidden_size: int = 32, forget_bias: float | None = 1.0):
    """The untrained model that :func:`fit_adding_problem` starts from: a ``Forecaster(2, hidden_size)``
    on ``torch.nn``'s ``cell`` layer, its weights drawn after ``torch.manual_seed(seed)``, an
    LSTM's forget-gate bias set to ``forget_bias`` (None: PyTorch's initialisation)."""
    if cell not in models.TORCH_LAYERS:
        raise ValueError(f"adding_model: cell must be one of {sorted(models.TORCH_LAYERS)}, got {cell!r}")
    torch.manual_seed(check_int("adding_model", "seed", seed, minimum=0))
    model = models.Forecaster(2, hidden_size, cell=cell, use_torch_nn=True)
    if cell == "lstm" and forget_bias is not None:
        set_forget_bias(model.recurrent, forget_bias)
    return model


def fit_adding_problem(cell: str, train_set, valid_set, *, epochs: int, seed: int, hidden_size: int = 32,
                       solved: float | None = 0.01, forget_bias: float | None = 1.0, lr: float = 1e-2,
                       batch_size: int = 64, clip_norm: float = 1.0):
    """Train a ``Forecaster(2, hidden_size, cell=cell)`` on the adding problem; return ``(model, history)``.

    Every cell gets the same budget: at most ``epochs`` epochs of Adam (``lr``, batches of
    ``batch_size``, gradient norm clipped to ``clip_norm``), stopping after the first epoch
    whose validation MSE is below ``solved`` (None: never stop early); the weights of the
    best validation epoch are kept. The model is :func:`adding_model` (``seed`` draws its
    initial weights, and the batch order); its layer is ``torch.nn``'s (tested equal to
    ``companion``'s), whose loop over time runs in C++.
    """
    epochs = check_int("fit_adding_problem", "epochs", epochs)
    model = adding_model(cell, seed, hidden_size=hidden_size, forget_bias=forget_bias)
    history = train.fit(model, train_set, valid=valid_set, epochs=epochs, lr=lr, batch_size=batch_size,
                        clip_norm=clip_norm, stop_below=solved, seed=seed, progress=False)
    return model, history


@dataclass
class SunspotTask:
    """Yearly sunspots as a one-step forecasting task (see :func:`sunspot_task`).

    ``tensors[name] = (X, y)`` for ``name`` in ``"train"``, ``"valid"``, ``"test"``: ``X``
    (N, W, 1) windows of the scaled series, ``y`` (N,) the scaled value of the year after.
    ``target_index[name]`` (N,) is the index in ``years`` of each target.
    """

    years: np.ndarray
    counts: np.ndarray
    scaled: np.ndarray
    mean: float
    std: float
    window: int
    valid_start: int
    test_start: int
    tensors: dict
    target_index: dict

    def to_counts(self, s) -> np.ndarray:
        """Undo the scaling and the square root: scaled values -> sunspot counts (never below 0)."""
        return np.maximum(np.asarray(s) * self.std + self.mean, 0.0) ** 2

    def naive_mae(self, split: str = "test") -> float:
        """MAE in counts of the naive forecast (next year = this year) on ``split``'s targets."""
        index = self.target_index[split]
        return metrics.mae(self.counts[index], self.counts[index - 1])

    def mae(self, model, split: str = "test") -> float:
        """MAE in counts of ``model``'s one-step forecasts of ``split``'s targets."""
        X, _ = self.tensors[split]
        model.eval()
        with torch.no_grad():
            predicted = self.to_counts(model(X).cpu().numpy())
        return metrics.mae(self.counts[self.target_index[split]], predicted)


def sunspot_task(window: int = 20, n_valid: int = 30, n_test: int = 40) -> SunspotTask:
    """The RNN chapter's sunspot forecast: the last ``n_test`` years are the test set, the
    ``n_valid`` before them the validation set, the rest the training set (of targets).

    The counts go through a square root and are standardised with the mean and standard
    deviation of the training years only; each window of ``window`` years predicts the next.
    """
    years, counts = data.sunspots()
    window, n_valid, n_test = (check_int("sunspot_task", name, value)
                               for name, value in (("window", window), ("n_valid", n_valid), ("n_test", n_test)))
    test_start = len(counts) - n_test
    valid_start = test_start - n_valid
    if valid_start - window < 1:
        raise ValueError(f"sunspot_task: window={window}, n_valid={n_valid} and n_test={n_test} leave no training "
                         f"target in {len(counts)} years")
    z = np.sqrt(counts)
    mean, std = float(z[:valid_start].mean()), float(z[:valid_start].std())
    scaled = (z - mean) / std
    X, y = data.make_windows(scaled, window=window)
    index = np.arange(window, len(counts))  # the year of each target
    masks = {"train": index < valid_start, "valid": (index >= valid_start) & (index < test_start),
             "test": index >= test_start}
    tensors = {name: (torch.tensor(X[m], dtype=torch.float32).unsqueeze(-1), torch.tensor(y[m], dtype=torch.float32))
               for name, m in masks.items()}
    return SunspotTask(years=years, counts=counts, scaled=scaled, mean=mean, std=std, window=window,
                       valid_start=valid_start, test_start=test_start, tensors=tensors,
                       target_index={name: index[m] for name, m in masks.items()})


def sunspot_model(cell: str, seed: int, *, hidden_size: int = 16):
    """The untrained model that :func:`fit_sunspots` starts from: a ``Forecaster(1, hidden_size)``
    whose weights are drawn after ``torch.manual_seed(seed)``; ``torch.nn``'s layer for RNN, LSTM
    and GRU (tested equal to ``companion``'s), ``companion.ChoGRU`` for ``"cho_gru"``."""
    if cell not in models.LAYERS:
        raise ValueError(f"sunspot_model: cell must be one of {sorted(models.LAYERS)}, got {cell!r}")
    torch.manual_seed(check_int("sunspot_model", "seed", seed, minimum=0))
    return models.Forecaster(1, hidden_size, cell=cell, use_torch_nn=cell in models.TORCH_LAYERS)


def fit_sunspots(task: SunspotTask, cell: str, *, seed: int, epochs: int, hidden_size: int = 16,
                 patience: int | None = None, lr: float = 1e-2):
    """Train a ``Forecaster(1, hidden_size, cell=cell)`` on ``task``'s training windows; return ``(model, history)``.

    Full-batch Adam for at most ``epochs`` epochs, as in the RNN chapter; the weights of the
    best validation epoch are kept, and ``patience`` epochs without a better validation loss
    stop training (the model has converged). The model is :func:`sunspot_model`; ``seed``
    draws its initial weights.
    """
    model = sunspot_model(cell, seed, hidden_size=hidden_size)
    history = train.fit(model, task.tensors["train"], valid=task.tensors["valid"], epochs=epochs, lr=lr,
                        patience=patience, seed=seed, progress=False)
    return model, history
