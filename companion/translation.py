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

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)  # ids 0, 1, 2, 3 in every Vocab


def german(n: int) -> str:
    """The German number word for ``n``, as ``num2words`` writes it: ``24 -> "vierundzwanzig"``."""
    from num2words import num2words

    return num2words(int(n), lang="de")


def english(n: int) -> str:
    """English number words for ``n`` as plain space-separated words: ``387 -> "three hundred eighty seven"``.

    ``num2words`` writes "three hundred and eighty-seven" and "one thousand, two hundred";
    hyphens become spaces and "and" and commas are dropped, so every token is a number word.
    """
    from num2words import num2words

    words = num2words(int(n), lang="en").replace("-", " ").replace(",", " ").split()
    return " ".join(word for word in words if word != "and")


def split_numbers(low: int, high: int, sizes: tuple[int, int, int], seed: int = 0):
    """Draw three disjoint sets of integers from ``[low, high)``: (train, validation, test).

    ``sizes`` gives how many numbers each set holds. The numbers are drawn without
    replacement, so no test number is ever seen in training. Returns three sorted int arrays.
    """
    total = sum(sizes)
    if total > high - low:
        raise ValueError(f"split_numbers: asked for {total} numbers, but [{low}, {high}) holds only {high - low}")
    drawn = np.random.default_rng(seed).permutation(np.arange(low, high))[:total]
    a, b = sizes[0], sizes[0] + sizes[1]
    return np.sort(drawn[:a]), np.sort(drawn[a:b]), np.sort(drawn[b:])


class Vocab:
    """A fixed list of tokens; token ``i`` has id ``i``. Ids 0–3 are ``<pad> <bos> <eos> <unk>``.

    Tokens not in the list encode as ``<unk>``.
    """

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    def __init__(self, tokens):
        self.itos = list(SPECIALS) + sorted(set(tokens) - set(SPECIALS))
        self.stoi = {token: i for i, token in enumerate(self.itos)}

    @classmethod
    def from_texts(cls, texts, tokenize) -> "Vocab":
        """Every token that ``tokenize`` finds in ``texts`` (the training texts only)."""
        return cls(token for text in texts for token in tokenize(text))

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens) -> list[int]:
        return [self.stoi.get(token, self.unk_id) for token in tokens]

    def decode(self, ids) -> list[str]:
        """Tokens for ``ids``, stopping at the first ``<eos>`` and leaving out ``<pad>`` and ``<bos>``."""
        tokens = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i not in (self.pad_id, self.bos_id):
                tokens.append(self.itos[i])
        return tokens


def characters(text: str) -> list[str]:
    """Character tokens (the German side)."""
    return list(text)


def words(text: str) -> list[str]:
    """Whitespace-separated word tokens (the English side)."""
    return text.split()


def pad(sequences, pad_id: int = Vocab.pad_id):
    """Stack id lists of different lengths into ``(ids (B, T), lengths (B,), mask (B, T))``.

    ``T`` is the longest length; shorter rows are filled with ``pad_id`` on the right and
    ``mask`` is True exactly at the real tokens.
    """
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    if len(sequences) == 0 or int(lengths.min()) == 0:
        raise ValueError("pad: expected a non-empty list of non-empty sequences")
    ids = torch.full((len(sequences), int(lengths.max())), pad_id, dtype=torch.long)
    for row, s in enumerate(sequences):
        ids[row, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    mask = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
    return ids, lengths, mask


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

    def to(self, device) -> "Batch":
        return Batch(*(t.to(device) for t in (self.src, self.src_lengths, self.tgt_in, self.tgt_out)))

    def __len__(self) -> int:
        return self.src.shape[0]


def make_batch(sources, targets, src_vocab: Vocab, tgt_vocab: Vocab,
               src_tokenize=characters, tgt_tokenize=words) -> Batch:
    """Tokenise, encode and pad parallel lists of source and target texts."""
    if len(sources) != len(targets):
        raise ValueError(f"make_batch: {len(sources)} sources but {len(targets)} targets")
    src, src_lengths, _ = pad([src_vocab.encode(src_tokenize(s)) for s in sources])
    encoded = [tgt_vocab.encode(tgt_tokenize(t)) for t in targets]
    tgt_in, _, _ = pad([[Vocab.bos_id] + e for e in encoded])
    tgt_out, _, _ = pad([e + [Vocab.eos_id] for e in encoded])
    return Batch(src, src_lengths, tgt_in, tgt_out)


def number_pairs(numbers) -> tuple[list[str], list[str]]:
    """German and English texts for each number: ``(sources, targets)``."""
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
    build the texts, vocabularies and batches."""
    splits = dict(zip(("train", "valid", "test"), split_numbers(low, high, sizes, seed)))
    sources, targets = {}, {}
    for name, numbers in splits.items():
        sources[name], targets[name] = number_pairs(numbers)
    src_vocab = Vocab.from_texts(sources["train"], characters)
    tgt_vocab = Vocab.from_texts(targets["train"], words)
    batches = {name: make_batch(sources[name], targets[name], src_vocab, tgt_vocab) for name in splits}
    return NumberTask(splits, sources, targets, src_vocab, tgt_vocab, batches)
