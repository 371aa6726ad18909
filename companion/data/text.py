"""Text as tokens and ids: tokenisers, a vocabulary, padded batches of ids.

* :func:`characters` and :func:`words` — the two tokenisers;
* :class:`Vocab` — tokens to ids with ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``; built from training
  texts with a frequency cut-off (``min_count``), it keeps the counts it was built from;
* :func:`pad` — a list of id sequences as one padded (B, T) tensor, with lengths and a mask.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from ..checks import check_bool, check_callable, check_int, check_sequence, check_strings, describe, is_integer
from ..masking import lengths_to_mask

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)  # ids 0, 1, 2, 3 in every Vocab


class Vocab:
    """A fixed list of tokens; token ``i`` has id ``i``. Ids 0–3 are ``<pad> <bos> <eos> <unk>``.

    Tokens not in the list encode as ``<unk>``. ``specials=False`` makes a vocabulary of the
    tokens alone (no ``<pad> <bos> <eos> <unk>``; their ids are then ``None``), in which encoding
    a token that is not in the list is an error.

    ``counts`` is a :class:`collections.Counter` of the tokens a vocabulary was counted from
    (:meth:`from_texts`), those cut off included; ``None`` for a vocabulary made from a list.
    """

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    def __init__(self, tokens, *, specials: bool = True):
        tokens = check_strings("Vocab", "tokens", tokens, what="token")
        specials = check_bool("Vocab", "specials", specials)
        if not set(tokens) - set(SPECIALS):
            raise ValueError(f"Vocab: expected at least one token besides {', '.join(SPECIALS)}, got "
                             f"{len(tokens)} tokens")
        if specials:
            self.itos = list(SPECIALS) + sorted(set(tokens) - set(SPECIALS))
        else:
            self.itos = sorted(set(tokens))
            self.pad_id = self.bos_id = self.eos_id = self.unk_id = None
        self.stoi = {token: i for i, token in enumerate(self.itos)}
        self.counts = None

    @classmethod
    def from_texts(cls, texts, tokenize, *, min_count: int = 1, specials: bool = True) -> "Vocab":
        """Every token that ``tokenize`` finds in ``texts`` (the training texts only) at least
        ``min_count`` times; the rarer ones will encode as ``<unk>``. The vocabulary keeps all the
        counts in ``counts``."""
        who = "Vocab.from_texts"
        texts = check_strings(who, "texts", texts, what="text", allow_empty=False)
        check_callable(who, "tokenize", tokenize, " (such as characters or words)")
        min_count = check_int(who, "min_count", min_count)
        specials = check_bool(who, "specials", specials)
        counts = Counter()
        for text in texts:
            counts.update(_tokens(who, tokenize, text))
        kept = [token for token, count in counts.items() if count >= min_count]
        if min_count > 1 and not set(kept) - set(SPECIALS):
            raise ValueError(f"{who}: no token occurs at least min_count={min_count} times in the "
                             f"{sum(counts.values())} tokens of texts (the most frequent occurs "
                             f"{max(counts.values(), default=0)} times)")
        if not specials and min_count > 1 and len(kept) < len(counts):
            raise ValueError(f"{who}: min_count={min_count} cuts off {len(counts) - len(kept)} token types, but "
                             "specials=False leaves no <unk> to encode them as; keep specials or use min_count=1")
        vocab = cls(kept, specials=specials)
        vocab.counts = counts
        return vocab

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens) -> list[int]:
        """Ids for a list of tokens (not a text: split it first, with :func:`characters` or :func:`words`)."""
        if isinstance(tokens, str):
            raise TypeError(f"Vocab.encode: expected a list of tokens, got {describe(tokens)}; split the text "
                            "into tokens first, e.g. vocab.encode(words(text)) or vocab.encode(characters(text))")
        tokens = check_strings("Vocab.encode", "tokens", tokens, what="token")
        if self.unk_id is None:
            for position, token in enumerate(tokens):
                if token not in self.stoi:
                    raise ValueError(f"Vocab.encode: the token {token!r} at position {position} is not in the "
                                     f"vocabulary, which has no <unk> to encode it as (made with specials=False); "
                                     "build the vocabulary with specials=True, or from texts that hold the token")
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
    ids = torch.nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=pad_id)
    return ids, lengths, lengths_to_mask(lengths)


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
