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
