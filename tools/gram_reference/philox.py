"""Philox4x32-10 and Random123's float Box-Muller in numpy, with the engine's noise layout.

Philox4x32-10 (Salmon et al. 2011, Random123): ten rounds of
    (c0, c1, c2, c3) -> (hi(M1*c2) ^ c1 ^ k0, lo(M1*c2), hi(M0*c0) ^ c3 ^ k1, lo(M0*c0))
with M0 = 0xD2511F53, M1 = 0xCD9E8D57, the key bumped by (0x9E3779B9, 0xBB67AE85) between
rounds. Products are taken in uint64, so the words never overflow numpy's integers.

r123::boxmuller(uint32 u0, uint32 u1) (float variant, Random123's boxmuller.hpp):
    x = uneg11<float>(u0) = float(int32(u0)) * 2^-31 + 2^-32        in (-1, 1)
    y = u01<float>(u1)    = float(u1)        * 2^-32 + 2^-33        in (0, 1]
    (sin, cos) = sincosf(float(pi) * x)
    r = sqrtf(-2 * logf(y))
    -> (sin * r, cos * r)
every step rounded to float32 as the C code does. The two products by powers of two are exact,
so a fused multiply-add gives the same value. sin, cos and log come from glibc through ctypes
when it is there (bit-identical to the engine's CPU backend), otherwise they are evaluated in
float64 and rounded once to float32, within an ulp of glibc's (about 1.5% of the normals differ
in the last bit; docs/model-format.md allows an ulp between implementations).

Noise layout (docs/model-format.md, "Noise: the Philox counter layout"):
    key     = (seed & 0xFFFFFFFF, seed >> 32)
    counter = (element // 4, (step << 8) | transition, trajectory, puzzle)
    element = position * D + channel over the (P+L, D) state
(r0, r1) give elements 4g and 4g+1, (r2, r3) elements 4g+2 and 4g+3.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

M0 = np.uint64(0xD2511F53)
M1 = np.uint64(0xCD9E8D57)
W0 = 0x9E3779B9
W1 = 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)
SHIFT32 = np.uint64(32)


def philox4x32(counter: np.ndarray, key: Tuple[int, int], rounds: int = 10) -> np.ndarray:
    """counter (..., 4) uint32 -> (..., 4) uint32 random words, for one 64-bit key."""
    c = np.asarray(counter, dtype=np.uint64)
    c0, c1, c2, c3 = c[..., 0], c[..., 1], c[..., 2], c[..., 3]
    k0, k1 = int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF
    for round_index in range(rounds):
        if round_index > 0:
            k0 = (k0 + W0) & 0xFFFFFFFF
            k1 = (k1 + W1) & 0xFFFFFFFF
        product0 = M0 * c0
        product1 = M1 * c2
        c0, c1, c2, c3 = (
            (product1 >> SHIFT32) ^ c1 ^ np.uint64(k0),
            product1 & MASK32,
            (product0 >> SHIFT32) ^ c3 ^ np.uint64(k1),
            product0 & MASK32,
        )
    return np.stack([c0, c1, c2, c3], axis=-1).astype(np.uint32)


def _round32(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).astype(np.float32)


def _load_libm():
    """glibc's sincosf and logf through ctypes, so that on Linux the normals are the engine's
    bit for bit; None elsewhere (then float64-rounded values, within an ulp)."""
    try:
        import ctypes
        libm = ctypes.CDLL("libm.so.6")
        sincosf = libm.sincosf
        sincosf.restype = None
        sincosf.argtypes = [ctypes.c_float, ctypes.POINTER(ctypes.c_float),
                            ctypes.POINTER(ctypes.c_float)]
        logf = libm.logf
        logf.restype = ctypes.c_float
        logf.argtypes = [ctypes.c_float]
    except (OSError, AttributeError):
        return None
    sine, cosine = ctypes.c_float(), ctypes.c_float()

    def sincos_and_log(angle: np.ndarray, y: np.ndarray):
        s = np.empty(angle.shape, np.float32)
        c = np.empty(angle.shape, np.float32)
        for index, value in enumerate(angle.reshape(-1).tolist()):
            sincosf(value, ctypes.byref(sine), ctypes.byref(cosine))
            s.reshape(-1)[index] = sine.value
            c.reshape(-1)[index] = cosine.value
        log = np.array([logf(value) for value in y.reshape(-1).tolist()],
                       dtype=np.float32).reshape(y.shape)
        return s, c, log

    return sincos_and_log


_LIBM = _load_libm()


def boxmuller_float(u0: np.ndarray, u1: np.ndarray,
                    use_libm: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Random123's r123::boxmuller(uint32, uint32) -> (x, y) float32 normals.

    With `use_libm` (and glibc present) sin, cos and log come from the C library the engine
    links, so the normals match its CPU backend bit for bit; otherwise they are the float64
    values rounded to float32 (within an ulp of glibc's)."""
    u0 = np.asarray(u0, dtype=np.uint32)
    u1 = np.asarray(u1, dtype=np.uint32)
    signed = u0.view(np.int32).astype(np.float32)           # float(int32), round to nearest
    x = signed * np.float32(2.0**-31) + np.float32(2.0**-32)  # uneg11<float>
    y = u1.astype(np.float32) * np.float32(2.0**-32) + np.float32(2.0**-33)  # u01<float>
    angle = np.float32(3.1415926535897932) * x               # sincospif: sincosf(PIf * x)
    if use_libm and _LIBM is not None:
        sine, cosine, log = _LIBM(angle, y)
    else:
        sine = _round32(np.sin(angle.astype(np.float64)))
        cosine = _round32(np.cos(angle.astype(np.float64)))
        log = _round32(np.log(y.astype(np.float64)))
    radius = np.sqrt(np.float32(-2.0) * log)                 # sqrtf: correctly rounded
    return sine * radius, cosine * radius


def noise_counters(seed: int, puzzle: int, trajectory: int, step: int, transition: int,
                   count: int) -> Tuple[np.ndarray, Tuple[int, int]]:
    """Philox counters (groups, 4) and key for the first `count` elements of one transition."""
    if not 0 <= step < 2**24:
        raise ValueError(f"step {step} must be below 2^24")
    if not 0 <= transition < 256:
        raise ValueError(f"transition {transition} must be below 256")
    groups = (count + 3) // 4
    counter = np.zeros((groups, 4), dtype=np.uint64)
    counter[:, 0] = np.arange(groups, dtype=np.uint64)
    counter[:, 1] = (step << 8) | transition
    counter[:, 2] = trajectory
    counter[:, 3] = puzzle
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    return counter, (seed & 0xFFFFFFFF, seed >> 32)


def transition_noise(seed: int, puzzle: int, trajectory: int, step: int, transition: int,
                     positions: int, hidden: int, use_libm: bool = True) -> np.ndarray:
    """eps (positions, hidden) float32: the noise of one transition of one trajectory."""
    count = positions * hidden
    counter, key = noise_counters(seed, puzzle, trajectory, step, transition, count)
    words = philox4x32(counter, key)                      # (groups, 4)
    first = boxmuller_float(words[:, 0], words[:, 1], use_libm)
    second = boxmuller_float(words[:, 2], words[:, 3], use_libm)
    normals = np.stack([first[0], first[1], second[0], second[1]], axis=-1).reshape(-1)
    return normals[:count].reshape(positions, hidden)
