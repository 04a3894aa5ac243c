"""Counter-based random numbers: the same (seed, stream, a, b) always gives the same value.

Contract: ``uniform(seed, stream, a, b)`` returns floats in [0, 1) that depend
only on its arguments, element-wise, never on call order or batch size. That
is what makes a run's readings identical whatever ``step_s`` the caller picks.
The mixer is SplitMix64's finaliser on uint64 (wrapping arithmetic).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def uniform(seed: int, stream: int, a: Any, b: Any = 0) -> npt.NDArray[np.float64]:
    """Uniform [0, 1) per element of broadcast(a, b) (integers, e.g. container index and fix number)."""
    with np.errstate(over="ignore"):
        key = np.uint64(seed & 0xFFFFFFFF) * _GOLD + np.uint64(stream) * _M1
        x = _mix(np.asarray(a, dtype=np.int64).astype(np.uint64) * _GOLD ^ key)
        x = _mix(x + np.asarray(b, dtype=np.int64).astype(np.uint64) * _M2)
    out: npt.NDArray[np.float64] = np.asarray((x >> np.uint64(11)).astype(np.float64) / float(1 << 53))
    return out


def normal(seed: int, stream: int, a: Any, b: Any = 0) -> npt.NDArray[np.float64]:
    """Standard normal per element (Box-Muller on two independent uniforms)."""
    u1 = np.maximum(uniform(seed, stream, a, b), 1e-12)
    u2 = uniform(seed, stream + 7919, a, b)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
