"""The native Merkle accelerator is built and in use in this project's environment.

It is optional for users (setup.py falls back to pure Python), but not for CI:
these tests fail, with the compiler's own words, when ``pip install -e .`` /
``make install`` did not build ``ledger.core._merkle`` or left a stale build.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.core import hashing, merkle

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "ledger" / "core" / "_merkle.c"


def build_diagnostic(tmp: Path) -> str:
    """Build the extension into ``tmp`` with failure not allowed; the build's output tail."""
    env = {**os.environ, "CARGOTRAIL_REQUIRE_NATIVE": "1"}
    cmd = [sys.executable, "setup.py", "-q", "build_ext", "--build-lib", str(tmp), "--build-temp", str(tmp)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = (done.stdout + done.stderr).strip().splitlines()
    verdict = "it builds here, so reinstall: make install" if done.returncode == 0 else "the build fails"
    return f"{verdict} (exit {done.returncode}):\n" + "\n".join(out[-40:])


def test_native_module_is_built_and_used(tmp_path: Path) -> None:
    try:
        from ledger.core import _merkle
    except ImportError as e:
        pytest.fail(f"ledger.core._merkle is not importable ({e}); {build_diagnostic(tmp_path)}")
    assert hashing.NATIVE
    assert hashing._native is _merkle  # merkle.py reads the same switch
    built = Path(_merkle.__file__ or "")
    if SOURCE.exists() and built.is_relative_to(ROOT):  # editable install: the .so beside its source
        assert built.stat().st_mtime >= SOURCE.stat().st_mtime, (
            f"{built.name} is older than {SOURCE.name}: rebuild with make install"
        )


def test_public_functions_dispatch_to_native() -> None:
    """The fast path really runs: a native-only error would surface through the public API."""
    leaves = hashing.leaf_hashes([b"a", b"b", b"c"])
    assert merkle.tree_levels(leaves) == hashing._native.tree_levels(leaves)
    assert merkle.tree_levels(leaves)[1][1] is leaves[2]  # promoted node: the same object, as in Python
