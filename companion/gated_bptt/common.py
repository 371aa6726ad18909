"""What the LSTM's and the GRU's hand-written backward passes share: the checks of their arguments
(messages in torch.nn's style: what was expected, what came) and the products of step Jacobians."""

from __future__ import annotations

import torch

from ..checks import check_finite_array, check_instance, describe, shape_str


def _check_tensors(who: str, given: dict, optional: tuple = ()) -> None:
    """Each value a floating-point torch.Tensor (``None`` allowed for the names in ``optional``),
    all of one dtype and on one device, with no NaN or infinite value."""
    present = {}
    for name, value in given.items():
        if value is None and name in optional:
            continue
        check_instance(who, name, value, torch.Tensor, "a torch.Tensor" + (" or None" if name in optional else ""))
        if not value.is_floating_point():
            raise TypeError(f"{who}: expected {name} to be a floating-point tensor (float32 or float64), "
                            f"got {value.dtype}")
        present[name] = value
    if len({value.dtype for value in present.values()}) > 1:
        raise TypeError(f"{who}: expected {', '.join(present)} of one dtype, got "
                        + ", ".join(f"{name} {value.dtype}" for name, value in present.items()))
    if len({value.device for value in present.values()}) > 1:
        raise RuntimeError(f"{who}: expected {', '.join(present)} on one device, got "
                           + ", ".join(f"{name} on {value.device}" for name, value in present.items()))
    for name, value in present.items():
        check_finite_array(who, name, value)


def _check_weights(who: str, gates: int, weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> tuple[int, int]:
    """``weight_hh`` (G·H, H), ``weight_ih`` (G·H, I), biases (G·H,) or None; return ``(H, I)``."""
    kind = {4: "an LSTM's 4H = (i, f, g, o)", 3: "a GRU's 3H = (r, z, n)"}[gates]
    if weight_hh.dim() != 2 or weight_hh.shape[0] != gates * weight_hh.shape[1] or weight_hh.shape[1] == 0:
        raise ValueError(f"{who}: expected weight_hh of shape ({gates}H, H) with H >= 1 ({kind} blocks of H rows), "
                         f"got {shape_str(weight_hh.shape)}")
    H = weight_hh.shape[1]
    if weight_ih.dim() != 2 or weight_ih.shape[0] != gates * H:
        raise ValueError(f"{who}: expected weight_ih of shape ({gates * H}, I) ({gates}H rows, H = {H} from weight_hh), "
                         f"got {shape_str(weight_ih.shape)}")
    for name, bias in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if bias is not None and tuple(bias.shape) != (gates * H,):
            raise ValueError(f"{who}: expected {name} of shape ({gates * H},) ({gates}H, H = {H} from weight_hh) or "
                             f"None, got {shape_str(bias.shape)}")
    return H, weight_ih.shape[1]


def _check_shape(who: str, name: str, value, expected: tuple, meaning: str) -> None:
    if tuple(value.shape) != tuple(expected):
        raise ValueError(f"{who}: expected {name} of shape {shape_str(expected)} {meaning}, got {shape_str(value.shape)}")


def _check_step(who: str, gates: int, tensors: dict, weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> int:
    """One step's tensors: ``x_t`` (B, I), every other one (B, H); return B."""
    _check_tensors(who, {**tensors, "weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih,
                         "bias_hh": bias_hh}, optional=("bias_ih", "bias_hh"))
    H, I = _check_weights(who, gates, weight_ih, weight_hh, bias_ih, bias_hh)
    x_t = tensors["x_t"]
    if x_t.dim() != 2 or x_t.shape[1] != I:
        raise ValueError(f"{who}: expected x_t of shape (B, {I}) (I = {I} from weight_ih), got {shape_str(x_t.shape)}")
    B = x_t.shape[0]
    for name, value in tensors.items():
        if name != "x_t":
            _check_shape(who, name, value, (B, H), f"(B, H), with B = {B} from x_t and H = {H} from weight_hh")
    return B


def _check_cache(who: str, cache, names: tuple, like: torch.Tensor, shape: tuple, meaning: str) -> dict:
    """A step's ``cache``: a dict with exactly ``names``, each a tensor of ``shape`` and ``like``'s dtype."""
    if not isinstance(cache, dict) or set(cache) != set(names):
        got = f"a dict with keys {sorted(cache)}" if isinstance(cache, dict) else describe(cache)
        raise TypeError(f"{who}: expected cache to be the dict with keys {list(names)} that the forward step "
                        f"returns, got {got}")
    for name in names:
        value = cache[name]
        check_instance(who, f"cache[{name!r}]", value, torch.Tensor, "a torch.Tensor")
        if value.dtype != like.dtype or value.device != like.device:
            raise TypeError(f"{who}: expected cache[{name!r}] of dtype {like.dtype} on {like.device} (like x_t), "
                            f"got {value.dtype} on {value.device}")
        _check_shape(who, f"cache[{name!r}]", value, shape, meaning)
        check_finite_array(who, f"cache[{name!r}]", value)
    return cache


def _check_sequence(who: str, gates: int, x, hx, weight_ih, weight_hh, bias_ih, bias_hh):
    """``x`` (T, B, I) with T >= 1 and the initial state(s), zeros when ``hx`` is None; return the state(s)."""
    check_instance(who, "x", x, torch.Tensor, "a torch.Tensor of shape (T, B, I)")
    check_instance(who, "weight_ih", weight_ih, torch.Tensor, "a torch.Tensor")
    check_instance(who, "weight_hh", weight_hh, torch.Tensor, "a torch.Tensor")
    states = ("h0", "c0") if gates == 4 else ("h0",)
    if hx is not None and gates == 4:
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{who}: expected hx to be a pair (h0, c0) of (B, H) tensors or None, got {describe(hx)}")
    given = {"x": x, "weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih, "bias_hh": bias_hh}
    if hx is not None:
        given.update(zip(states, hx if gates == 4 else (hx,)))
    _check_tensors(who, given, optional=("bias_ih", "bias_hh"))
    H, I = _check_weights(who, gates, weight_ih, weight_hh, bias_ih, bias_hh)
    if x.dim() != 3 or x.shape[2] != I or x.shape[0] == 0:
        raise ValueError(f"{who}: expected x of shape (T, B, {I}) with T >= 1 (time first, I = {I} from weight_ih), "
                         f"got {shape_str(x.shape)}")
    B = x.shape[1]
    if hx is None:
        return tuple(x.new_zeros(B, H) for _ in states)
    for name in states:
        _check_shape(who, name, given[name], (B, H), f"(B, H), with B = {B} from x and H = {H} from weight_hh")
    return tuple(given[name] for name in states)



def _check_sequence_grads(who: str, cache, names: tuple, grads: dict) -> dict:
    """The layer's cache (from the forward function) and the gradients of its outputs, zeros where None."""
    if not isinstance(cache, dict) or set(cache) != set(names):
        got = f"a dict with keys {sorted(cache)}" if isinstance(cache, dict) else describe(cache)
        raise TypeError(f"{who}: expected cache to be the dict that the forward function returns "
                        f"(keys {list(names)}), got {got}")
    output = cache["h"]
    T, B, H = output.shape
    filled = {}
    for name, value in grads.items():
        if value is None and name != "grad_output":
            filled[name] = torch.zeros_like(output[0])
            continue
        check_instance(who, name, value, torch.Tensor, "a torch.Tensor" + ("" if name == "grad_output" else " or None"))
        shape, meaning = ((T, B, H), "(T, B, H), like the output") if name == "grad_output" else ((B, H), "(B, H)")
        _check_shape(who, name, value, shape, meaning)
        if value.dtype != output.dtype or value.device != output.device:
            raise TypeError(f"{who}: expected {name} of dtype {output.dtype} on {output.device} (like the output), "
                            f"got {value.dtype} on {value.device}")
        check_finite_array(who, name, value)
        filled[name] = value
    return filled



def _products(jacobians: torch.Tensor) -> torch.Tensor:
    """``jacobians`` (T, B, S, S), entry ``j`` the Jacobian of step j+1; return (T, B, S, S): entry ``k``
    is ``J_T J_{T-1} ... J_{T-k+1}`` (k = 0: the identity), multiplied on the right from ``j = T`` down."""
    T, B, S, _ = jacobians.shape
    products = [torch.eye(S, dtype=jacobians.dtype, device=jacobians.device).expand(B, S, S)]
    for j in range(T - 1, 0, -1):
        products.append(products[-1] @ jacobians[j])
    return torch.stack(products)


def _norm(matrices: torch.Tensor) -> torch.Tensor:
    return torch.linalg.matrix_norm(matrices, ord=2)  # one batched SVD
