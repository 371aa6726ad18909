"""Figures the chapters share. Each function draws on a matplotlib ``Axes`` and returns it.

* :func:`draw_unrolled_rnn` — the folded and the unrolled RNN;
* :func:`learning_curves` — training and validation loss per epoch of several runs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .checks import check_instance, check_int
from .train import History


def _box(ax, x, y, text, color):
    ax.add_patch(FancyBboxPatch((x - 0.32, y - 0.22), 0.64, 0.44, boxstyle="round,pad=0.03",
                                facecolor=color, edgecolor="black", linewidth=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=12)


def _arrow(ax, start, end, text=None, color="black", text_offset=(0.0, 0.0)):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color=color, linewidth=1.2))
    if text:
        ax.text((start[0] + end[0]) / 2 + text_offset[0], (start[1] + end[1]) / 2 + text_offset[1], text,
                ha="center", va="center", fontsize=10, color=color)


def draw_unrolled_rnn(T: int = 4, ax=None):
    """The folded RNN (left) and the same network unrolled over ``T`` steps (right).

    Boxes: inputs x_t (bottom), hidden states h_t (middle), outputs y_t (top).
    Every arrow of one kind carries the same matrix: W_xh up from x_t, W_hh
    across from h_{t-1}, W_hy up to y_t — the parameters are shared in time. ``T`` >= 1.
    """
    T = check_int("draw_unrolled_rnn", "T", T)
    if ax is not None:
        check_instance("draw_unrolled_rnn", "ax", ax, Axes, "a matplotlib Axes or None")
    if ax is None:
        _, ax = plt.subplots(figsize=(2.2 + 1.6 * T, 3.4))
    colors = {"x": "#dbe9f6", "h": "#fde3c8", "y": "#d9f0d3"}
    # Folded network with its self-loop.
    _box(ax, 0, 0, "$x_t$", colors["x"])
    _box(ax, 0, 1.2, "$h_t$", colors["h"])
    _box(ax, 0, 2.4, "$y_t$", colors["y"])
    _arrow(ax, (0, 0.22), (0, 0.98), "$W_{xh}$", text_offset=(0.28, 0))
    _arrow(ax, (0, 1.42), (0, 2.18), "$W_{hy}$", text_offset=(0.28, 0))
    ax.add_patch(FancyArrowPatch((0.34, 1.32), (0.34, 1.08), arrowstyle="-|>", mutation_scale=14,
                                 connectionstyle="arc,angleA=0,angleB=0,armA=28,armB=28,rad=6",
                                 color="tab:red", linewidth=1.2))
    ax.text(0.62, 1.5, "$W_{hh}$", color="tab:red", fontsize=10, va="center")
    ax.text(1.3, 1.2, "=", fontsize=18, ha="center", va="center")
    # Unrolled network.
    x0 = 2.6
    for t in range(T):
        x = x0 + 1.6 * t
        label = f"{t + 1}" if t < T - 1 else "T"
        _box(ax, x, 0, f"$x_{{{label}}}$", colors["x"])
        _box(ax, x, 1.2, f"$h_{{{label}}}$", colors["h"])
        _box(ax, x, 2.4, f"$y_{{{label}}}$", colors["y"])
        _arrow(ax, (x, 0.22), (x, 0.98))
        _arrow(ax, (x, 1.42), (x, 2.18))
        start = x - 1.6 + 0.32 if t > 0 else x - 0.95
        _arrow(ax, (start, 1.2), (x - 0.32, 1.2), "$W_{hh}$" if t > 0 else "$h_0$", color="tab:red",
               text_offset=(0, 0.17))
    ax.set_xlim(-0.6, x0 + 1.6 * (T - 1) + 0.6)
    ax.set_ylim(-0.45, 2.8)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def learning_curves(histories, ax=None, *, ylabel: str = "loss", title: str | None = None, train: bool = True,
                    valid: bool = True, logy: bool = True):
    """Training (solid) and validation (dashed) loss per epoch of each run, a dot at the kept epoch.

    ``histories`` maps a label (a seed, a model's name) to a :class:`companion.train.History`;
    a run without validation losses draws its training curve only. Returns the ``Axes``.
    """
    check_instance("learning_curves", "histories", histories, dict, "a dict {label: History}")
    if not histories:
        raise ValueError("learning_curves: expected at least one History, got an empty dict")
    for label, history in histories.items():
        check_instance("learning_curves", f"histories[{label!r}]", history, History, "a companion.train.History")
    if not (train or valid):
        raise ValueError("learning_curves: train=False and valid=False leave nothing to draw")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.4))
    check_instance("learning_curves", "ax", ax, Axes, "a matplotlib Axes or None")
    for k, (label, history) in enumerate(histories.items()):
        color = f"C{k % 10}"
        if train and history.train_loss:
            ax.plot(range(len(history.train_loss)), history.train_loss, color=color, label=f"{label}: training")
        if valid and history.valid_loss:
            ax.plot(range(len(history.valid_loss)), history.valid_loss, color=color, linestyle="--",
                    label=f"{label}: validation")
            if history.best_epoch is not None:
                ax.plot(history.best_epoch, history.valid_loss[history.best_epoch], "o", color=color)
    ax.set(xlabel="epoch", ylabel=ylabel, yscale="log" if logy else "linear",
           title=title if title is not None else "Learning curves (dashed: validation; dot: the kept epoch)")
    ax.legend(fontsize="small", ncol=2 if len(histories) > 3 else 1)
    return ax
