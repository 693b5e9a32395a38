"""torchact: activation functions as torch ops with hand-written CPU and CUDA kernels and
hand-written first and second derivatives.

    import torch, torchact
    y = torchact.swiglu(gate, up)                       # silu(gate) * up in one pass
    mlp = torchact.nn.SwiGLUFeedForward(512, 1376)       # the Llama MLP
    torchact.testing.check_torchact()                    # gradcheck/gradgradcheck/opcheck in your CI

Importing the package loads its C++ plugin into torch.ops.torchact (the ops are also reachable as
torch.ops.torchact.<name>, e.g. for TorchScript).
"""
import torch

from . import _library

_library.load()

from . import _dtensor, _vmap, functional, nn, testing  # noqa: E402  (need the ops loaded)
from ._build_info import VERSION as __version__  # noqa: E402
from ._build_info import TORCH_VERSION as built_with_torch, WITH_CUDA as built_with_cuda  # noqa: E402
from .functional import *  # noqa: E402,F401,F403  (torchact.silu, ...: one per op of the list)

library_path = _library.LIBRARY_PATH
_vmap.register()  # torch.vmap: one call per batch, not one per sample (PyTorch >= 2.4)
_dtensor.register()  # DTensor sharding strategies, once torch.distributed.tensor is imported

if not built_with_cuda and torch.cuda.is_available():
    import warnings
    warnings.warn("torchact was built without CUDA kernels (no CUDA compiler when it was built): "
                  "its ops raise an error for CUDA tensors. Reinstall it with a CUDA compiler, e.g. "
                  "pip install \"cuda-toolkit[nvcc,cccl,crt,nvvm]==<torch's cuda-toolkit version>\" "
                  "beside torch (README, Python).", stacklevel=2)

__all__ = functional.__all__ + ["functional", "nn", "testing", "library_path", "built_with_torch",
                                "built_with_cuda"]
