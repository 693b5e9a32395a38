"""Builds the torchact Python package: CMake builds libtorchact.so against the PyTorch of the
Python that runs pip, and the package (python/torchact) ships it.

    pip install .                          # the build finds the torch installed beside it
    pip install --no-build-isolation .     # the same, without an isolated build environment

Environment: TORCHACT_CUDA=AUTO|ON|OFF (default AUTO: CUDA kernels when torch has CUDA and a CUDA
compiler is found: CUDACXX, nvcc on PATH, /usr/local/cuda, or NVIDIA's compiler from PyPI installed
beside torch with pip install "cuda-toolkit[nvcc,cccl,crt,nvvm]==<torch's cuda-toolkit version>";
without one, the plugin is built without CUDA kernels and the build prints a warning saying so),
TORCH_CUDA_ARCH_LIST, CMAKE_ARGS (extra CMake arguments), CMAKE_BUILD_PARALLEL_LEVEL (compile jobs;
default: all cores), TORCHACT_CMAKE_BUILD_DIR (a CMake tree you configured already against this
torch, e.g. build/pypi: pip builds its `torchact` target and packages that library instead of
configuring a tree of its own).
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent

_TORCH_QUERY = (
    "import json, torch, torch.utils; "
    "print(json.dumps({'version': torch.__version__, 'cmake_prefix_path': torch.utils.cmake_prefix_path}))"
)


def find_torch():
    """The PyTorch to build against: the one this interpreter imports here, else (pip's isolated
    build environment hides the installed packages) the one it imports outside the isolation."""
    isolation = ("PYTHONPATH", "PYTHONNOUSERSITE", "PYTHONHOME")
    outside = {k: v for k, v in os.environ.items() if k not in isolation}
    for env in (os.environ, outside):
        result = subprocess.run([sys.executable, "-c", _TORCH_QUERY], env=env, text=True,
                                capture_output=True)
        if result.returncode == 0:
            return json.loads(result.stdout.strip().splitlines()[-1])
    raise RuntimeError(
        f"torchact builds its C++ plugin against the installed PyTorch, and {sys.executable} "
        "has none: install torch first (e.g. pip install torch, or Debian's python3-torch "
        "in a venv made with --system-site-packages).\n" + result.stderr.strip()[-2000:])


class CMakeLibrary(Extension):
    """libtorchact.so, built by the project's CMakeLists.txt (not by setuptools' compiler)."""

    def __init__(self, name):
        super().__init__(name, sources=[])


def _build_facts(build_dir):
    """torchact_build.txt, written by CMake: libtorch_version, with_cuda, generated, ..."""
    return dict(line.split("=", 1) for line in
                (build_dir / "torchact_build.txt").read_text().splitlines() if "=" in line)


def _targets(built):
    """The CMake targets the package ships: the library, and torchact._C where it is configured."""
    return ["torchact"] + (["torchact_python"] if built.get("python_module") else [])


class BuildWithCMake(build_ext):
    def build_extension(self, ext):
        torch_info = find_torch()
        cmake = shutil.which("cmake")
        if cmake is None:
            raise RuntimeError("torchact needs CMake >= 3.18 on PATH to build (apt install cmake, "
                               "or pip install cmake)")
        # One CMake tree per torch version and CUDA setting: a checkout can be installed into
        # several environments, and a tree configured with CUDA cannot be reconfigured without.
        cuda = os.environ.get("TORCHACT_CUDA", "AUTO")
        build_dir = Path(self.build_temp).resolve() / f"cmake-torch-{torch_info['version']}-cuda-{cuda}"
        existing = os.environ.get("TORCHACT_CMAKE_BUILD_DIR")
        if existing:  # a tree configured already (against this torch): build and take its library
            build_dir = Path(existing).resolve()
            if not (build_dir / "CMakeCache.txt").exists():
                raise RuntimeError(f"TORCHACT_CMAKE_BUILD_DIR={existing} is not a configured CMake tree")
            built = _build_facts(build_dir)
            subprocess.check_call([cmake, "--build", str(build_dir), "--target", *_targets(built)])
            if built["libtorch_version"].split(".")[:2] != torch_info["version"].split(".")[:2]:
                raise RuntimeError(f"TORCHACT_CMAKE_BUILD_DIR={existing} was built against LibTorch "
                                   f"{built['libtorch_version']}, but this Python has torch "
                                   f"{torch_info['version']}")
            self._package(ext, build_dir, torch_info, built)
            return
        build_dir.mkdir(parents=True, exist_ok=True)
        configure = [
            cmake, "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DCMAKE_PREFIX_PATH={torch_info['cmake_prefix_path']}",
            f"-DTORCHACT_CUDA={cuda}",
            "-DTORCHACT_BUILD_TESTS=OFF", "-DTORCHACT_BUILD_EXAMPLES=OFF",
            "-DTORCHACT_BUILD_BENCHMARKS=OFF",
            f"-DTORCHACT_PYTHON={sys.executable}",  # torchact._C is built for this Python
        ] + shlex.split(os.environ.get("CMAKE_ARGS", ""))
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        if subprocess.call(configure) != 0:
            # A tree left by other CMAKE_ARGS may not reconfigure: start it afresh, once.
            shutil.rmtree(build_dir)
            subprocess.check_call(configure)
        built = _build_facts(build_dir)
        subprocess.check_call([cmake, "--build", str(build_dir), "--target", *_targets(built),
                               "-j", jobs])
        self._package(ext, build_dir, torch_info, built)

    def _package(self, ext, build_dir, torch_info, built):
        """Copies the built library, the generated wrappers and the build's facts into the package."""
        package_dir = Path(self.get_ext_fullpath(ext.name)).parent  # <build_lib or source>/torchact
        (package_dir / "lib").mkdir(parents=True, exist_ok=True)
        shutil.copy2(build_dir / "libtorchact.so", package_dir / "lib" / "libtorchact.so")
        # torchact._C, the wrappers' direct entry (CMakeLists.txt), where it was built.
        for old in package_dir.glob("_C.*"):
            old.unlink()
        module = built.get("python_module", "")
        if module and not module.endswith(sysconfig.get_config_var("EXT_SUFFIX")):
            raise RuntimeError(f"{build_dir} built torchact._C ({module}) for another Python than "
                               f"{sys.executable}: configure it with -DTORCHACT_PYTHON={sys.executable}")
        if module:
            shutil.copy2(build_dir / module, package_dir / module)
        self._outputs = ["lib/libtorchact.so", "functional.py", "_build_info.py"]
        self._outputs += [module] if module else []
        # The functional wrappers, generated from the op list (codegen/gen_ops.py) by CMake.
        shutil.copy2(Path(built["generated"]) / "python" / "torchact" / "functional.py",
                     package_dir / "functional.py")
        with_cuda = built["with_cuda"] == "ON"
        (package_dir / "_build_info.py").write_text(
            '"""Written by setup.py when the plugin was built."""\n'
            f"VERSION = {self.distribution.get_version()!r}\n"
            f"TORCH_VERSION = {torch_info['version']!r}\n"
            f"WITH_CUDA = {with_cuda!r}\n"
            f"PYTHON_MODULE = {bool(module)!r}\n")

    def get_outputs(self):
        outputs = getattr(self, "_outputs", ["lib/libtorchact.so", "functional.py", "_build_info.py"])
        return [str(Path(self.build_lib) / "torchact" / f) for f in outputs]


setup(
    # The Extension's name only places the outputs: <build_lib>/torchact/...
    ext_modules=[CMakeLibrary("torchact._plugin")],
    cmdclass={"build_ext": BuildWithCMake},
)
