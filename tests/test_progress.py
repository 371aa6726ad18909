"""companion.progress: one bar per loop, updated in place in a notebook."""

import sys
import types

from tqdm import tqdm

from companion import progress


def test_outside_a_notebook_the_bar_is_plain_tqdm():
    assert not progress.in_notebook()
    bar = progress.progress(range(3), disable=True)
    assert type(bar) is tqdm
    assert list(bar) == [0, 1, 2]


def test_in_a_notebook_the_bar_is_one_display_updated_in_place(monkeypatch):
    shown = []

    class Handle:
        def update(self, data, raw):
            shown[-1] = data["text/plain"]

    def display(data, raw, display_id):
        assert raw and display_id
        shown.append(data["text/plain"])
        return Handle()

    monkeypatch.setitem(sys.modules, "IPython.display", types.SimpleNamespace(display=display))
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    items = list(progress.progress(range(50), desc="training", mininterval=0))
    assert items == list(range(50))
    assert len(shown) == 1, f"expected one output updated in place, got {len(shown)}"
    assert shown[0].startswith("training: 100%") and "50/50" in shown[0], shown[0]
