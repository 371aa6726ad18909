"""Helpers shared by the tests: build a companion module next to its torch.nn
namesake with the same weights, run both on the same inputs and compare
outputs and gradients with messages that say what differs and by how much.
"""

from __future__ import annotations

import os
import random
import re
import zlib
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

import pytest
import torch
import yaml
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

import companion

TOL = 1e-9  # max abs difference allowed between companion and torch.nn in float64

LAYERS = ("RNN", "LSTM", "GRU")
CELLS = ("RNNCell", "LSTMCell", "GRUCell")


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(gen: torch.Generator, *shape) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def make_pair(name: str, *args, device="cpu", ref_device="cpu", **kwargs):
    """``(reference, ours)``: ``torch.nn.<name>`` on ``ref_device`` and ``companion.<name>`` on
    ``device``, in float64, ours loaded with the reference's (default, random) weights."""
    ref = getattr(nn, name)(*args, **kwargs).double().to(ref_device)
    ours = getattr(companion, name)(*args, **kwargs).double().to(device)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def device_of(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.detach().cpu() - b.detach().cpu()).abs().max().item() if a.numel() else 0.0


def assert_close(actual, expected, what: str, tol: float = TOL) -> None:
    """``actual`` (companion) equals ``expected`` (reference) in shape and within ``tol``."""
    assert actual is not None, f"{what}: companion gave None, the reference gave shape {tuple(expected.shape)}"
    assert tuple(actual.shape) == tuple(expected.shape), (
        f"{what}: shape {tuple(actual.shape)} from companion, {tuple(expected.shape)} from the reference"
    )
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} from companion, {expected.dtype} from the reference"
    diff = max_abs_diff(actual, expected)
    if not diff <= tol:  # also fails on NaN
        flat = (actual.detach().cpu() - expected.detach().cpu()).abs().flatten()
        worst = torch.unravel_index(flat.argmax(), actual.shape)
        where = tuple(int(i) for i in worst)
        raise AssertionError(
            f"{what}: max |companion - reference| = {diff:.3e} > {tol:.0e} at index {where} "
            f"(companion {actual.detach().cpu()[where].item():.12g}, reference {expected.detach().cpu()[where].item():.12g})"
        )


def flatten(value, name: str = "output") -> list[tuple[str, object]]:
    """Named leaves of a return value: tensors, and PackedSequence fields (``data`` and the index tensors)."""
    if isinstance(value, PackedSequence):
        return [(f"{name}.{field}", getattr(value, field)) for field in PackedSequence._fields]
    if isinstance(value, (tuple, list)):
        return [leaf for i, v in enumerate(value) for leaf in flatten(v, f"{name}[{i}]")]
    return [(name, value)]


def assert_same_outputs(ours, ref) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """Compare two return values leaf by leaf; return the floating-point leaves as ``(name, ours, ref)``."""
    ours_leaves, ref_leaves = flatten(ours), flatten(ref)
    assert [n for n, _ in ours_leaves] == [n for n, _ in ref_leaves], (
        f"return structure differs: companion {[n for n, _ in ours_leaves]}, reference {[n for n, _ in ref_leaves]}"
    )
    floating = []
    for (name, a), (_, b) in zip(ours_leaves, ref_leaves):
        if b is None or not b.is_floating_point():  # PackedSequence batch_sizes and indices: exactly equal
            assert (a is None) == (b is None) and (b is None or torch.equal(a.cpu(), b.cpu())), (
                f"{name}: companion {a}, reference {b}"
            )
        else:
            assert_close(a, b, name)
            floating.append((name, a, b))
    return floating


def run_and_compare(ref: nn.Module, ours: nn.Module, leaves: dict, call, gen: torch.Generator):
    """Run ``call(module, leaves)`` on both modules with their own copies of ``leaves``
    (tensors that require grad, on the module's device), compare every output, then
    backpropagate the same random linear functional of all outputs through both and
    compare the gradients of every parameter (by name) and of every leaf."""
    ours_leaves = {k: v.detach().to(device_of(ours), copy=True).requires_grad_() for k, v in leaves.items()}
    ref_leaves = {k: v.detach().to(device_of(ref), copy=True).requires_grad_() for k, v in leaves.items()}
    out_ours, out_ref = call(ours, ours_leaves), call(ref, ref_leaves)
    floating = assert_same_outputs(out_ours, out_ref)

    loss_ours = loss_ref = 0
    for _, a, b in floating:
        weights = randn(gen, *b.shape)
        loss_ours = loss_ours + (a * weights.to(a.device)).sum()
        loss_ref = loss_ref + (b * weights.to(b.device)).sum()
    ours.zero_grad(set_to_none=True)
    ref.zero_grad(set_to_none=True)
    loss_ours.backward()
    loss_ref.backward()

    assert_same_grads(ours, ref)
    for k in leaves:
        assert_close(ours_leaves[k].grad, ref_leaves[k].grad, f"gradient of {k}")


def assert_same_grads(ours: nn.Module, ref: nn.Module) -> None:
    ours_params, ref_params = dict(ours.named_parameters()), dict(ref.named_parameters())
    assert list(ours_params) == list(ref_params), f"parameters: companion {list(ours_params)}, torch.nn {list(ref_params)}"
    for name, p in ref_params.items():
        assert p.grad is not None, f"torch.nn gave no gradient for {name}: the random functional missed it"
        assert_close(ours_params[name].grad, p.grad, f"gradient of {name}")


def module_call(kind: str, batch_first: bool = False):
    """``call`` for :func:`run_and_compare`: input ``x`` and, when present, ``h`` (and ``c`` for an LSTM)."""

    def call(module, leaves):
        if "h" not in leaves:
            return module(leaves["x"])
        hx = (leaves["h"], leaves["c"]) if kind.startswith("LSTM") else leaves["h"]
        return module(leaves["x"], hx)

    return call


# -- random layer configurations ---------------------------------------------


def layer_config(rng: random.Random, kind: str, **fixed) -> dict:
    """A random configuration of a layer and its input; ``fixed`` overrides any field."""
    cfg = dict(
        kind=kind,
        num_layers=rng.randint(1, 3),
        bidirectional=rng.random() < 0.5,
        batch_first=rng.random() < 0.5,
        bias=rng.random() < 0.75,
        with_hx=rng.random() < 0.5,
        batched=rng.random() < 0.8,
        nonlinearity=rng.choice(["tanh", "relu"]) if kind == "RNN" else None,
        input_size=rng.randint(1, 5),
        hidden_size=rng.randint(1, 6),
        T=rng.randint(1, 6),
        B=rng.randint(1, 4),
    )
    cfg.update(fixed)
    return cfg


def config_id(cfg: dict) -> str:
    parts = [cfg["kind"], f"L{cfg['num_layers']}", "bi" if cfg["bidirectional"] else "uni"]
    parts += ["batch_first"] if cfg["batch_first"] else []
    parts += [] if cfg["bias"] else ["nobias"]
    parts += ["hx"] if cfg["with_hx"] else []
    parts += [] if cfg["batched"] else ["unbatched"]
    parts += [cfg["nonlinearity"]] if cfg["nonlinearity"] not in (None, "tanh") else []
    parts += [f"I{cfg['input_size']}H{cfg['hidden_size']}T{cfg['T']}B{cfg['B']}"]
    return "-".join(parts)


def layer_kwargs(cfg: dict) -> dict:
    kwargs = {k: cfg[k] for k in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional")}
    if cfg["nonlinearity"] is not None:
        kwargs["nonlinearity"] = cfg["nonlinearity"]
    return kwargs


def layer_leaves(cfg: dict, gen: torch.Generator) -> dict:
    """Random input ``x`` and, with ``with_hx``, initial state(s) shaped for ``cfg``."""
    T, B, I, H = cfg["T"], cfg["B"], cfg["input_size"], cfg["hidden_size"]
    LD = cfg["num_layers"] * (2 if cfg["bidirectional"] else 1)
    if not cfg["batched"]:
        x_shape, h_shape = (T, I), (LD, H)
    else:
        x_shape, h_shape = ((B, T, I) if cfg["batch_first"] else (T, B, I)), (LD, B, H)
    leaves = {"x": randn(gen, *x_shape)}
    if cfg["with_hx"]:
        leaves["h"] = randn(gen, *h_shape)
        if cfg["kind"] == "LSTM":
            leaves["c"] = randn(gen, *h_shape)
    return leaves


def packed_leaves(gen: torch.Generator, lengths, input_size: int) -> dict:
    """A padded (T, B, I) input for ``lengths``, zero past each sequence's end."""
    T, B = max(lengths), len(lengths)
    x = randn(gen, T, B, input_size)
    mask = torch.arange(T).unsqueeze(1) < torch.tensor(lengths).unsqueeze(0)
    return {"x": x * mask.unsqueeze(-1)}


def packed_call(kind: str, lengths, enforce_sorted: bool):
    """``call`` for :func:`run_and_compare` that packs the padded ``x`` with ``lengths`` first."""
    inner = module_call(kind)

    def call(module, leaves):
        packed = pack_padded_sequence(leaves["x"], torch.tensor(lengths), enforce_sorted=enforce_sorted)
        return inner(module, {**leaves, "x": packed})

    return call


def assert_state_dict_moves_both_ways(name: str, args: tuple, kwargs: dict, x: torch.Tensor) -> None:
    """``torch.nn.<name>`` and ``companion.<name>``: the same state_dict keys and shapes in the
    same order, and a state_dict loaded either way gives equal parameters and outputs on ``x``."""
    ref = getattr(nn, name)(*args, **kwargs).double()
    ours = getattr(companion, name)(*args, **kwargs).double()
    layout_ref = [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    layout_ours = [(k, tuple(v.shape)) for k, v in ours.state_dict().items()]
    assert layout_ours == layout_ref, f"state_dict keys and shapes: companion {layout_ours}, torch.nn {layout_ref}"

    for direction, source, target in (("torch.nn -> companion", ref, ours), ("companion -> torch.nn", ours, ref)):
        source.reset_parameters()  # a fresh random draw, so the target starts different
        assert any(not torch.equal(a, b) for a, b in zip(source.parameters(), target.parameters())), (
            f"{direction}: the two modules start with equal weights, so loading would prove nothing"
        )
        target.load_state_dict(source.state_dict())
        for (key, a), b in zip(source.state_dict().items(), target.state_dict().values()):
            assert torch.equal(a, b), f"{direction}: {key} differs after load_state_dict"
        with torch.no_grad():
            assert_same_outputs(ours(x), ref(x))


# -- tests ported from PyTorch (tests/test_torch_port_*.py) ---------------------------
#
# Shared by the tests ported from PyTorch (``tests/test_torch_port_*.py``).
#
# Every ported test runs twice, once on ``torch.nn`` (the reference: the test must pass there, or
# the port is wrong) and once on ``companion`` (the claim: a drop-in equivalent). The fixture
# ``nn_impl`` gives the namespace, ``torch.nn`` or ``companion``, from which a test takes
# ``RNN``, ``LSTM``, ``GRU``, ``RNNCell``, ``LSTMCell`` and ``GRUCell``.
#
# The sample inputs below are those of ``torch/testing/_internal/common_modules.py`` (torch
# 2.13: ``module_inputs_torch_nn_RNN_GRU``, ``..._LSTM``, ``..._RNN_GRU_Cell``, ``..._LSTMCell``
# and the matching ``module_error_inputs_...``), rewritten here because that module cannot be
# imported without torch's test-only dependencies (``expecttest``), and so that a sample names
# its module by name and runs on either namespace.



IMPLS = {"torch.nn": torch.nn, "companion": companion}


@pytest.fixture(params=list(IMPLS), ids=list(IMPLS))
def nn_impl(request):
    """``torch.nn`` or ``companion``: where the test takes its recurrent modules from."""
    return IMPLS[request.param]


@pytest.fixture(autouse=True)
def seeded(request):
    """Seed torch's global generator from the test's id, so every draw (make_tensor, torch.randn,
    reset_parameters, dropout) is reproducible and a failure can be rerun alone."""
    torch.manual_seed(zlib.crc32(request.node.nodeid.encode()))


def make(shape, dtype=torch.float64, device="cpu", requires_grad=False):
    """``torch.testing.make_tensor`` as common_modules calls it (values in [-9, 9))."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return torch.testing.make_tensor(shape, dtype=dtype, device=device, requires_grad=requires_grad)


# -- sample inputs ---------------------------------------------------------------


@dataclass
class Sample:
    """One ``ModuleInput``: constructor arguments, forward arguments (built lazily, for a dtype,
    device and requires_grad) and how the reference output is computed from a batched call."""

    kind: str
    ctor_args: tuple = ()
    ctor_kwargs: dict = field(default_factory=dict)
    forward: object = None  # forward(dtype, device, requires_grad) -> tuple of args
    reference: str = ""  # "cell", "lstmcell", "rnn_gru" or "lstm": common_modules' no_batch_dim_reference_*
    desc: str = ""

    @property
    def id(self) -> str:
        kw = ",".join(f"{k}={v}" for k, v in self.ctor_kwargs.items())
        args = ",".join(map(str, self.ctor_args))
        return f"{self.kind}({args}{',' if args and kw else ''}{kw}){self.desc}"

    def construct(self, impl, **extra):
        return getattr(impl, self.kind)(*self.ctor_args, **self.ctor_kwargs, **extra)


def cell_samples(kind: str) -> list[Sample]:
    """module_inputs_torch_nn_RNN_GRU_Cell (is_rnn for RNNCell) and module_inputs_torch_nn_LSTMCell."""
    if kind == "LSTMCell":
        fwd = lambda dt, dev, rg: (make(5, dt, dev, rg), (make(10, dt, dev, rg), make(10, dt, dev, rg)))  # noqa: E731
        return [Sample(kind, (5, 10), {}, fwd, "lstmcell"), Sample(kind, (5, 10), {"bias": True}, fwd, "lstmcell")]
    fwd = lambda dt, dev, rg: (make(5, dt, dev, rg), make(10, dt, dev, rg))  # noqa: E731
    samples = [Sample(kind, (5, 10), {}, fwd, "cell"), Sample(kind, (5, 10), {"bias": True}, fwd, "cell")]
    if kind == "RNNCell":
        samples.append(Sample(kind, (5, 10), {"bias": True, "nonlinearity": "relu"}, fwd, "cell"))
    return samples


def layer_samples(kind: str, with_packed_sequence: bool = False) -> list[Sample]:
    """module_inputs_torch_nn_RNN_GRU (RNN, GRU) and module_inputs_torch_nn_LSTM: 2 layers, every
    combination of bias, batch_first, bidirectional (and nonlinearity for RNN); unbatched inputs."""
    samples = []
    if kind == "LSTM":
        for b, b_f, bidir, proj_size in product((False, True), (False, True), (False, True), (0, 2)):
            cons = {"input_size": 2, "hidden_size": 3, "num_layers": 2, "proj_size": proj_size,
                    "batch_first": b_f, "bias": b, "bidirectional": bidir}
            h_out = proj_size if proj_size > 0 else 3
            D = 4 if bidir else 2
            samples.append(Sample(kind, (), dict(cons), lambda dt, dev, rg: (make((2, 2), dt, dev, rg),), "lstm"))
            samples.append(Sample(kind, (), dict(cons), lambda dt, dev, rg, D=D, h_out=h_out: (
                make((3, 2), dt, dev, rg), (make((D, h_out), dt, dev, rg), make((D, 3), dt, dev, rg))), "lstm",
                desc="-hx"))
        return samples
    is_rnn = kind == "RNN"
    combos = product(("relu", "tanh"), (False, True), (False, True), (False, True)) if is_rnn else \
        ((None, *c) for c in product((False, True), (False, True), (False, True)))
    for nl, b, b_f, bidir in combos:
        cons = {"input_size": 2, "hidden_size": 2, "num_layers": 2, "batch_first": b_f, "bias": b, "bidirectional": bidir}
        cons_hidden = dict(cons, hidden_size=3)
        if is_rnn:
            cons["nonlinearity"] = cons_hidden["nonlinearity"] = nl
        D = 4 if bidir else 2
        samples.append(Sample(kind, (), cons, lambda dt, dev, rg: (make((3, 2), dt, dev, rg),), "rnn_gru"))
        samples.append(Sample(kind, (), cons_hidden, lambda dt, dev, rg, D=D: (
            make((3, 2), dt, dev, rg), make((D, 3), dt, dev, rg)), "rnn_gru", desc="-hx"))
        if with_packed_sequence:
            for T, B, lengths in ((5, 2, [5, 3]), (5, 5, [5, 3, 3, 2, 2])):
                samples.append(Sample(kind, (), cons, lambda dt, dev, rg, T=T, B=B, lengths=lengths: (
                    packed(make((T, B, 2), dt, dev, rg), lengths),), "", desc=f"-packed{B}"))
    return samples


def packed(inp: torch.Tensor, lengths) -> torch.nn.utils.rnn.PackedSequence:
    """common_modules' make_packed_sequence: the padded tensor does not require grad, the data does."""
    requires_grad = inp.requires_grad
    inp.requires_grad_(False)
    seq = pack_padded_sequence(inp, torch.tensor(lengths))
    seq.data.requires_grad_(requires_grad)
    return seq


def samples_of(kind: str) -> list[Sample]:
    return cell_samples(kind) if kind.endswith("Cell") else layer_samples(kind)


KINDS = ("RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell")

# -- common_modules' no-batch-dim reference functions -------------------------------


def reference_output(sample: Sample, m, args):
    """What the module gives on the same input with a batch of one added and then removed."""
    if sample.reference == "cell":
        batched = [a.unsqueeze(0) for a in args]
        return m(*batched).squeeze(0)
    if sample.reference == "lstmcell":
        inp, (h, c) = args
        out = m(inp.unsqueeze(0), (h.unsqueeze(0), c.unsqueeze(0)))
        return out[0].squeeze(0), out[1].squeeze(0)
    batch_dim = 0 if sample.ctor_kwargs["batch_first"] else 1
    inp, h = args[0], (args[1] if len(args) == 2 else None)
    if sample.reference == "rnn_gru":
        out = m(inp.unsqueeze(batch_dim), None if h is None else h.unsqueeze(1))
        return out[0].squeeze(batch_dim), out[1].squeeze(1)
    out = m(inp.unsqueeze(batch_dim), None if h is None else (h[0].unsqueeze(1), h[1].unsqueeze(1)))
    return out[0].squeeze(batch_dim), (out[1][0].squeeze(1), out[1][1].squeeze(1))


def leaves(value) -> list:
    """The tensors of a (nested) return value, PackedSequence data included, in order."""
    if isinstance(value, torch.nn.utils.rnn.PackedSequence):
        return [value.data]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in leaves(v)]
    return [value] if isinstance(value, torch.Tensor) else []


def assert_equal(actual, expected, what="", atol=None, rtol=None):
    """``TestCase.assertEqual`` on nested tensors: same structure, shapes, dtypes, values."""
    a, e = leaves(actual), leaves(expected)
    assert len(a) == len(e), f"{what}: {len(a)} tensors, expected {len(e)}"
    for i, (x, y) in enumerate(zip(a, e)):
        torch.testing.assert_close(x, y, atol=atol, rtol=rtol, msg=lambda m: f"{what}[{i}]: {m}")


# ----------------------------------------------------------------------------
# The test suite's seeds (tests/conftest.py seeds every test with seed_of its node id)

TEST_SEED_VAR = "RECURRENT_TEST_SEED"


def _base_seed() -> int:
    value = os.environ.get(TEST_SEED_VAR, "").strip() or "0"
    if not value.isdigit():
        raise ValueError(f"{TEST_SEED_VAR} must be a non-negative integer, got {value!r}")
    return int(value)


def seed_of(nodeid: str) -> int:
    """The seed of one test: its name's CRC-32 mixed with ``RECURRENT_TEST_SEED``."""
    return (zlib.crc32(nodeid.encode()) + 1_000_003 * _base_seed()) % 2**32


# ----------------------------------------------------------------------------
# Tables of bad input (tests/test_bad_input*.py)


def bad_input_case(id, who, make, exc, expected, got):
    """One row of a bad-input table: ``make()`` must raise ``exc`` whose message starts with
    ``who:``, contains every string in ``expected``, and ``got`` after the word 'got' (unless
    ``got`` is None or empty: nothing came that could be named)."""
    return pytest.param(who, make, exc, expected, got, id=id)


def assert_refused(who, make, exc, expected, got) -> None:
    """Check one row of a bad-input table (see :func:`bad_input_case`)."""
    with pytest.raises(Exception) as info:
        make()
    message = str(info.value)
    assert info.type is exc, f"raised {info.type.__name__} instead of {exc.__name__}: {message}"
    assert message.startswith(f"{who}: "), f"message does not start with the caller's name {who!r}: {message}"
    for part in expected:
        assert part in message, f"message does not name the expected {part!r}: {message}"
    if got:
        assert re.search(r"\bgot\b.*" + re.escape(got), message), f"message does not say it got {got!r}: {message}"


# --------------------------------------------------------------------------
# The book's table of contents (the browser test and the apparatus test)
# --------------------------------------------------------------------------

TOC_FILE = Path(__file__).resolve().parent.parent / "_toc.yml"


def toc_pages(toc_file: Path = TOC_FILE) -> list[str]:
    """Every page of the table of contents in reading order, e.g. ``["book/preface", "book/rnn"]``."""
    toc = yaml.safe_load(toc_file.read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in toc.items() if key != "root"})
    return [re.sub(r"\.(ipynb|md|rst)$", "", page) for page in pages]
