"""companion.plots: the shared figures draw what they say."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.plots import learning_curves  # noqa: E402
from companion.train import History  # noqa: E402


def test_learning_curves_draws_each_runs_curves_and_marks_the_kept_epoch():
    runs = {"a": History([4.0, 2.0, 1.0], [5.0, 3.0, 3.5], best_epoch=1), "b": History([3.0, 1.0], [], None)}
    ax = learning_curves(runs)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert np.array_equal(lines["a: training"].get_ydata(), [4.0, 2.0, 1.0])
    assert np.array_equal(lines["a: validation"].get_ydata(), [5.0, 3.0, 3.5])
    assert lines["a: validation"].get_linestyle() == "--"
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert len(dots) == 1 and list(dots[0].get_xdata()) == [1] and list(dots[0].get_ydata()) == [3.0]
    assert "b: validation" not in lines and np.array_equal(lines["b: training"].get_ydata(), [3.0, 1.0])
    assert ax.get_xlabel() == "epoch" and ax.get_yscale() == "log"
    plt.close("all")


def test_learning_curves_refuses_what_it_cannot_draw():
    with pytest.raises(ValueError, match="expected at least one History"):
        learning_curves({})
    with pytest.raises(TypeError, match=r"histories\['a'\]"):
        learning_curves({"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match="leave nothing to draw"):
        learning_curves({"a": History([1.0])}, train=False, valid=False)
    plt.close("all")


def texts(ax):
    return " ".join(t.get_text() for t in ax.texts) + " " + ax.get_title()


def test_the_lstm_diagram_names_every_symbol_of_the_lstm_equations():
    from companion.plots import draw_lstm_cell

    words = texts(draw_lstm_cell())
    for symbol in ["$x_t$", "$h_{t-1}$", "$c_{t-1}$", "$c_t$", "$h_t$", "$f_t$", "$i_t$", "$g_t$", "$o_t$",
                   r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t$", r"$h_t = o_t \odot \tanh(c_t)$"]:
        assert symbol in words, symbol
    plt.close("all")


def test_the_gru_diagram_names_every_symbol_of_pytorchs_gru_equations():
    from companion.plots import draw_gru_cell

    words = texts(draw_gru_cell())
    for symbol in ["$x_t$", "$h_{t-1}$", "$h_t$", "$r_t$", "$z_t$", "$n_t$", "1−",
                   r"$h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$",
                   r"$n_t = \tanh(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))$"]:
        assert symbol in words, symbol
    plt.close("all")


def test_the_diagrams_refuse_an_ax_that_is_not_an_axes():
    from companion.plots import draw_gru_cell, draw_lstm_cell

    for draw in (draw_lstm_cell, draw_gru_cell):
        with pytest.raises(TypeError, match="ax"):
            draw(ax="left")
