"""torch.vmap batching rules for every torchact op (PyTorch >= 2.4: torch.library.register_vmap).

Without a rule, vmap runs an op once per sample (PyTorch's fallback loop). With these, vmap calls
the op once on the whole batch: every op is element-wise, so the batch can be any leading dim;
the packed ops' `dim` shifts by one for it. Registered from the ops' schemas when the package is
imported, so a new op of the list needs nothing here.
"""
import torch


def _batched_first(tensor, in_dim, batch_size):
    """The tensor with its batch dim first; an unbatched one expanded to the batch (a view)."""
    if in_dim is None:
        return tensor.unsqueeze(0).expand(batch_size, *tensor.shape)
    return tensor.movedim(in_dim, 0)


def _rule(op, dim_index):
    """The batching rule of `op`; `dim_index`: the position of its `int dim` argument, or None."""

    def rule(info, in_dims, *args, **kwargs):  # kwargs: the op's keyword-only, non-tensor ones
        args = list(args)
        for i, (arg, in_dim) in enumerate(zip(args, in_dims)):
            if isinstance(arg, torch.Tensor):
                args[i] = _batched_first(arg, in_dim, info.batch_size)
        # (The dispatcher leaves out arguments equal to their defaults: dim=-1 needs no shift.)
        if dim_index is not None and dim_index < len(args) and args[dim_index] >= 0:
            args[dim_index] += 1  # the logical dim, past the batch dim
        out = op(*args, **kwargs)
        return out, (tuple(0 for _ in out) if isinstance(out, tuple) else 0)

    return rule


def register():
    """Registers a rule for every torchact op; a no-op on PyTorch without register_vmap."""
    if not hasattr(torch.library, "register_vmap"):
        return
    for schema in torch._C._jit_get_all_schemas():
        if not schema.name.startswith("torchact::"):
            continue
        op = getattr(torch.ops.torchact, schema.name.split("::")[1]).default
        names = [a.name for a in schema.arguments if not a.kwarg_only]
        dim_index = names.index("dim") if "dim" in names else None
        torch.library.register_vmap(schema.name, _rule(op, dim_index))
