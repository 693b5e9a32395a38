"""Loads the C++ plugin shipped inside this package into torch.ops.torchact."""
import os

import torch

LIBRARY_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib", "libtorchact.so")

_REINSTALL = ("reinstall torchact in this environment so that it is built against this PyTorch: "
              "pip install --force-reinstall <torchact checkout> (add --no-build-isolation if the "
              "build cannot download setuptools)")


def _release(version):
    """'2.11.0+cu130' -> '2.11.0': the C++ ABI changes between releases, not between local builds
    of one release (a local-build mismatch that does break loading is reported by load())."""
    return version.split("+", 1)[0]


def check_torch_version(built, running):
    """Raises ImportError, naming both versions, when the plugin was built against another PyTorch
    than the one imported: loading it would fail with undefined symbols, or worse, crash."""
    if _release(built) != _release(running):
        raise ImportError(
            f"torchact's C++ plugin was built against PyTorch {built}, but PyTorch {running} is "
            f"imported; a plugin only loads into the PyTorch it was built against: {_REINSTALL}")


def load():
    try:
        from . import _build_info
    except ImportError:
        raise ImportError(
            "torchact's C++ plugin is not built: install the package (pip install <torchact "
            "checkout>) instead of importing python/torchact from the source tree") from None
    check_torch_version(_build_info.TORCH_VERSION, torch.__version__)
    if not os.path.exists(LIBRARY_PATH):
        raise ImportError(f"torchact's C++ plugin is missing: {LIBRARY_PATH} does not exist; {_REINSTALL}")
    try:
        torch.ops.load_library(LIBRARY_PATH)
    except OSError as error:
        raise ImportError(
            f"torchact's C++ plugin {LIBRARY_PATH} (built against PyTorch {_build_info.TORCH_VERSION}) "
            f"does not load into PyTorch {torch.__version__}: {error}; {_REINSTALL}") from error
    except RuntimeError as error:
        if "torchact" in str(error):  # another copy registered the namespace first
            raise ImportError(
                "another copy of libtorchact.so was loaded into this process before `import "
                f"torchact` (torch.ops.load_library of a build tree?): {error}") from error
        raise
