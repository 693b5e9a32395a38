"""Loads the torchact library under test (TORCHACT_LIBRARY, set by ctest) into torch.ops."""
import os

import pytest
import torch


def pytest_configure(config):
    library = os.environ.get("TORCHACT_LIBRARY")
    if not library:
        raise pytest.UsageError("set TORCHACT_LIBRARY to the path of libtorchact.so (ctest does)")
    torch.ops.load_library(library)
