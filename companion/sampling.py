"""Choosing the next token from a model's logits, and generating text with a language model.

* :func:`greedy` — the most likely token;
* :func:`sample` — a draw from ``softmax(logits / temperature)``, optionally restricted to the
  ``top_k`` most likely tokens (:func:`top_k_filter`) or to the smallest set of most likely tokens
  whose probability reaches ``top_p`` (nucleus sampling, Holtzman et al. 2020; :func:`top_p_filter`);
* :func:`beam_search` — the continuation of ``n`` tokens that beam search finds most likely, for comparison;
  :func:`beam_search_core` is the search itself, shared with :func:`companion.seq2seq.beam_search`;
* :func:`generate` — a prompt, then ``n`` tokens, each chosen by one of these from the model's
  logits, the state carried from step to step.

Temperature divides the logits: below 1 it sharpens the distribution (towards greedy as it goes
to 0), above 1 it flattens it (towards uniform). Logits are (V,) for one distribution or (B, V) for
a batch of them.
"""

from __future__ import annotations

import math

import torch

from .checks import check_instance, check_int, check_real, describe, shape_str


def _check_logits(who: str, logits) -> torch.Tensor:
    check_instance(who, "logits", logits, torch.Tensor, "a torch.Tensor of shape (V,) or (B, V)")
    if logits.dim() not in (1, 2) or logits.shape[-1] == 0:
        raise ValueError(f"{who}: expected logits of shape (V,) or (B, V) with V >= 1, got {shape_str(logits.shape)}")
    if not logits.is_floating_point():
        raise TypeError(f"{who}: expected floating-point logits, got dtype {logits.dtype}")
    if torch.isnan(logits).any() or torch.isposinf(logits).any():
        raise ValueError(f"{who}: expected logits without NaN or +inf values")
    if torch.isneginf(logits).all(dim=-1).any():
        raise ValueError(f"{who}: every logit of a row is -inf: no token can be chosen")
    return logits


def _check_temperature(who: str, temperature) -> float:
    temperature = check_real(who, "temperature", temperature)
    if temperature <= 0:
        raise ValueError(f"{who}: temperature must be > 0 (use greedy() for the limit temperature -> 0), "
                         f"got {temperature:g}")
    return temperature


def _check_top_k(who: str, top_k, V: int | None = None):
    if top_k is None:
        return None
    if isinstance(top_k, bool) or not isinstance(top_k, int):
        raise ValueError(f"{who}: top_k must be a positive integer or None, got {describe(top_k)}")
    if top_k < 1:
        raise ValueError(f"{who}: top_k must be a positive integer or None (top_k=0 would leave no token to "
                         f"choose), got {top_k}")
    return top_k


def _check_top_p(who: str, top_p):
    if top_p is None:
        return None
    top_p = check_real(who, "top_p", top_p)
    if not 0 < top_p <= 1:
        raise ValueError(f"{who}: top_p must be in (0, 1] (the probability mass to keep), got {top_p:g}")
    return top_p


def greedy(logits: torch.Tensor) -> torch.Tensor:
    """The index of the largest logit: () for logits (V,), (B,) for (B, V)."""
    return _check_logits("greedy", logits).argmax(dim=-1)


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """``logits`` with every entry outside the ``k`` largest of its row set to ``-inf`` (ties at the
    k-th value are all kept). ``k >= V`` keeps every logit."""
    who = "top_k_filter"
    logits = _check_logits(who, logits)
    k = _check_top_k(who, k)
    if k >= logits.shape[-1]:
        return logits.clone()
    kth = logits.topk(k, dim=-1).values[..., -1:]  # the k-th largest value of each row
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """``logits`` restricted to the nucleus: the fewest most likely tokens whose probabilities add up
    to at least ``p``; every other entry is set to ``-inf``. The most likely token is always kept."""
    who = "top_p_filter"
    logits = _check_logits(who, logits)
    p = _check_top_p(who, p)
    probs = torch.softmax(logits.double(), dim=-1)
    sorted_probs, order = probs.sort(dim=-1, descending=True)
    before = sorted_probs.cumsum(dim=-1) - sorted_probs  # the mass of the tokens more likely than this one
    drop_sorted = before >= p  # already enough mass without it
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def sample(logits: torch.Tensor, *, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """One token drawn from ``softmax(logits / temperature)``, after :func:`top_k_filter` (``top_k``)
    and :func:`top_p_filter` (``top_p``) when given: () for logits (V,), (B,) for (B, V).

    ``temperature`` must be > 0; as it goes to 0 the draw becomes :func:`greedy`'s choice.
    """
    who = "sample"
    logits = _check_logits(who, logits)
    temperature = _check_temperature(who, temperature)
    top_k = _check_top_k(who, top_k)
    top_p = _check_top_p(who, top_p)
    if generator is not None:
        check_instance(who, "generator", generator, torch.Generator, "a torch.Generator or None")
    scaled = logits.double() / temperature
    if top_k is not None:
        scaled = top_k_filter(scaled, top_k)
    if top_p is not None:
        scaled = top_p_filter(scaled, top_p)
    probs = torch.softmax(scaled, dim=-1)
    rows = probs.reshape(-1, probs.shape[-1])
    draws = torch.multinomial(rows.cpu(), 1, generator=generator).to(logits.device)
    return draws.reshape(probs.shape[:-1])


def generate(model, vocab, prompt, n: int, *, tokenize=None, join: str = "", strategy: str = "sample",
             temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
             generator: torch.Generator | None = None) -> str:
    """The text that ``model`` (``model(x, state) -> (logits, state)``, x (1, T) ids) writes after ``prompt``.

    The prompt is split by ``tokenize`` (default: characters) and encoded with ``vocab``; the model
    reads it, then ``n`` tokens are chosen one at a time (``strategy="greedy"`` or ``"sample"`` with
    ``temperature``, ``top_k``, ``top_p``), each fed back with the state. Returns the generated
    tokens joined by ``join`` (without the prompt). The model is put in evaluation mode.
    """
    from .data.text import characters

    who = "generate"
    if not isinstance(prompt, str):
        raise TypeError(f"{who}: expected prompt to be a str, got {describe(prompt)}")
    n = check_int(who, "n", n, minimum=0)
    tokenize = characters if tokenize is None else tokenize
    if not isinstance(join, str):
        raise TypeError(f"{who}: expected join to be a str, got {describe(join)}")
    if strategy not in ("greedy", "sample"):
        raise ValueError(f"{who}: strategy must be 'greedy' or 'sample', got {describe(strategy)}")
    if strategy == "sample":
        _check_temperature(who, temperature)
        _check_top_k(who, top_k)
        _check_top_p(who, top_p)
    elif (temperature, top_k, top_p) != (1.0, None, None):
        raise ValueError(f"{who}: strategy='greedy' takes no temperature, top_k or top_p (they shape a sample)")
    ids = vocab.encode(tokenize(prompt))
    if not ids:
        raise ValueError(f"{who}: expected a prompt of at least one token, got {prompt!r}")
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    model.eval()
    out = []
    with torch.no_grad():
        logits, state = model(torch.tensor([ids], device=device), None)
        for _ in range(n):
            last = logits[0, -1]
            if strategy == "greedy":
                token = int(greedy(last))
            else:
                token = int(sample(last, temperature=temperature, top_k=top_k, top_p=top_p, generator=generator))
            out.append(vocab.itos[token])
            logits, state = model(torch.tensor([[token]], device=device), state)
    return join.join(out)


def _reorder_state(state, index: torch.Tensor):
    """A layer's state ((L, B, H), or a tuple of them) with its batch entries taken at ``index``."""
    if isinstance(state, (tuple, list)):
        return type(state)(s.index_select(1, index) for s in state)
    return state.index_select(1, index)


def length_normalized_score(log_prob: float, length: int, alpha: float) -> float:
    """``log p(y) / |y|^alpha``: a sequence's log-probability divided by its length to the power ``alpha``.

    ``alpha = 0`` is the raw log-probability, which favours short outputs (every token
    multiplies in a probability below one); ``alpha = 1`` is the mean log-probability per
    token. ``length`` counts the generated tokens, ``<eos>`` included.
    """
    return log_prob / length**alpha


def beam_search_core(step, state, log_p: torch.Tensor, max_len: int, beam_width: int, *,
                     eos_id: int | None = None, alpha: float = 0.0) -> tuple[list[int], float]:
    """Beam search over any model that predicts one token at a time: the search shared by
    :func:`beam_search` (a language model) and :func:`companion.seq2seq.beam_search`.

    ``log_p`` (1, V) holds the log-probabilities of the first token; ``step(tokens (k,), state)``
    feeds the k beams' last tokens and returns ``(log_p (k, V), state)``; ``state`` is a recurrent
    state ((L, k, H) or a tuple of them), whose beams are reordered along axis 1.

    At each step every live hypothesis is extended by every token. Without ``eos_id``, the
    ``beam_width`` best extensions are kept, and after ``max_len`` tokens the best one wins (all
    have the same length). With ``eos_id``, extensions among the ``beam_width`` best that end in
    ``<eos>`` are *finished*, ranked by :func:`length_normalized_score` with exponent ``alpha``, and
    the beam is refilled with the best extensions that do not end in ``<eos>``, so finished ones
    never crowd out live ones. The search stops when no live hypothesis can still beat the best
    finished one: a live hypothesis of log-probability ``s <= 0`` only loses probability as it
    grows and ends with a length ``n <= max_len``, so its final score is at most
    ``s / max_len**alpha``. After ``max_len`` tokens the live hypotheses end there.

    Returns ``(tokens, score)``: the best hypothesis (without ``<eos>``) and its score (its
    log-probability in nats when there is no ``eos_id`` or ``alpha = 0``).
    """
    live = [[]]  # the live hypotheses' tokens, all of the same length
    scores = torch.zeros(1, dtype=torch.float64, device=log_p.device)  # their log-probabilities
    finished = []  # (normalised score, tokens without <eos>)
    for t in range(max_len):
        candidates = scores[:, None] + log_p.double()  # (k, V)
        k, V = candidates.shape
        if eos_id is not None:
            # The k best extensions of all: those that end in <eos> are finished (length t + 1).
            top = torch.topk(candidates.flatten(), min(beam_width, candidates.numel()))
            for score, index in zip(top.values.tolist(), top.indices.tolist()):
                parent, token = divmod(index, V)
                if token == eos_id and score > -math.inf:
                    finished.append((length_normalized_score(score, t + 1, alpha), live[parent]))
            candidates[:, eos_id] = -math.inf  # the beam: the best extensions that go on
        width = min(beam_width, k * (V - (eos_id is not None)))
        top = torch.topk(candidates.flatten(), width)
        keep = [(divmod(i, V), v) for v, i in zip(top.values.tolist(), top.indices.tolist()) if v > -math.inf]
        if not keep:
            break
        live = [live[parent] + [token] for (parent, token), _ in keep]
        scores = torch.tensor([v for _, v in keep], dtype=torch.float64, device=log_p.device)
        if t == max_len - 1:  # max_len tokens: the live hypotheses end here
            finished += [(length_normalized_score(v, max_len, alpha), h) for h, v in zip(live, scores.tolist())]
            break
        parents = torch.tensor([parent for (parent, _), _ in keep], device=log_p.device)
        tokens = torch.tensor([token for (_, token), _ in keep], device=log_p.device)
        log_p, state = step(tokens, _reorder_state(state, parents))
        # Stop when no live hypothesis can beat the best finished one (the bound above).
        if finished and max(f[0] for f in finished) >= float(scores.max()) / max_len**alpha:
            break
    if not finished:
        raise RuntimeError("beam_search: every extension had probability 0; the model's logits are all -inf")
    score, tokens = max(finished, key=lambda pair: pair[0])
    return tokens, score


def beam_search(model, vocab, prompt, n: int, *, beam_width: int = 5, tokenize=None, join: str = "") -> tuple[str, float]:
    """The ``n`` tokens after ``prompt`` that beam search finds most likely under ``model``, and their
    log-probability (nats): ``(text, log_prob)``.

    Keeps the ``beam_width`` most likely continuations so far; at each step extends each by every
    token and keeps the ``beam_width`` most likely of the ``beam_width · V`` results. Width 1 is
    greedy decoding; a width of at least ``V^(n-1)`` searches every continuation. All beams have
    length ``n``, so no length normalisation is needed (compare :func:`companion.seq2seq.beam_search`,
    whose outputs end at ``<eos>``). The model (``model(x, state) -> (logits, state)``) must take a
    batch of states, as :class:`companion.models.LanguageModel` does.
    """
    from .data.text import characters

    who = "beam_search"
    if not isinstance(prompt, str):
        raise TypeError(f"{who}: expected prompt to be a str, got {describe(prompt)}")
    n = check_int(who, "n", n)
    beam_width = check_int(who, "beam_width", beam_width)
    tokenize = characters if tokenize is None else tokenize
    ids = vocab.encode(tokenize(prompt))
    if not ids:
        raise ValueError(f"{who}: expected a prompt of at least one token, got {prompt!r}")
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    model.eval()

    def step(tokens, state):
        logits, state = model(tokens.unsqueeze(1), state)
        return torch.log_softmax(logits[:, -1].double(), dim=-1), state

    with torch.no_grad():
        logits, state = model(torch.tensor([ids], device=device), None)
        log_p = torch.log_softmax(logits[:, -1].double(), dim=-1)  # (1, V): one beam so far
        best, score = beam_search_core(step, state, log_p, n, beam_width)
    return join.join(vocab.itos[i] for i in best), float(score)
