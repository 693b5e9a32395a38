"""torchact._C, the functional wrappers' direct entry (functional.py, csrc/python_module.h): None
where the package was built without it (no Python headers then), and every call takes torch.ops."""
import torch

from . import _build_info

C = None
if getattr(_build_info, "PYTHON_MODULE", False):
    try:
        from . import _C as C
    except ImportError as error:
        raise ImportError(f"torchact._C, built with the package, does not load: {error}; reinstall "
                          "torchact in this environment (pip install --force-reinstall <checkout>)"
                          ) from error

# Dynamo traces the wrappers' Python: there they must take torch.ops (a pybind11 function would
# break the graph). Dynamo reads this function as True; in eager mode it returns False.
_compiler = getattr(torch, "compiler", None)
is_dynamo_compiling = (getattr(_compiler, "is_dynamo_compiling", None)
                       or getattr(_compiler, "is_compiling", None))
if is_dynamo_compiling is None:
    if hasattr(torch, "compile"):  # PyTorch 2.0 has no torch.compiler: take torch.ops always
        C = None

    def is_dynamo_compiling():
        return False
