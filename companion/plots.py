"""Figures the chapters share. Each function draws on a matplotlib ``Axes`` and returns it.

* :func:`draw_unrolled_rnn` — the folded and the unrolled RNN;
* :func:`learning_curves` — training and validation loss per epoch of several runs;
* :func:`draw_lstm_cell`, :func:`draw_gru_cell` — one step of each, in the symbols of their equations.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

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


# -- cell diagrams: the symbols are the equations' (the LSTM and GRU chapters) ---------------------


def _node(ax, x, y, text, color="white", radius=0.27):
    """A round operation node: ⊙ (element-wise product), + (sum), or a word such as tanh."""
    ax.add_patch(Circle((x, y), radius, facecolor=color, edgecolor="black", linewidth=1, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=11 if len(text) == 1 else 8, zorder=4)


def _gate(ax, x, y, function, symbol, side="left"):
    """A layer box (σ or tanh of ``W_x· x_t + W_h· h_{t-1} + b``) and the gate's symbol above it, on ``side``."""
    ax.add_patch(FancyBboxPatch((x - 0.34, y - 0.25), 0.68, 0.5, boxstyle="round,pad=0.03", facecolor="#fde3c8",
                                edgecolor="black", linewidth=1, zorder=3))
    ax.text(x, y, function, ha="center", va="center", fontsize=10, zorder=4)
    dx = 0.4 if side == "right" else -0.4
    ax.text(x + dx, y + 0.45, symbol, ha="left" if side == "right" else "right", va="center", fontsize=11,
            color="tab:red")


def _finish(ax, xlim, ylim, title):
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    return ax


def _diagram_axes(who: str, ax, size):
    if ax is not None:
        check_instance(who, "ax", ax, Axes, "a matplotlib Axes or None")
        return ax
    return plt.subplots(figsize=size)[1]


def draw_lstm_cell(ax=None):
    """One LSTM step, equations (lstm-gates), (lstm-cell) and (lstm-hidden) of the LSTM chapter.

    The cell state runs along the top: ``c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t``, a product with a gate
    and a sum, no matrix. Below, ``[h_{t-1}, x_t]`` feeds the four layers: the gates ``f_t``,
    ``i_t``, ``o_t`` (σ) and the candidate ``g_t`` (tanh); ``h_t = o_t ⊙ tanh(c_t)``.
    """
    ax = _diagram_axes("draw_lstm_cell", ax, (8.0, 3.6))
    top, gates, bus = 3.0, 1.55, 0.55
    ax.text(-0.1, top, "$c_{t-1}$", ha="right", va="center", fontsize=12)
    ax.text(-0.1, bus, "$h_{t-1}$", ha="right", va="center", fontsize=12)
    ax.text(1.1, -0.55, "$x_t$", ha="center", va="top", fontsize=12)
    _arrow(ax, (1.1, -0.5), (1.1, bus))
    ax.plot([0, 7.3], [bus, bus], color="black", linewidth=1.2)  # the bus [h_{t-1}, x_t]
    _node(ax, 2.5, top, "⊙")
    _node(ax, 4.7, top, "+")
    _node(ax, 4.7, 2.25, "⊙")
    _node(ax, 7.9, 2.25, "tanh", radius=0.33)
    _node(ax, 7.9, gates, "⊙")
    _arrow(ax, (0, top), (2.23, top))
    _arrow(ax, (2.77, top), (4.43, top))
    _arrow(ax, (4.97, top), (9.4, top), "$c_t$", text_offset=(1.8, 0.2))
    for x, function, symbol, side in ((2.5, "σ", "$f_t$", "left"), (3.9, "σ", "$i_t$", "left"),
                                      (5.5, "tanh", "$g_t$", "right"), (7.0, "σ", "$o_t$", "left")):
        _arrow(ax, (x, bus), (x, gates - 0.27))
        _gate(ax, x, gates, function, symbol, side)
    _arrow(ax, (2.5, gates + 0.27), (2.5, top - 0.27))
    _arrow(ax, (3.9, gates + 0.27), (4.47, 2.1))
    _arrow(ax, (5.5, gates + 0.27), (4.93, 2.1))
    _arrow(ax, (4.7, 2.52), (4.7, top - 0.27))
    _arrow(ax, (7.9, top), (7.9, 2.58))
    _arrow(ax, (7.9, 1.92), (7.9, gates + 0.27))
    _arrow(ax, (7.34, gates), (7.63, gates))
    _arrow(ax, (8.17, gates), (9.4, gates), "$h_t$", text_offset=(0.8, 0.2))
    ax.text(4.7, 3.55, "$c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$", ha="center", fontsize=10)
    ax.text(9.0, 0.95, "$h_t = o_t \\odot \\tanh(c_t)$", ha="center", fontsize=10)
    return _finish(ax, (-1.1, 10.6), (-1.1, 3.9), "One LSTM step (σ, tanh: a layer on $[h_{t-1}, x_t]$)")


def draw_gru_cell(ax=None):
    """One GRU step in PyTorch's form, equations (gru-gates) and (gru-torch) of the GRU chapter.

    The state runs along the top: ``h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}``. The reset gate
    ``r_t`` scales the recurrent part of the candidate, ``n_t = tanh(W_xn x_t + b_xn +
    r_t ⊙ (W_hn h_{t-1} + b_hn))``; the update gate ``z_t`` mixes old state and candidate.
    """
    ax = _diagram_axes("draw_gru_cell", ax, (8.0, 3.6))
    top, mix, gates, bus = 3.0, 2.35, 1.45, 0.55
    ax.text(-0.1, top, "$h_{t-1}$", ha="right", va="center", fontsize=12)
    ax.text(1.1, -0.55, "$x_t$", ha="center", va="top", fontsize=12)
    _arrow(ax, (1.1, -0.5), (1.1, bus))
    ax.plot([0.4, 6.3], [bus, bus], color="black", linewidth=1.2)  # the bus [h_{t-1}, x_t]
    ax.plot([0.4, 0.4], [top, bus], color="black", linewidth=1.2)  # h_{t-1} down to the bus
    _node(ax, 2.4, top, "⊙")
    _node(ax, 7.4, top, "+")
    _node(ax, 6.6, mix, "1−", radius=0.27)
    _node(ax, 7.4, mix, "⊙", radius=0.25)
    _arrow(ax, (0, top), (2.13, top))
    _arrow(ax, (2.67, top), (7.13, top))
    _arrow(ax, (7.67, top), (9.4, top), "$h_t$", text_offset=(0.9, 0.2))
    for x, function, symbol, side in ((2.4, "σ", "$z_t$", "left"), (4.2, "σ", "$r_t$", "left"),
                                      (5.8, "tanh", "$n_t$", "right")):
        _arrow(ax, (x, bus), (x, gates - 0.27))
        _gate(ax, x, gates, function, symbol, side)
    _arrow(ax, (2.4, gates + 0.27), (2.4, top - 0.27))  # z_t ⊙ h_{t-1}
    ax.plot([2.4, 6.33], [mix, mix], color="black", linewidth=1.2)  # z_t on to 1 - z_t
    _arrow(ax, (6.0, mix), (6.33, mix))
    _arrow(ax, (6.87, mix), (7.15, mix))
    _arrow(ax, (6.14, gates + 0.1), (7.25, mix - 0.2))  # n_t
    _arrow(ax, (7.4, mix + 0.25), (7.4, top - 0.27))
    _arrow(ax, (4.54, gates), (5.46, gates), "$r_t \\odot (\\cdot)$", color="tab:blue", text_offset=(0, -0.32))
    ax.text(4.9, 3.55, "$h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$", ha="center", fontsize=10)
    ax.text(5.6, -0.75, "$n_t = \\tanh(W_{xn} x_t + b_{xn} + r_t \\odot (W_{hn} h_{t-1} + b_{hn}))$", ha="center",
            fontsize=10, color="tab:blue")
    return _finish(ax, (-1.1, 10.6), (-1.2, 3.9), "One GRU step, PyTorch's form (σ, tanh: a layer on $[h_{t-1}, x_t]$)")
