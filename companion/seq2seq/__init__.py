"""Sequence to sequence: an encoder, a decoder with or without attention, greedy and beam search.

Shapes: a batch of ``B`` source sequences of (padded) length ``S``, target length ``T``,
hidden size ``H``, target vocabulary ``V``; ``batch_first`` throughout.

=================== =========================================================
module              what it holds
=================== =========================================================
``encoder_decoder`` ``Encoder``, ``Decoder`` (the context vector only), ``Seq2Seq``
``attention``       ``AdditiveAttention``, ``MultiplicativeAttention``, ``AttentionDecoder``,
                    ``MultiHeadAttention``
``decoding``        ``greedy_decode``, ``beam_search``, ``length_normalized_score``, ``sequence_scores``,
                    ``translate``
``training``        ``batches``, ``train_seq2seq`` (on :func:`companion.train.loop`)
=================== =========================================================

The recurrent layer is an argument (``rnn=companion.GRU`` by default); ``torch.nn.GRU`` has
the same interface and, by ``tests/test_layers.py``, the same outputs. Every public name is
also importable from ``companion.seq2seq`` itself, and so is
:func:`companion.masking.masked_cross_entropy`, the one masked loss.
"""

from ..masking import masked_cross_entropy
from .attention import AdditiveAttention, AttentionDecoder, MultiHeadAttention, MultiplicativeAttention
from .decoding import beam_search, greedy_decode, length_normalized_score, sequence_scores, translate
from .encoder_decoder import Decoder, Encoder, Seq2Seq
from .training import batches, train_seq2seq

__all__ = ["Encoder", "Decoder", "Seq2Seq", "AdditiveAttention", "MultiplicativeAttention", "AttentionDecoder",
           "MultiHeadAttention", "greedy_decode", "beam_search", "length_normalized_score", "sequence_scores",
           "translate", "batches", "train_seq2seq", "masked_cross_entropy"]
