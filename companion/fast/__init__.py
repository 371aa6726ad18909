"""The fast path: ``LSTM`` and ``GRU`` layers equal to ``companion.LSTM`` and ``companion.GRU``
(same constructor, parameters, ``state_dict``, errors and results), built for speed.

=========  ==========================================================================
module     what it holds
=========  ==========================================================================
``lstm``   ``LSTM``; ``LSTMFunction`` (one layer and direction, hand-written backward);
           ``fast_lstm``
``gru``    ``GRU``; ``GRUFunction``; ``fast_gru``
=========  ==========================================================================

What makes them faster than the readable layers, whose step is the equation and whose
backward is autograd's:

* the input's part of every step in one GEMM over the (T·B) rows;
* one GEMM per step for all the gates (4 for the LSTM, 3 for the GRU), written into
  preallocated buffers;
* a hand-written backward (``torch.autograd.Function``): the walk back through time of
  :mod:`companion.gated_bptt` (``lstm_backward``, ``gru_backward``), whose steps only compute
  and store the gate gradients and send one product back to h_{t-1}; the weight gradients
  ``dW_ih``, ``dW_hh``, the biases and ``dx`` are each one GEMM over all (T·B) rows after the
  walk, instead of one small product per step. ``double backward`` is not supported
  (``once_differentiable``).

Everything else (argument checks, batch_first, unbatched and packed input, initial states,
stacked and bidirectional layers, dropout between layers) is the readable layer's code: the
fast layers subclass it and replace only its scan over time. ``LSTM(proj_size > 0)`` is
refused with ``NotImplementedError``, as ``companion.LSTM`` refuses it. There is no fast
``RNN`` or ``ChoGRU``. ``benchmarks/layers.py`` times them against the readable layers and
``torch.nn``.
"""

from .gru import GRU, GRUFunction, fast_gru
from .lstm import LSTM, LSTMFunction, fast_lstm

__all__ = ["LSTM", "LSTMFunction", "fast_lstm", "GRU", "GRUFunction", "fast_gru"]
