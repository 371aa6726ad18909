"""The German-to-English number-words task under its first name: it lives in
:mod:`companion.data.numbers` (the task) and :mod:`companion.data.text` (tokens, ``Vocab``, ``pad``)."""

from .data.numbers import Batch, NumberTask, english, german, make_batch, number_pairs, number_task, split_numbers
from .data.text import BOS, EOS, PAD, SPECIALS, UNK, Vocab, characters, pad, words

__all__ = ["Batch", "NumberTask", "english", "german", "make_batch", "number_pairs", "number_task", "split_numbers",
           "BOS", "EOS", "PAD", "SPECIALS", "UNK", "Vocab", "characters", "pad", "words"]
