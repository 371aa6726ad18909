"""A progress bar that reads well in a terminal, in Jupyter and in the built book.

In a terminal it is tqdm's text bar. In a Jupyter kernel, tqdm's text bar would
leave one line of output per refresh in a stored or built notebook, and
``tqdm.notebook`` needs ipywidgets, which a static book cannot show. So there the
same bar is one plain-text display that is updated in place: the reader sees it
move, and the stored output is the final line only.
"""

from __future__ import annotations

import io
import sys

from tqdm import tqdm

from .checks import describe


def in_notebook() -> bool:
    """True inside a Jupyter (ipykernel) kernel."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class _NotebookBar(tqdm):
    """tqdm whose display is one IPython output updated in place."""

    def __init__(self, *args, **kwargs):
        self._handle = None
        kwargs["file"] = io.StringIO()  # tqdm's own writes go nowhere; display() shows the bar
        super().__init__(*args, **kwargs)

    def display(self, msg=None, pos=None):
        from IPython.display import display

        data = {"text/plain": self.__str__() if msg is None else msg}
        if self._handle is None:
            self._handle = display(data, raw=True, display_id=True)
        else:
            self._handle.update(data, raw=True)
        return True


def progress(iterable, **kwargs):
    """Wrap ``iterable`` in a progress bar (tqdm's arguments: ``desc``, ``total``, ``disable``, ...).

    ``iterable`` may be None only with ``total`` (a bar advanced by hand with ``update``).
    """
    if iterable is None:
        if kwargs.get("total") is None:
            raise ValueError("progress: iterable=None needs total=, the number of steps the bar counts")
    else:
        try:
            iter(iterable)
        except TypeError:
            raise TypeError(f"progress: expected an iterable (a range, a list, a DataLoader, ...), "
                            f"got {describe(iterable)}") from None
    kwargs.setdefault("ascii", True)
    kwargs.setdefault("ncols", 100)
    if in_notebook():
        kwargs.setdefault("mininterval", 0.5)
        return _NotebookBar(iterable, **kwargs)
    return tqdm(iterable, **kwargs)
