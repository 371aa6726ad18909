"""A small translation task that ships offline: German number words to English number words.

``num2words`` (a maintained package) writes any integer in many languages. The source side
is German, read one *character* at a time; the target side is English, one *word* at a time::

    387  ->  "dreihundertsiebenundachtzig"  ->  "three hundred eighty seven"

German writes the units before the tens ("sieben-und-achtzig", seven-and-eighty), English
the tens first, so a translator must *reorder*, not copy left to right; and one German
word becomes several English ones, so input and output lengths differ.

* :func:`german` and :func:`english` — the two sides for one number;
* :func:`split_numbers` — disjoint train / validation / test sets of numbers;
* :class:`Vocab` — tokens to ids with ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``;
* :func:`pad` — a list of id sequences as one padded (B, T) tensor, with lengths and a mask;
* :class:`Batch` and :func:`make_batch` — source and target tensors ready for a seq2seq model;
* :func:`number_task` — all of it at once: splits, texts, vocabularies, batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .checks import check_callable, check_instance, check_int, check_sequence, check_strings, describe, is_integer

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)  # ids 0, 1, 2, 3 in every Vocab


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


class Vocab:
    """A fixed list of tokens; token ``i`` has id ``i``. Ids 0–3 are ``<pad> <bos> <eos> <unk>``.

    Tokens not in the list encode as ``<unk>``.
    """

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    def __init__(self, tokens):
        tokens = check_strings("Vocab", "tokens", tokens, what="token")
        if not set(tokens) - set(SPECIALS):
            raise ValueError(f"Vocab: expected at least one token besides {', '.join(SPECIALS)}, got "
                             f"{len(tokens)} tokens")
        self.itos = list(SPECIALS) + sorted(set(tokens) - set(SPECIALS))
        self.stoi = {token: i for i, token in enumerate(self.itos)}

    @classmethod
    def from_texts(cls, texts, tokenize) -> "Vocab":
        """Every token that ``tokenize`` finds in ``texts`` (the training texts only)."""
        who = "Vocab.from_texts"
        texts = check_strings(who, "texts", texts, what="text", allow_empty=False)
        check_callable(who, "tokenize", tokenize, " (such as characters or words)")
        return cls(token for text in texts for token in _tokens(who, tokenize, text))

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens) -> list[int]:
        """Ids for a list of tokens (not a text: split it first, with :func:`characters` or :func:`words`)."""
        if isinstance(tokens, str):
            raise TypeError(f"Vocab.encode: expected a list of tokens, got {describe(tokens)}; split the text "
                            "into tokens first, e.g. vocab.encode(words(text)) or vocab.encode(characters(text))")
        tokens = check_strings("Vocab.encode", "tokens", tokens, what="token")
        return [self.stoi.get(token, self.unk_id) for token in tokens]

    def decode(self, ids) -> list[str]:
        """Tokens for ``ids`` (a list of ints or a 1-D integer tensor or array), stopping at the first
        ``<eos>`` and leaving out ``<pad>`` and ``<bos>``. Every id must be in ``0 .. len(vocab) - 1``."""
        who = "Vocab.decode"
        if isinstance(ids, (torch.Tensor, np.ndarray)):
            if ids.ndim != 1:
                raise ValueError(f"{who}: expected a 1-D sequence of ids, got {describe(ids)}; "
                                 "decode each row of a batch on its own")
            floating = ids.is_floating_point() if isinstance(ids, torch.Tensor) else ids.dtype.kind not in "iu"
            if floating:
                raise TypeError(f"{who}: expected integer ids, got {describe(ids)}")
            ids = ids.tolist()
        else:
            ids = check_sequence(who, "ids", ids, expected="a list of integer ids")
        tokens = []
        for position, i in enumerate(ids):
            i = _scalar_id(i)
            if not is_integer(i):
                raise TypeError(f"{who}: expected integer ids, got {describe(i)} at position {position}")
            if not 0 <= i < len(self.itos):
                raise ValueError(f"{who}: id {i} at position {position} is outside the vocabulary, whose ids are "
                                 f"0..{len(self.itos) - 1}")
            if i == self.eos_id:
                break
            if i not in (self.pad_id, self.bos_id):
                tokens.append(self.itos[i])
        return tokens


def characters(text: str) -> list[str]:
    """Character tokens (the German side)."""
    _check_text("characters", text)
    return list(text)


def words(text: str) -> list[str]:
    """Whitespace-separated word tokens (the English side)."""
    _check_text("words", text)
    return text.split()


def _check_text(who: str, text) -> None:
    if not isinstance(text, str):
        raise TypeError(f"{who}: expected text to be a str, got {describe(text)}")


def _tokens(who: str, tokenize, text) -> list[str]:
    """``tokenize(text)``, which must give a list of str tokens."""
    tokens = tokenize(text)
    if isinstance(tokens, str) or not isinstance(tokens, (list, tuple)):
        raise TypeError(f"{who}: expected the tokenizer to return a list of tokens, got {describe(tokens)} "
                        f"for the text {text!r}")
    return tokens


def pad(sequences, pad_id: int = Vocab.pad_id):
    """Stack id lists of different lengths into ``(ids (B, T), lengths (B,), mask (B, T))``.

    ``T`` is the longest length; shorter rows are filled with ``pad_id`` on the right and
    ``mask`` is True exactly at the real tokens.
    """
    who = "pad"
    sequences = check_sequence(who, "sequences", sequences, expected="a list of id sequences")
    pad_id = check_int(who, "pad_id", pad_id, minimum=None)
    if not sequences:
        raise ValueError("pad: expected a non-empty list of non-empty sequences, got an empty list")
    rows = [_id_row(who, row, s) for row, s in enumerate(sequences)]
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)
    if int(lengths.min()) == 0:
        raise ValueError(f"pad: expected a non-empty list of non-empty sequences, got an empty sequence at index "
                         f"{int(torch.argmin(lengths))}")
    ids = torch.full((len(rows), int(lengths.max())), pad_id, dtype=torch.long)
    for row, r in enumerate(rows):
        ids[row, : len(r)] = r
    mask = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
    return ids, lengths, mask


def _id_row(who: str, row: int, s) -> torch.Tensor:
    """One sequence of ids (a list of ints, or a 1-D integer tensor or array) as a long tensor."""
    if isinstance(s, (torch.Tensor, np.ndarray)):
        floating = s.is_floating_point() if isinstance(s, torch.Tensor) else s.dtype.kind not in "iu"
        if s.ndim != 1 or floating:
            raise TypeError(f"{who}: expected sequence {row} to be a 1-D list of integer ids, got {describe(s)}")
        return torch.as_tensor(s, dtype=torch.long).cpu()
    items = check_sequence(who, f"sequence {row}", s, expected="a list of integer ids")
    if all(type(i) is int for i in items):  # the common case, fast
        return torch.tensor(items, dtype=torch.long)
    items = [_scalar_id(i) for i in items]
    for position, i in enumerate(items):
        if not is_integer(i):
            raise TypeError(f"{who}: expected integer ids, got {describe(i)} at position {position} of sequence {row}")
    return torch.as_tensor([int(i) for i in items], dtype=torch.long)


def _scalar_id(i):
    """A 0-d integer tensor (an item of a list(tensor)) as an int; anything else unchanged, to be checked."""
    if isinstance(i, torch.Tensor) and i.dim() == 0 and not i.is_floating_point() and i.dtype != torch.bool:
        return int(i)
    return i


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
