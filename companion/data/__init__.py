"""Data: real data sets that ship with maintained packages (nothing is downloaded), and the
steps from raw data to batches.

=================  =========================================================
module             what it holds
=================  =========================================================
``series``         real series: ``sunspots``, ``co2_weekly``
``windows``        ``make_windows``, ``time_split``, ``Standardizer``
``sequences``      variable-length sequences to classify: ``japanese_vowels``, ``digits_as_sequences``
``text``           tokenisers ``characters`` and ``words``, ``Vocab``, ``pad`` (ids)
``reviews``        Amazon fine-food reviews (great/other): ``load_reviews``, ``tokenize``, ``review_vocab``,
                   ``encode``, ``batches``
``corpus``         Shakespeare's plays (``shakespeare``), ``split_text`` in text order, ``encode_characters``,
                   ``batchify`` and ``stream_batches`` (streams for stateful training)
``numbers``        the German-to-English number-words task: ``number_task``, ``Batch``, ``make_batch``
``speech``         spoken digits as MFCCs (FSDD): ``spoken_digits``, ``split_digits``, ``standardize_frames``,
                   ``digit_strings``, ``stack_frames``, ``frame_statistics``
=================  =========================================================

Every public name is also importable from ``companion.data`` itself.
"""

from .corpus import batchify, encode_characters, shakespeare, split_text, stream_batches
from .numbers import Batch, NumberTask, english, german, make_batch, number_pairs, number_task, split_numbers
from .reviews import Reviews, ReviewSplits, load_reviews, review_vocab
from .sequences import digits_as_sequences, japanese_vowels
from .speech import digit_strings, frame_statistics, split_digits, spoken_digits, stack_frames, standardize_frames
from .series import co2_weekly, sunspots
from .text import BOS, EOS, PAD, SPECIALS, UNK, Vocab, characters, pad, words
from .windows import Standardizer, make_windows, time_split

__all__ = [
    "sunspots", "co2_weekly",
    "make_windows", "time_split", "Standardizer",
    "japanese_vowels", "digits_as_sequences",
    "characters", "words", "Vocab", "pad", "PAD", "BOS", "EOS", "UNK", "SPECIALS",
    "load_reviews", "review_vocab", "Reviews", "ReviewSplits",
    "shakespeare", "split_text", "encode_characters", "batchify", "stream_batches",
    "german", "english", "split_numbers", "number_pairs", "Batch", "make_batch", "NumberTask", "number_task",
    "spoken_digits", "split_digits", "standardize_frames", "digit_strings", "stack_frames", "frame_statistics",
]
