"""Hugging Face transformers models on torchact's ops, with one call:

    import torchact.integrations.transformers as tt
    report = tt.apply(model)   # patches this model instance in place; returns what it patched
    print(report)              # swiglu: 32 MLPs, activations: 0 modules

- Gated MLPs become one fused op: the Llama-style MLP (gate_proj, up_proj, down_proj; Mistral,
  Qwen2/3, Gemma, Qwen2-MoE's shared expert, ...) -> swiglu / geglu / reglu by its activation;
  Phi-3's fused gate_up_proj -> swiglu_packed; the experts of Mixtral, Qwen2-MoE and other
  `@use_experts_implementation` models -> swiglu_packed; GPT-OSS's experts -> swiglu_oai_packed
  (interleaved, clamped, up + 1); T5 v1.1's gated GELU -> geglu(approximate='tanh').
- Every activation module (torch.nn's and transformers' own) becomes its torchact.nn equivalent;
  activations without one are left alone and listed in the report.

Only the given instance changes: its classes and other instances are untouched. Weights, module
names and the state_dict stay as they are. A module is patched only where its code is exactly
the code this patch replaces (its forward's source, compared as a syntax tree): a release of
transformers that changes a model's MLP leaves that MLP alone (the report says so) rather than
patching it wrongly. Applying twice patches nothing more.

Mixtral-style experts run the fused op in transformers' default experts implementations
(grouped_mm, batched_mm), which call the module's _apply_gate; experts_implementation="eager"
computes act_fn(gate) * up inline, where only act_fn becomes torchact's.
"""
import ast
import inspect
import textwrap
import types
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, NamedTuple, Optional, Union

import torch
from torch import nn

__all__ = ["apply", "Report", "TESTED_TRANSFORMERS_VERSIONS"]

TESTED_TRANSFORMERS_VERSIONS = ("5.24.0",)

try:
    from transformers import activations as _hf_activations
except ImportError as error:
    raise ImportError(
        "torchact.integrations.transformers needs Hugging Face transformers (pip install "
        f"transformers; tested with {', '.join(TESTED_TRANSFORMERS_VERSIONS)})") from error

import torchact
import torchact.nn as tnn


def _hf(name: str):
    """transformers' activation class `name`, or None in a release without it."""
    return getattr(_hf_activations, name, None)


# ---------------------------------------------------------------------------------------------
# Activations: exact module type -> (torchact's name for it, its torchact.nn module)
_ACTIVATIONS: Dict[type, tuple] = {
    nn.Sigmoid: ("sigmoid", lambda m: tnn.Sigmoid()),
    nn.Tanh: ("tanh", lambda m: tnn.Tanh()),
    nn.ReLU: ("relu", lambda m: tnn.ReLU(m.inplace)),
    nn.LeakyReLU: ("leaky_relu", lambda m: tnn.LeakyReLU(m.negative_slope, m.inplace)),
    nn.GELU: ("gelu", lambda m: tnn.GELU(m.approximate)),
    nn.SiLU: ("silu", lambda m: tnn.SiLU(m.inplace)),
    nn.Mish: ("mish", lambda m: tnn.Mish(m.inplace)),
    nn.ELU: ("elu", lambda m: tnn.ELU(m.alpha, m.inplace)),
    nn.SELU: ("selu", lambda m: tnn.SELU(m.inplace)),
    nn.CELU: ("celu", lambda m: tnn.CELU(m.alpha, m.inplace)),
    nn.Softplus: ("softplus", lambda m: tnn.Softplus(m.beta, m.threshold)),
    nn.Hardsigmoid: ("hardsigmoid", lambda m: tnn.Hardsigmoid(m.inplace)),
    nn.Hardswish: ("hardswish", lambda m: tnn.Hardswish(m.inplace)),
    nn.ReLU6: ("relu6", lambda m: tnn.ReLU6(m.inplace)),
    nn.Hardtanh: ("hardtanh", lambda m: tnn.Hardtanh(m.min_val, m.max_val, m.inplace)),
}
# transformers' own: GELUActivation is exact GELU (F.gelu, or its erf formula); GELUTanh,
# NewGELUActivation, FastGELUActivation and AccurateGELUActivation are all the tanh formula.
for _name, _entry in {
        "SiLUActivation": ("silu", lambda m: tnn.SiLU()),
        "GELUActivation": ("gelu", lambda m: tnn.GELU("none")),
        "GELUTanh": ("gelu(tanh)", lambda m: tnn.GELU("tanh")),
        "NewGELUActivation": ("gelu(tanh)", lambda m: tnn.GELU("tanh")),
        "FastGELUActivation": ("gelu(tanh)", lambda m: tnn.GELU("tanh")),
        "AccurateGELUActivation": ("gelu(tanh)", lambda m: tnn.GELU("tanh")),
        "QuickGELUActivation": ("quick_gelu", lambda m: tnn.QuickGELU()),
        "MishActivation": ("mish", lambda m: tnn.Mish()),
        "ReLUSquaredActivation": ("relu_squared", lambda m: tnn.ReLUSquared()),
}.items():
    if _hf(_name) is not None:
        _ACTIVATIONS[_hf(_name)] = _entry

# torchact.nn's activation modules (not its gated blocks and feed-forwards): what a patched
# model's activations already are.
_TORCHACT_ACTIVATIONS = tuple(getattr(tnn, name) for name in tnn.__all__
                              if "GLU" not in name and "FeedForward" not in name)


def _is_activation(module: nn.Module) -> bool:
    """Looks like an activation (defined with torch.nn's or transformers' activations)."""
    return type(module).__module__ in (nn.modules.activation.__name__, _hf_activations.__name__)


# ---------------------------------------------------------------------------------------------
# Gated ops: the activation of a gated MLP -> its fused op, on gate and up and on packed halves
class _Gated(NamedTuple):
    split: Callable
    packed: Callable


_GATED = {
    "swiglu": _Gated(lambda g, u: torchact.swiglu(g, u), lambda x: torchact.swiglu_packed(x, -1)),
    "geglu": _Gated(lambda g, u: torchact.geglu(g, u), lambda x: torchact.geglu_packed(x, -1)),
    "geglu(tanh)": _Gated(lambda g, u: torchact.geglu(g, u, approximate="tanh"),
                          lambda x: torchact.geglu_packed(x, -1, approximate="tanh")),
    "reglu": _Gated(lambda g, u: torchact.reglu(g, u), lambda x: torchact.reglu_packed(x, -1)),
}
_GATE_OF_ACTIVATION = {"silu": "swiglu", "gelu": "geglu", "gelu(tanh)": "geglu(tanh)", "relu": "reglu"}


def _gated_op(activation) -> Optional[str]:
    """The fused op for `activation(gate) * up`, or None where torchact has none."""
    kind = type(activation)
    if kind in (nn.GELU, tnn.GELU):
        name = "gelu(tanh)" if activation.approximate == "tanh" else "gelu"
    elif kind in (tnn.SiLU, tnn.ReLU):
        name = "silu" if kind is tnn.SiLU else "relu"
    else:
        name = _ACTIVATIONS.get(kind, (None,))[0]
    return _GATE_OF_ACTIVATION.get(name)


# ---------------------------------------------------------------------------------------------
# The code each patch replaces, as transformers writes it (the argument after self may have
# any name there), and what replaces it.
def _llama_mlp(self, x):
    down_proj = self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))
    return down_proj


def _phi3_mlp(self, x):
    up_states = self.gate_up_proj(x)
    gate, up_states = up_states.chunk(2, dim=-1)
    up_states = up_states * self.activation_fn(gate)
    return self.down_proj(up_states)


def _t5_gated_dense(self, hidden_states):
    hidden_gelu = self.act(self.wi_0(hidden_states))
    hidden_linear = self.wi_1(hidden_states)
    hidden_states = hidden_gelu * hidden_linear
    hidden_states = self.dropout(hidden_states)
    if (isinstance(self.wo.weight, torch.Tensor) and hidden_states.dtype != self.wo.weight.dtype
            and self.wo.weight.dtype != torch.int8):
        hidden_states = hidden_states.to(self.wo.weight.dtype)
    hidden_states = self.wo(hidden_states)
    return hidden_states


def _experts_default_gate(self, x):  # transformers.integrations.moe's default _apply_gate
    gate, up = x.chunk(2, dim=-1)
    return self.act_fn(gate) * up


def _gpt_oss_gate(self, x):
    gate, up = x[..., ::2], x[..., 1::2]
    gate = gate.clamp(min=None, max=self.limit)
    up = up.clamp(min=-self.limit, max=self.limit)
    glu = gate * torch.sigmoid(gate * self.alpha)
    gated_output = (up + 1) * glu
    return gated_output


# The replacements. Each is named after the method it replaces: a pickled model (torch.save of
# the whole module) is loaded with the class's method, i.e. unpatched, never broken.
def _fused_llama_mlp(self, x):
    return self.down_proj(_GATED[self._torchact_patch].split(self.gate_proj(x), self.up_proj(x)))


def _fused_phi3_mlp(self, x):
    return self.down_proj(_GATED[self._torchact_patch].packed(self.gate_up_proj(x)))


def _fused_t5_gated_dense(self, x):
    hidden_states = _GATED[self._torchact_patch].split(self.wi_0(x), self.wi_1(x))
    hidden_states = self.dropout(hidden_states)
    if (isinstance(self.wo.weight, torch.Tensor) and hidden_states.dtype != self.wo.weight.dtype
            and self.wo.weight.dtype != torch.int8):
        hidden_states = hidden_states.to(self.wo.weight.dtype)
    return self.wo(hidden_states)


def _fused_experts_gate(self, x):
    return _GATED[self._torchact_patch].packed(x)


def _fused_gpt_oss_gate(self, x):
    return torchact.swiglu_oai_packed(x, -1, interleaved=True, alpha=self.alpha, limit=self.limit)


for _function, _method in ((_fused_llama_mlp, "forward"), (_fused_phi3_mlp, "forward"),
                           (_fused_t5_gated_dense, "forward"), (_fused_experts_gate, "_apply_gate"),
                           (_fused_gpt_oss_gate, "_apply_gate")):
    _function.__name__ = _method


def _canonical(function) -> Optional[str]:
    """A method's body as normalized source (no docstring, comments or formatting; its argument
    after self renamed x), or None where it has no source or another signature."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    definition = tree.body[0] if tree.body else None
    if not isinstance(definition, ast.FunctionDef) or len(definition.args.args) != 2:
        return None
    argument = definition.args.args[1].arg
    body = definition.body
    if isinstance(body[0], ast.Expr) and isinstance(getattr(body[0].value, "value", None), str):
        body = body[1:]  # the docstring
    module = ast.Module(body=body, type_ignores=[])
    for node in ast.walk(module):
        if isinstance(node, ast.Name) and node.id == argument:
            node.id = "x"
    return ast.unparse(module)


class _Patch(NamedTuple):
    what: str                  # the report's noun
    method: str                # the method replaced
    original: Optional[str]    # its code, as _canonical gives it
    activation: Optional[str]  # the attribute holding the activation that picks the op
    packed: bool               # the op takes gate and up packed (swiglu_packed, ...)
    replacement: Callable


_PATCHES = (
    _Patch("MLPs", "forward", _canonical(_llama_mlp), "act_fn", False, _fused_llama_mlp),
    _Patch("MLPs", "forward", _canonical(_phi3_mlp), "activation_fn", True, _fused_phi3_mlp),
    _Patch("MLPs", "forward", _canonical(_t5_gated_dense), "act", False, _fused_t5_gated_dense),
    _Patch("expert modules", "_apply_gate", _canonical(_experts_default_gate), "act_fn", True,
           _fused_experts_gate),
    # GPT-OSS: the op is fixed (no activation attribute)
    _Patch("expert modules", "_apply_gate", _canonical(_gpt_oss_gate), None, True,
           _fused_gpt_oss_gate),
)
_canonical_cache: Dict[object, Optional[str]] = {}


def _code_of(cls: type, method: str) -> Optional[str]:
    function = inspect.getattr_static(cls, method, None)
    if function is None:
        return None
    if function not in _canonical_cache:
        _canonical_cache[function] = _canonical(function)
    return _canonical_cache[function]


# ---------------------------------------------------------------------------------------------
@dataclass
class Report:
    """What apply() patched: fused ops by name with how many modules each, activations by
    torchact name, what it left alone (by class) and how many modules were already patched."""
    fused: Counter = field(default_factory=Counter)        # ("swiglu", "MLPs") -> 32
    activations: Counter = field(default_factory=Counter)  # "silu" -> 1
    left_alone: Counter = field(default_factory=Counter)   # "PReLU" -> 2
    already_patched: int = 0
    patched: Dict[str, str] = field(default_factory=dict)  # module path -> what it became

    def __str__(self) -> str:
        parts = [f"{op}: {n} {noun}" for (op, noun), n in sorted(self.fused.items())]
        parts = parts or ["gated MLPs: 0"]
        count = sum(self.activations.values())
        parts.append(f"activations: {count} modules" + (" (" + ", ".join(
            f"{name} {n}" for name, n in sorted(self.activations.items())) + ")" if count else ""))
        if self.left_alone:
            parts.append("left alone: " + ", ".join(f"{name} {n}" for name, n in
                                                   sorted(self.left_alone.items())))
        if self.already_patched:
            parts.append(f"already patched: {self.already_patched}")
        return ", ".join(parts)


def _selected(module: nn.Module, module_types) -> bool:
    if module_types is None:
        return True
    return any(type(module) is t or type(module).__name__ == t for t in module_types)


def _packed_name(op: str) -> str:
    return op.replace("(", "_packed(") if "(" in op else op + "_packed"  # geglu_packed(tanh)


def _patch_gated(path: str, module: nn.Module, report: Report) -> None:
    for patch in _PATCHES:
        if patch.original is None or _code_of(type(module), patch.method) != patch.original:
            continue
        current = module.__dict__.get(patch.method)
        if isinstance(current, types.MethodType) and current.__func__ is patch.replacement:
            report.already_patched += 1
            return
        if patch.activation is None:
            name = "swiglu_oai_packed(interleaved)"
        else:
            activation = getattr(module, patch.activation, None)
            op = _gated_op(activation)
            if op is None or not getattr(module, "is_concatenated", True):
                why = "interleaved" if op else type(activation).__name__
                report.left_alone[f"{type(module).__name__} ({why})"] += 1
                return
            module._torchact_patch = op  # the replacement's op, by name (a pickle keeps it)
            name = _packed_name(op) if patch.packed else op
        setattr(module, patch.method, types.MethodType(patch.replacement, module))
        report.fused[name, patch.what] += 1
        report.patched[path] = name
        return


def _patch_activations(model: nn.Module, module_types, report: Report) -> None:
    replaced: Dict[int, nn.Module] = {}  # an activation shared by several parents stays shared
    for parent_path, parent in list(model.named_modules()):
        for name, child in list(parent.named_children()):
            path = f"{parent_path}.{name}" if parent_path else name
            if isinstance(child, _TORCHACT_ACTIVATIONS):
                report.already_patched += 1
                continue
            entry = _ACTIVATIONS.get(type(child))
            if entry is None:
                if _is_activation(child):
                    report.left_alone[type(child).__name__] += 1
                continue
            if not _selected(child, module_types):
                continue
            if id(child) not in replaced:
                replaced[id(child)] = entry[1](child)
                report.activations[entry[0]] += 1
            setattr(parent, name, replaced[id(child)])
            report.patched[path] = "torchact.nn." + type(replaced[id(child)]).__name__


def apply(model: nn.Module, *, activations: bool = True, mlp: bool = True,
          module_types: Optional[Iterable[Union[type, str]]] = None) -> Report:
    """Patches `model` (an instance) in place to run on torchact's ops and returns a Report.

    activations=False leaves activation modules alone, mlp=False the gated MLPs and experts;
    module_types (classes or class names) restricts the patch to modules of those types (e.g.
    ["LlamaMLP"] or [torch.nn.GELU])."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"torchact.integrations.transformers.apply: expected a torch.nn.Module, "
                        f"got {type(model).__name__}")
    module_types = None if module_types is None else tuple(module_types)
    report = Report()
    if mlp:
        for path, module in list(model.named_modules()):
            if _selected(module, module_types):
                _patch_gated(path, module, report)
    if activations:
        _patch_activations(model, module_types, report)
    return report
