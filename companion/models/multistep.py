"""Forecasting many steps at once: three recurrent designs, a linear baseline, and their training.

A forecast at origin ``o`` reads ``past`` (B, W, I) — the target's last ``W`` values in channel 0,
then ``I - 1`` covariates — and the covariates of the horizon ``future`` (B, K, F), and returns
the next ``K`` values (B, K), or (B, K, Q) for ``Q`` quantiles.

* :class:`RecursiveForecaster` — one step at a time: predict ``y[o+k]``, feed the prediction back
  as the input of the next step (errors compound along the horizon).
* :class:`DirectForecaster` — one read of the past, all ``K`` values out of one linear layer.
* :class:`EncoderDecoderForecaster` — an encoder reads the past, a decoder runs over the ``K``
  steps of the horizon reading each step's covariates and clock, one output per step.
* :class:`LagRegression` — least squares (statsmodels' OLS), one regression per step of the horizon.
* :func:`fit_multistep` trains any of the three with :func:`companion.train.loop`;
  :func:`predict_multistep` runs it.

The direct and encoder–decoder models read the past one *period* (a day of 48 half-hours) per
step: a week is 7 steps of 48·I numbers instead of 336 steps, 48 times fewer sequential steps.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..checks import check_bool, check_instance, check_int, check_sequence, shape_str
from ..train.loop import loop, update
from .common import _check_sizes, _layer_classes


def _check_past_future(who: str, past, future, input_size: int, future_size: int, window: int, horizon: int):
    check_instance(who, "past", past, torch.Tensor, f"a torch.Tensor of shape (B, {window}, {input_size})")
    check_instance(who, "future", future, torch.Tensor, f"a torch.Tensor of shape (B, {horizon}, {future_size})")
    if past.dim() != 3 or past.shape[1:] != (window, input_size):
        raise ValueError(f"{who}: expected past of shape (B, {window}, {input_size}), got {shape_str(past.shape)}")
    if future.shape != (past.shape[0], horizon, future_size):
        raise ValueError(f"{who}: expected future of shape ({past.shape[0]}, {horizon}, {future_size}) "
                         f"(B from past), got {shape_str(future.shape)}")


class _PeriodEncoder(nn.Module):
    """Read ``past`` (B, W, I) as W/period steps of period·I numbers; return the layer's final state."""

    def __init__(self, who, input_size, hidden_size, window, period, cell):
        super().__init__()
        _check_sizes(who, input_size=input_size, hidden_size=hidden_size, window=window, period=period)
        if window % period:
            raise ValueError(f"{who}: window must be a whole number of periods, got window={window} and "
                             f"period={period} ({window} % {period} = {window % period})")
        self.period, self.cell = period, cell
        self.layer = _layer_classes(who, cell, True)[cell](period * input_size, hidden_size, batch_first=True)

    def forward(self, past):
        B, W, I = past.shape
        days = past.reshape(B, W // self.period, self.period * I)  # (B, W/period, period*I), in time order
        _, state = self.layer(days)
        return state  # (1, B, H), or (h, c) for an LSTM


class _Quantiles(nn.Module):
    """``Q`` ordered outputs from raw ones: the lowest, then positive steps (softplus), so they never cross."""

    def forward(self, raw):  # (..., Q)
        if raw.shape[-1] == 1:
            return raw[..., 0]
        steps = nn.functional.softplus(raw[..., 1:])
        return torch.cat([raw[..., :1], raw[..., :1] + torch.cumsum(steps, dim=-1)], dim=-1)


class DirectForecaster(nn.Module):
    """All ``horizon`` values from one read of the past.

    ``past`` (B, W, I) -> period encoder -> h (B, H); ``[h ; future.flatten]`` (B, H + K·F)
    -> linear -> (B, K), or (B, K, Q) with ``quantiles=Q > 1`` (ordered: they never cross).
    """

    def __init__(self, input_size: int, future_size: int, *, window: int, horizon: int, hidden_size: int = 32,
                 period: int = 48, cell: str = "gru", quantiles: int = 1):
        super().__init__()
        who = type(self).__name__
        _check_sizes(who, horizon=horizon, quantiles=quantiles)
        check_int(who, "future_size", future_size, minimum=0)
        self.encoder = _PeriodEncoder(who, input_size, hidden_size, window, period, cell)
        self.readout = nn.Linear(hidden_size + horizon * future_size, horizon * quantiles)
        self.sizes = (input_size, future_size, window, horizon, quantiles)
        self.order = _Quantiles()

    def forward(self, past, future, teacher=None):
        I, F, W, K, Q = self.sizes
        _check_past_future(type(self).__name__, past, future, I, F, W, K)
        state = self.encoder(past)
        h = (state[0] if isinstance(state, tuple) else state)[-1]  # (B, H)
        out = self.readout(torch.cat([h, future.flatten(1)], dim=1))  # (B, K*Q)
        return self.order(out.reshape(len(past), K, Q))


class EncoderDecoderForecaster(nn.Module):
    """Encoder over the past, decoder over the horizon.

    The encoder's final state starts a decoder that reads, at step ``k`` of the horizon, the
    clock ``[sin, cos](2π k / period)`` and the covariates ``future[:, k]`` (B, 2 + F), and
    emits ``y_k = W h_k + b``: (B, K), or (B, K, Q) ordered quantiles. No prediction is fed back.
    """

    def __init__(self, input_size: int, future_size: int, *, window: int, horizon: int, hidden_size: int = 32,
                 period: int = 48, cell: str = "gru", quantiles: int = 1):
        super().__init__()
        who = type(self).__name__
        _check_sizes(who, horizon=horizon, quantiles=quantiles)
        check_int(who, "future_size", future_size, minimum=0)
        self.encoder = _PeriodEncoder(who, input_size, hidden_size, window, period, cell)
        self.decoder = _layer_classes(who, cell, True)[cell](2 + future_size, hidden_size, batch_first=True)
        self.readout = nn.Linear(hidden_size, quantiles)
        angle = 2 * math.pi * torch.arange(horizon, dtype=torch.float32) / period
        self.register_buffer("clock", torch.stack([torch.sin(angle), torch.cos(angle)], dim=1), persistent=False)
        self.sizes = (input_size, future_size, window, horizon, quantiles)
        self.order = _Quantiles()

    def forward(self, past, future, teacher=None):
        I, F, W, K, Q = self.sizes
        _check_past_future(type(self).__name__, past, future, I, F, W, K)
        state = self.encoder(past)
        clock = self.clock.to(future.dtype).expand(len(past), K, 2)
        out, _ = self.decoder(torch.cat([clock, future], dim=2), state)  # (B, K, H)
        return self.order(self.readout(out))


class RecursiveForecaster(nn.Module):
    """One step ahead, fed back ``horizon`` times.

    At step ``k`` the input is ``[y[o+k-1], y[o+k-period], y[o+k-window], future[:, k]]``
    (B, 3 + F): the last value, the value one period and one window before the step, and the
    step's covariates; a recurrent layer (state zero at the origin) and a linear read-out give
    ``ŷ[o+k]``. Values not yet observed are the model's own predictions, except under
    ``teacher`` (B, K), the true values used in training (teacher forcing). Returns (B, K).
    """

    def __init__(self, input_size: int, future_size: int, *, window: int, horizon: int, hidden_size: int = 32,
                 period: int = 48, cell: str = "gru"):
        super().__init__()
        who = type(self).__name__
        _check_sizes(who, input_size=input_size, window=window, horizon=horizon, hidden_size=hidden_size,
                     period=period)
        check_int(who, "future_size", future_size, minimum=0)
        if period > window:
            raise ValueError(f"{who}: period must be at most window, got period={period} and window={window}")
        self.layer = _layer_classes(who, cell, True)[cell](3 + future_size, hidden_size, batch_first=True)
        self.readout = nn.Linear(hidden_size, 1)
        self.sizes = (input_size, future_size, window, horizon, period)

    def _inputs(self, values, future, k):  # values: (B, W + k...) the past, then the horizon so far
        I, F, W, K, P = self.sizes
        return torch.stack([values[:, W + k - 1], values[:, W + k - P], values[:, W + k - W]], dim=-1), future[:, k]

    def forward(self, past, future, teacher=None):
        who = type(self).__name__
        I, F, W, K, P = self.sizes
        _check_past_future(who, past, future, I, F, W, K)
        if teacher is not None:
            check_instance(who, "teacher", teacher, torch.Tensor, f"a torch.Tensor of shape ({len(past)}, {K})")
            if teacher.shape != (len(past), K):
                raise ValueError(f"{who}: expected teacher (the true targets) of shape ({len(past)}, {K}), got "
                                 f"{shape_str(teacher.shape)}")
            values = torch.cat([past[:, :, 0], teacher], dim=1)  # (B, W + K)
            k = torch.arange(K, device=past.device)
            lags = torch.stack([values[:, W + k - 1], values[:, W + k - P], values[:, k]], dim=-1)  # (B, K, 3)
            out, _ = self.layer(torch.cat([lags, future], dim=2))
            return self.readout(out)[..., 0]
        values, state, predictions = past[:, :, 0], None, []
        for k in range(K):
            lags, covariates = self._inputs(values, future, k)
            out, state = self.layer(torch.cat([lags, covariates], dim=1)[:, None], state)  # one step
            y = self.readout(out[:, 0])  # (B, 1)
            predictions.append(y)
            values = torch.cat([values, y], dim=1)
        return torch.cat(predictions, dim=1)


def fit_multistep(model: nn.Module, train, *, epochs: int, lr: float = 1e-2, valid=None,
                  loss_fn=nn.functional.mse_loss, patience: int | None = None, progress: bool = True):
    """Train ``model`` (one of the three forecasters) on ``train = (past, future, target)`` with
    :func:`companion.train.loop`, full batch; return its ``History``.

    ``target`` (N, K). A :class:`RecursiveForecaster` trains with teacher forcing (the true
    previous values as inputs). With ``valid = (past, future, target)``, the validation loss is
    the same as the training loss (teacher-forced for a recursive model: one pass, where
    free-running forecasts would cost ``K`` passes per epoch), and the weights of the best epoch
    are kept.
    ``loss_fn(prediction, target)``; for quantile outputs (N, K, Q) use a pinball loss.
    """
    who = "fit_multistep"

    def checked(name, triple):
        items = check_sequence(who, name, triple, expected="a triple (past, future, target) of tensors")
        if len(items) != 3 or not all(isinstance(t, torch.Tensor) for t in items):
            raise TypeError(f"{who}: expected {name} to be a triple (past, future, target) of tensors, got "
                            f"{len(items)} items of types {[type(t).__name__ for t in items]}")
        if not (len(items[0]) == len(items[1]) == len(items[2]) > 0):
            raise ValueError(f"{who}: expected {name}'s past, future and target to hold the same number (> 0) of "
                             f"examples, got {len(items[0])}, {len(items[1])} and {len(items[2])}")
        return items

    past, future, target = checked("train", train)
    check_bool(who, "progress", progress)
    teacher = target if isinstance(model, RecursiveForecaster) else None

    def run_epoch(optimizer, generator, epoch):
        optimizer.zero_grad()
        loss = loss_fn(model(past, future, teacher=teacher), target)
        update(model, optimizer, loss, who=who, epoch=epoch)
        return loss.item()

    validate = None
    if valid is not None:
        vp, vf, vt = checked("valid", valid)
        v_teacher = vt if isinstance(model, RecursiveForecaster) else None
        validate = lambda m: float(loss_fn(m(vp, vf, teacher=v_teacher), vt))  # noqa: E731
    return loop(model, run_epoch, epochs=epochs, lr=lr, validate=validate, patience=patience, progress=progress,
                who=who, hyperparameters={"function": who, "epochs": epochs, "lr": lr})


def predict_multistep(model: nn.Module, past, future) -> np.ndarray:
    """Free-running forecasts of ``model`` in evaluation mode, without gradients: (N, K) or (N, K, Q) float64."""
    model.eval()
    with torch.no_grad():
        return model(past, future).double().numpy()


class LagRegression:
    """Least squares per step of the horizon: ``y[o+k] ≈ β_k · [1, y[o-1], y[o+k-period], y[o+k-window],
    c_k, c_k²]`` with ``c_k`` the covariates of step ``k`` (none when ``covariates=False``).

    ``fit(past, future, target)`` with arrays ``past`` (N, W), ``future`` (N, K, F), ``target``
    (N, K) (a :class:`companion.data.HorizonWindows`' fields); ``predict(past, future)`` -> (N, K).
    Each regression is statsmodels' ``OLS`` (a pseudo-inverse): at ``k = period - 1`` the value one
    period back is ``y[o-1]`` itself, two equal columns, and OLS splits their weight.
    """

    def __init__(self, period: int = 48, covariates: bool = True, squares=()):
        self.period = check_int("LagRegression", "period", period)
        self.covariates = check_bool("LagRegression", "covariates", covariates)
        self.squares = [check_int("LagRegression", "squares[...]", f, minimum=0) for f in
                        check_sequence("LagRegression", "squares", squares, expected="a sequence of column indices")]
        self.params_ = None

    def _design(self, past, future, k):
        W = past.shape[1]
        columns = [np.ones(len(past)), past[:, -1], past[:, W + k - self.period], past[:, k]]
        if self.covariates:
            columns += [future[:, k, f] for f in range(future.shape[2])]
            columns += [future[:, k, f] ** 2 for f in self.squares]
        return np.stack(columns, axis=1)

    def _check(self, who, past, future, K=None):
        past, future = np.asarray(past, np.float64), np.asarray(future, np.float64)
        if self.covariates and future.ndim == 3 and any(f >= future.shape[2] for f in self.squares):
            raise ValueError(f"LagRegression.{who}: squares={self.squares} names a covariate column that future of "
                             f"shape {future.shape} does not have (F={future.shape[2]})")
        if past.ndim != 2 or past.shape[1] < self.period:
            raise ValueError(f"LagRegression.{who}: expected past of shape (N, W) with W >= period={self.period}, "
                             f"got {past.shape}")
        if future.ndim != 3 or len(future) != len(past) or (K is not None and future.shape[1] != K) \
                or future.shape[1] > self.period:
            raise ValueError(f"LagRegression.{who}: expected future of shape ({len(past)}, K, F) with K <= "
                             f"period={self.period}" + (f" and K={K}" if K else "") + f", got {future.shape}")
        return past, future

    def fit(self, past, future, target) -> "LagRegression":
        import warnings

        import statsmodels.api as sm  # imported here: statsmodels is slow to import
        from statsmodels.tools.sm_exceptions import SingularMatrixWarning

        past, future = self._check("fit", past, future)
        target = np.asarray(target, np.float64)
        if target.shape != future.shape[:2]:
            raise ValueError(f"LagRegression.fit: expected target of shape {future.shape[:2]}, got {target.shape}")
        with warnings.catch_warnings():  # the equal columns at k = period - 1 (see the class docstring)
            warnings.simplefilter("ignore", SingularMatrixWarning)
            self.params_ = np.stack([sm.OLS(target[:, k], self._design(past, future, k)).fit().params
                                     for k in range(target.shape[1])])
        return self

    def predict(self, past, future) -> np.ndarray:
        if self.params_ is None:
            raise RuntimeError("LagRegression.predict: not fitted yet; call fit(past, future, target) first")
        past, future = self._check("predict", past, future, K=len(self.params_))
        return np.stack([self._design(past, future, k) @ self.params_[k] for k in range(len(self.params_))], axis=1)
