"""companion: the tested PyTorch package behind the course *Recurrent*.

Every chapter imports it; nothing in it depends on a notebook.

=================  =========================================================
module             what it holds
=================  =========================================================
``config``         the quick/full switch, device selection, seeding
``cells``          ``RNNCell``, ``LSTMCell``, ``GRUCell`` and their step functions
``layers``         ``RNN``, ``LSTM``, ``GRU``: stacked, bidirectional, packed input
``numpy_rnn``      ``NumpyRNN``: hand-written backpropagation through time
``data``           data sets shipped by maintained packages, windowing
``models``         small models shared by chapters (``Forecaster``, ``SequenceClassifier``, ``ResidualRNN``)
``masking``        padding, masks, masked losses that never count padding
``classify``       training and scoring classifiers of variable-length sequences
``train``          the training loop ``fit``
``metrics``        error measures (MAE, RMSE)
``exercises``      auto-checkers for the exercises
``plots``          figures shared by chapters
=================  =========================================================
"""

from . import classify, config, data, exercises, masking, metrics, models, plots, train
from .cells import GRUCell, LSTMCell, RNNCell, gru_step, lstm_step, rnn_step
from .layers import GRU, LSTM, RNN
from .numpy_rnn import NumpyRNN, gradient_check

__all__ = [
    "classify", "config", "data", "exercises", "masking", "metrics", "models", "plots", "train",
    "RNNCell", "LSTMCell", "GRUCell", "rnn_step", "lstm_step", "gru_step",
    "RNN", "LSTM", "GRU",
    "NumpyRNN", "gradient_check",
]
