"""companion: the tested PyTorch package behind the course *Recurrent*.

Every chapter imports it; nothing in it depends on a notebook.

=================  =========================================================
module             what it holds
=================  =========================================================
``config``         the quick/full switch, device selection, seeding
``cells``          ``RNNCell``, ``LSTMCell``, ``GRUCell`` and their step functions
``layers``         ``RNN``, ``LSTM``, ``GRU``: stacked, bidirectional, packed input
``numpy_rnn``      ``NumpyRNN``: hand-written backpropagation through time
``bptt``           BPTT by hand in torch, Jacobian norms, truncated-BPTT chunks
``data``           data sets shipped by maintained packages, windowing, splits, scaling
``baselines``      naive and seasonal naive forecasts
``models``         small models shared by chapters (``Forecaster``, ``SequenceRegressor``)
``train``          the training loops ``fit`` and ``fit_stateful``, checkpoints
``translation``    German to English number words: vocabularies, padding, batches
``seq2seq``        encoder, decoders with attention, greedy and beam search, multi-head attention
``metrics``        error measures (MAE, RMSE, MASE, BLEU)
``exercises``      auto-checkers for the exercises
``progress``       the progress bar for terminals, Jupyter and the built book
``plots``          figures shared by chapters
=================  =========================================================
"""

from . import baselines, bptt, config, data, exercises, metrics, models, plots, progress, seq2seq, train, translation
from .cells import GRUCell, LSTMCell, RNNCell, gru_step, lstm_step, rnn_step
from .layers import GRU, LSTM, RNN
from .numpy_rnn import NumpyRNN, gradient_check

__all__ = [
    "baselines", "bptt", "config", "data", "exercises", "metrics", "models", "plots", "progress", "seq2seq", "train", "translation",
    "RNNCell", "LSTMCell", "GRUCell", "rnn_step", "lstm_step", "gru_step",
    "RNN", "LSTM", "GRU",
    "NumpyRNN", "gradient_check",
]
