"""DTensor sharding strategies for every torchact op (PyTorch >= 2.5: register_sharding).

Every op is element-wise, so each accepts any placement its tensors share: all Replicate, or all
Shard(d) for one dim d (gate and up, grad_output and the saved tensors alike); a packed op splits
`dim` into gate and up, so for it d is any dim but `dim`. DTensor's sharding propagation picks
the candidate that costs least to redistribute to: Partial inputs (pending sums) are reduced first,
as for PyTorch's non-linear pointwise ops, and a packed op's x sharded along `dim` is gathered.
The forward, backward and second-derivative ops are all registered, so autograd (first and second
order) runs on DTensors too. Registered from the ops' schemas: a new op of the list needs nothing
here.

Importing torch.distributed.tensor takes about a second, so `import torchact` does not: the
strategies are registered when it is imported (right away if it already is).
"""
import importlib.abc
import importlib.util
import sys

import torch

_MODULE = "torch.distributed.tensor"


def _strategy(schema):
    """The register_sharding function of one op: (output placements, input placements) pairs."""
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor._dtensor_spec import DTensorSpec

    names = [a.name for a in schema.arguments if not a.kwarg_only]
    dim_index = names.index("dim") if "dim" in names else None
    num_outputs = len(schema.returns)

    def strategy(*args, **kwargs):
        specs = [a for a in args if isinstance(a, DTensorSpec)]
        ndim = specs[0].ndim
        # The packed dim (the largest rank is x's: grad_output may be smaller only in size).
        packed = None
        if dim_index is not None:
            dim = args[dim_index] if dim_index < len(args) else -1  # (defaults are left out)
            packed = dim % ndim if ndim else None

        def same_everywhere(placement):
            return ([placement] * num_outputs,
                    [placement if isinstance(a, DTensorSpec) else None for a in args])

        candidates = [same_everywhere(Replicate())]
        candidates += [same_everywhere(Shard(d)) for d in range(ndim) if d != packed]
        return candidates

    return strategy


def _register_now():
    try:
        from torch.distributed.tensor.experimental import register_sharding
    except ImportError:  # PyTorch < 2.5
        return

    for schema in torch._C._jit_get_all_schemas():
        if schema.name.startswith("torchact::"):
            op = getattr(torch.ops.torchact, schema.name.split("::")[1]).default
            register_sharding(op)(_strategy(schema))


class _RegisterAfterImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds torch.distributed.tensor as usual and registers the strategies once it has run."""

    def find_spec(self, name, path, target=None):
        if name != _MODULE:
            return None
        sys.meta_path.remove(self)  # once; and find the real spec without coming back here
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            self._loader = spec.loader
            spec.loader = self
        return spec

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self._loader  # the real one, from here on
        self._loader.exec_module(module)
        _register_now()


def register():
    """Registers the strategies now or when torch.distributed.tensor is imported (never, where
    PyTorch has no DTensor or no register_sharding)."""
    if not torch.distributed.is_available():
        return
    if _MODULE in sys.modules:
        _register_now()
    else:
        sys.meta_path.insert(0, _RegisterAfterImport())
