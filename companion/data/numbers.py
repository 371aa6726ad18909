"""A small translation task that ships offline: German number words to English number words.

``num2words`` (a maintained package) writes any integer in many languages. The source side
is German, read one *character* at a time; the target side is English, one *word* at a time::

    387  ->  "dreihundertsiebenundachtzig"  ->  "three hundred eighty seven"

German writes the units before the tens ("sieben-und-achtzig", seven-and-eighty), English
the tens first, so a translator must *reorder*, not copy left to right; and one German
word becomes several English ones, so input and output lengths differ.

* :func:`german` and :func:`english` — the two sides for one number;
* :func:`german` and :func:`english` — the two sides for one number;
* :func:`split_numbers` — disjoint train / validation / test sets of numbers;
* :class:`Batch` and :func:`make_batch` — source and target tensors ready for a seq2seq model;
* :func:`number_task` — all of it at once: splits, texts, vocabularies, batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..checks import check_callable, check_instance, check_int, check_sequence, check_strings, describe, is_integer
from .text import Vocab, _tokens, characters, pad, words


def german(n: int) -> str:
    """The German number word for ``n``, as ``num2words`` writes it: ``24 -> "vierundzwanzig"``."""
    from num2words import num2words

    return num2words(check_int("german", "n", n, minimum=None), lang="de")


def english(n: int) -> str:
    """English number words for ``n`` as plain space-separated words: ``387 -> "three hundred eighty seven"``.

    ``num2words`` writes "three hundred and eighty-seven" and "one thousand, two hundred";
    hyphens become spaces and "and" and commas are dropped, so every token is a number word.
    """
    from num2words import num2words

    words = num2words(check_int("english", "n", n, minimum=None), lang="en").replace("-", " ").replace(",", " ").split()
    return " ".join(word for word in words if word != "and")


def split_numbers(low: int, high: int, sizes: tuple[int, int, int], seed: int = 0):
    """Draw three disjoint sets of integers from ``[low, high)``: (train, validation, test).

    ``sizes`` gives how many numbers each set holds. The numbers are drawn without
    replacement, so no test number is ever seen in training. Returns three sorted int arrays.
    """
    low, high, sizes = _check_split("split_numbers", low, high, sizes, seed, minimum_size=0)
    total = sum(sizes)
    if total > high - low:
        raise ValueError(f"split_numbers: asked for {total} numbers, but [{low}, {high}) holds only {high - low}")
    drawn = np.random.default_rng(seed).permutation(np.arange(low, high))[:total]
    a, b = sizes[0], sizes[0] + sizes[1]
    return np.sort(drawn[:a]), np.sort(drawn[a:b]), np.sort(drawn[b:])


def _check_split(who: str, low, high, sizes, seed, minimum_size: int):
    low, high = check_int(who, "low", low, minimum=None), check_int(who, "high", high, minimum=None)
    if high <= low:
        raise ValueError(f"{who}: expected low < high (numbers are drawn from [low, high)), got low={low}, high={high}")
    if not isinstance(sizes, (tuple, list)) or len(sizes) != 3:
        raise ValueError(f"{who}: sizes must be three sizes (train, valid, test), got {describe(sizes)}"
                         + (f" of {len(sizes)}" if isinstance(sizes, (tuple, list)) else ""))
    sizes = tuple(check_int(who, f"sizes[{i}]", size, minimum=minimum_size) for i, size in enumerate(sizes))
    check_int(who, "seed", seed, minimum=0, optional=True)  # None: fresh numbers, as numpy's default_rng(None)
    return low, high, sizes


@dataclass
class Batch:
    """One padded batch for a seq2seq model.

    ``src`` (B, S) source ids, ``src_lengths`` (B,); ``tgt_in`` (B, T) the target shifted
    right, starting with ``<bos>`` (the decoder's inputs under teacher forcing); ``tgt_out``
    (B, T) the target followed by ``<eos>`` (what the decoder must predict), ``<pad>`` after.
    """

    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor

    def __post_init__(self):
        for name in ("src", "src_lengths", "tgt_in", "tgt_out"):
            value = getattr(self, name)
            if not isinstance(value, torch.Tensor) or value.is_floating_point():
                raise TypeError(f"Batch: expected {name} to be an integer tensor, got {describe(value)}")
        B = self.src.shape[0] if self.src.dim() == 2 else None
        if (B is None or tuple(self.src_lengths.shape) != (B,) or self.tgt_in.dim() != 2
                or self.tgt_in.shape != self.tgt_out.shape or self.tgt_in.shape[0] != B):
            raise ValueError(
                "Batch: expected src (B, S), src_lengths (B,), tgt_in and tgt_out (B, T) with the same B, got "
                f"{tuple(self.src.shape)}, {tuple(self.src_lengths.shape)}, {tuple(self.tgt_in.shape)} and "
                f"{tuple(self.tgt_out.shape)}")

    def to(self, device) -> "Batch":
        """The batch on ``device`` (a ``torch.device`` or a string such as ``"cuda"``)."""
        try:
            device = torch.device(device)
        except (RuntimeError, TypeError) as error:
            raise ValueError(f"Batch.to: expected a device such as 'cpu' or 'cuda', got {describe(device)} "
                             f"({error})") from None
        return Batch(*(t.to(device) for t in (self.src, self.src_lengths, self.tgt_in, self.tgt_out)))

    def __len__(self) -> int:
        return self.src.shape[0]


def make_batch(sources, targets, src_vocab: Vocab, tgt_vocab: Vocab,
               src_tokenize=characters, tgt_tokenize=words) -> Batch:
    """Tokenise, encode and pad parallel lists of source and target texts (each text non-empty)."""
    who = "make_batch"
    sources = check_strings(who, "sources", sources, what="source text", allow_empty=False)
    targets = check_strings(who, "targets", targets, what="target text", allow_empty=False)
    if len(sources) != len(targets):
        raise ValueError(f"make_batch: {len(sources)} sources but {len(targets)} targets")
    check_instance(who, "src_vocab", src_vocab, Vocab, "a Vocab")
    check_instance(who, "tgt_vocab", tgt_vocab, Vocab, "a Vocab")
    check_callable(who, "src_tokenize", src_tokenize, " (such as characters)")
    check_callable(who, "tgt_tokenize", tgt_tokenize, " (such as words)")
    src_tokens = [_tokens(who, src_tokenize, s) for s in sources]
    tgt_tokens = [_tokens(who, tgt_tokenize, t) for t in targets]
    for name, texts, tokens in (("source", sources, src_tokens), ("target", targets, tgt_tokens)):
        empty = next((i for i, t in enumerate(tokens) if not t), None)
        if empty is not None:
            raise ValueError(f"{who}: {name} text {empty} ({texts[empty]!r}) has no tokens; every text needs at least one")
    src, src_lengths, _ = pad([src_vocab.encode(t) for t in src_tokens])
    encoded = [tgt_vocab.encode(t) for t in tgt_tokens]
    tgt_in, _, _ = pad([[Vocab.bos_id] + e for e in encoded])
    tgt_out, _, _ = pad([e + [Vocab.eos_id] for e in encoded])
    return Batch(src, src_lengths, tgt_in, tgt_out)


def number_pairs(numbers) -> tuple[list[str], list[str]]:
    """German and English texts for each number: ``(sources, targets)``."""
    if isinstance(numbers, (torch.Tensor, np.ndarray)):
        numbers = numbers.tolist() if numbers.ndim == 1 else numbers
    numbers = check_sequence("number_pairs", "numbers", numbers, expected="a list of integers")
    for i, n in enumerate(numbers):
        if not is_integer(n):
            raise TypeError(f"number_pairs: expected integers, got {describe(n)} at index {i}")
    return [german(n) for n in numbers], [english(n) for n in numbers]


@dataclass
class NumberTask:
    """The German-to-English number task, split three ways; each dict has keys ``train``, ``valid``, ``test``.

    ``numbers`` the integers, ``sources``/``targets`` their German and English texts,
    ``batches`` each split as one padded :class:`Batch`. The vocabularies come from the
    training texts only.
    """

    numbers: dict
    sources: dict
    targets: dict
    src_vocab: Vocab
    tgt_vocab: Vocab
    batches: dict


def number_task(low: int, high: int, sizes: tuple[int, int, int], seed: int = 0) -> NumberTask:
    """Draw disjoint train / validation / test numbers from ``[low, high)`` (:func:`split_numbers`) and
    build the texts, vocabularies and batches. Each split holds at least one number."""
    _check_split("number_task", low, high, sizes, seed, minimum_size=1)
    splits = dict(zip(("train", "valid", "test"), split_numbers(low, high, sizes, seed)))
    sources, targets = {}, {}
    for name, numbers in splits.items():
        sources[name], targets[name] = number_pairs(numbers)
    src_vocab = Vocab.from_texts(sources["train"], characters)
    tgt_vocab = Vocab.from_texts(targets["train"], words)
    batches = {name: make_batch(sources[name], targets[name], src_vocab, tgt_vocab) for name in splits}
    return NumberTask(splits, sources, targets, src_vocab, tgt_vocab, batches)
