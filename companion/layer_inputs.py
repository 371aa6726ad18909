"""What a recurrent layer accepts: its input, its initial state and ``proj_size``, checked as
``torch.nn`` checks them — the same exception types (``RuntimeError`` for a wrong feature size or
state, ``ValueError`` for a wrong rank or dtype, ``TypeError`` for an argument of the wrong type)
and a message that names what was expected and what came, then says it in torch.nn's words.
"""

from __future__ import annotations

import torch

from .checks import check_matches_parameters, check_state, check_tensor, shape_str


def check_input(layer, x: torch.Tensor) -> None:
    """Exception types as torch.nn's: ``ValueError`` for a rank other than 2 or 3 and for a
    dtype other than the parameters', ``RuntimeError`` for a feature size, device or an empty
    sequence. A batch of zero sequences is allowed (the results are empty, as in torch.nn)."""
    who = type(layer).__name__
    check_tensor(who, "input", x)
    I = layer.input_size
    layout = "(B, T, {I})" if layer.batch_first else "(T, B, {I})"
    expected = f"{layout.format(I=I)} or an unbatched (T, {I})"
    if x.dim() not in (2, 3):
        raise ValueError(
            f"{who}: expected input of shape {expected}, got {shape_str(x.shape)}. "
            f"Expected input to be 2D or 3D, got {x.dim()}D instead"
        )
    if x.shape[-1] != I:
        raise RuntimeError(
            f"{who}: expected input of shape {expected}, got {shape_str(x.shape)}. "
            f"input.size(-1) must be equal to input_size. Expected {I}, got {x.shape[-1]}"
        )
    check_matches_parameters(who, "input", x, layer.weight_ih_l0, dtype_error=ValueError)
    time_dim = 0 if (x.dim() == 2 or not layer.batch_first) else 1
    if x.shape[time_dim] == 0:
        raise RuntimeError(
            f"{who}: expected a sequence of at least one time step, got T=0 (input of shape {shape_str(x.shape)}, "
            f"batch_first={layer.batch_first}). Expected sequence length to be larger than 0 in RNN"
        )

def initial_states(layer, hx, x: torch.Tensor, batched: bool):
    """Return one tuple of (B, H) tensors per (layer, direction), from ``hx`` or zeros.

    ``RuntimeError`` for a state of the wrong rank, shape, dtype or device, as in torch.nn;
    ``TypeError`` for a state that is not a tensor (or, for the LSTM, not a pair).
    """
    who = type(layer).__name__
    LD, B, H = layer.num_layers * layer.num_directions, x.shape[1], layer.hidden_size
    n = len(layer.state_names)
    if hx is None:
        tensors = [x.new_zeros(LD, B, H) for _ in range(n)]
    else:
        if n == 1:
            hx = (hx,)
        elif not isinstance(hx, (tuple, list)):
            raise TypeError(f"{who}: expected hx to be a pair (h_0, c_0) of tensors, got {type(hx).__name__}")
        elif len(hx) != 2:
            raise RuntimeError(
                f"{who}: expected hx to be a pair (h_0, c_0) of tensors, got a {type(hx).__name__} of "
                f"{len(hx)}; lstm expects two hidden states"
            )
        tensors = []
        for k, (name, value) in enumerate(zip(layer.state_names, hx)):
            which = "hidden" if n == 1 else f"hidden[{k}]"
            if batched:
                shape, meaning = (LD, B, H), "(num_layers * num_directions, B, H)"
            else:
                shape, meaning = (LD, H), "(num_layers * num_directions, H) for unbatched input"
            check_tensor(who, name, value)
            if value.dim() != len(shape):
                form = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(
                    f"{who}: expected {name} of shape {shape_str(shape)} {meaning}, got {shape_str(value.shape)}. "
                    f"For {form} input, hx should also be {len(shape)}-D but got {value.dim()}-D tensor"
                )
            # torch.nn compares the state after adding the batch dimension to an unbatched one.
            as_batched = (LD, B, H) if batched else (LD, 1, H)
            got = list(value.shape) if batched else [value.shape[0], 1, value.shape[1]]
            words = f"Expected {which} size {as_batched}, got {got}"
            check_state(who, name, value, shape, meaning, x, torch_words=words)
            tensors.append(value if batched else value.unsqueeze(1))
    return [tuple(t[k] for t in tensors) for k in range(LD)]


def check_proj_size(layer, proj_size) -> int:
    """``proj_size`` as torch.nn checks it: RNN and GRU take none (``ValueError``, torch.nn's words); the
    LSTM takes 0 (no projection, its default) and refuses ``proj_size > 0`` (an LSTM whose hidden state is
    projected, Sak et al. 2014, is out of companion's scope) with ``NotImplementedError``."""
    who, hidden_size = type(layer).__name__, layer.hidden_size
    if not layer.takes_proj_size:
        if proj_size is not None:
            raise ValueError(f"{who}: proj_size argument is only supported for LSTM, not RNN or GRU "
                             f"(got proj_size={proj_size!r})")
        return 0
    proj_size = 0 if proj_size is None else proj_size
    if not isinstance(proj_size, int) or isinstance(proj_size, bool):
        raise TypeError(f"{who}: proj_size should be of type int, got: {type(proj_size).__name__} ({proj_size!r})")
    if proj_size < 0:
        raise ValueError(f"{who}: proj_size should be a positive integer or zero to disable projections, got {proj_size}")
    if isinstance(hidden_size, int) and proj_size >= hidden_size > 0:
        raise ValueError(f"{who}: proj_size has to be smaller than hidden_size, got proj_size={proj_size} "
                         f"and hidden_size={hidden_size}")
    if proj_size > 0:
        raise NotImplementedError(
            f"{who}: proj_size={proj_size} (an LSTM whose hidden state is projected to proj_size features, "
            "Sak et al. 2014) is out of companion's scope; use torch.nn.LSTM for it, or proj_size=0")
    return 0
