"""companion: the tested PyTorch package behind the course *Recurrent*.

Every chapter imports it; nothing in it depends on a notebook.
"""

from . import config
from .cells import GRUCell, LSTMCell, RNNCell, gru_step, lstm_step, rnn_step
from .layers import GRU, LSTM, RNN

__all__ = [
    "config",
    "RNNCell", "LSTMCell", "GRUCell", "rnn_step", "lstm_step", "gru_step",
    "RNN", "LSTM", "GRU",
]
