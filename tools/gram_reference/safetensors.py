"""The safetensors container in plain Python (struct + json + numpy), docs/model-format.md s1.

    offset 0      u64 little-endian N, the header length
    offset 8      N bytes of JSON: name -> {"dtype", "shape", "data_offsets"}, "__metadata__"
    offset 8 + N  raw little-endian row-major tensor bytes

The writer produces what the engine's writer produces: tensors in name order, packed from
offset 0, header padded with spaces so the data starts 8-byte aligned, "__metadata__" only when
there is metadata, written to a temporary file and renamed. The reader accepts F32, BF16 and F16
(widened to float32, exactly) and refuses anything malformed with one line naming the path and
the tensor or field.
"""
from __future__ import annotations

import json
import os
import struct
from typing import Dict, Mapping, Optional, Tuple

import numpy as np

HEADER_LIMIT = 100 * 1024 * 1024
DTYPE_SIZES = {"F32": 4, "BF16": 2, "F16": 2}


class SafetensorsError(ValueError):
    """A file the engine's reader would refuse."""


def _no_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise SafetensorsError(f"header has the key '{key}' twice")
        result[key] = value
    return result


def bf16_to_float32(raw: np.ndarray) -> np.ndarray:
    return (raw.astype(np.uint32) << 16).view(np.float32)


def float32_to_bf16(values: np.ndarray) -> np.ndarray:
    """Round to nearest, ties to even; NaN stays NaN with the quiet bit set."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    nan = np.isnan(values)
    rounded[nan] = (bits[nan] >> 16) | 0x40
    return rounded.astype(np.uint16)


def read_safetensors(path: str) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """Returns ({name: float32 array}, metadata)."""
    with open(path, "rb") as handle:
        blob = handle.read()

    def fail(message: str) -> None:
        raise SafetensorsError(f"{path}: {message}")

    if len(blob) < 8:
        fail(f"file is {len(blob)} bytes, too short for a safetensors header length (8 bytes)")
    (length,) = struct.unpack("<Q", blob[:8])
    if length > HEADER_LIMIT:
        fail(f"header length {length} exceeds the 100 MiB limit (not a safetensors file?)")
    if 8 + length > len(blob):
        fail(f"header length {length} runs past the end of the file ({len(blob)} bytes)")
    try:
        header = json.loads(blob[8:8 + length].decode("utf-8"), object_pairs_hook=_no_duplicates)
    except SafetensorsError as error:
        fail(str(error))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        fail(f"header is not valid JSON: {error}")
    if not isinstance(header, dict):
        fail(f"header must be a JSON object, got {type(header).__name__}")
    data = memoryview(blob)[8 + length:]
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict):
        fail("__metadata__ must be an object")
    for key, value in metadata.items():
        if not isinstance(value, str):
            fail(f"__metadata__ value for '{key}' must be a string, got {type(value).__name__}")
    tensors: Dict[str, np.ndarray] = {}
    ranges = []
    for name, entry in header.items():
        if not isinstance(entry, dict):
            fail(f"tensor '{name}': entry must be an object")
        for field in ("dtype", "shape", "data_offsets"):
            if field not in entry:
                fail(f"tensor '{name}': missing field '{field}'")
        for field in entry:
            if field not in ("dtype", "shape", "data_offsets"):
                fail(f"tensor '{name}': unexpected field '{field}'")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPE_SIZES:
            fail(f"tensor '{name}' has unsupported dtype '{dtype}' (supported: F32, BF16, F16)")
        if not isinstance(shape, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**63 for d in shape):
            fail(f"tensor '{name}': 'shape' must be an array of integers >= 0")
        if (not isinstance(offsets, list) or len(offsets) != 2 or
                not all(isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets)):
            fail(f"tensor '{name}': 'data_offsets' must be two integers >= 0")
        begin, end = offsets
        if end < begin:
            fail(f"tensor '{name}': data_offsets [{begin}, {end}] end before they begin")
        count = int(np.prod(shape, dtype=object)) if shape else 1
        need = count * DTYPE_SIZES[dtype]
        if end - begin != need:
            fail(f"tensor '{name}': data_offsets [{begin}, {end}] hold {end - begin} bytes, "
                 f"shape {shape} {dtype} needs {need}")
        if end > len(data):
            fail(f"tensor '{name}': data_offsets [{begin}, {end}] run past the end of the data "
                 f"section ({len(data)} bytes)")
        if need > 0:
            ranges.append((begin, end, name))
        raw = bytes(data[begin:end])
        if dtype == "F32":
            values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif dtype == "F16":
            values = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        else:
            values = bf16_to_float32(np.frombuffer(raw, dtype="<u2"))
        tensors[name] = values.reshape(shape)
    ranges.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(ranges, ranges[1:]):
        if b1 < e0:
            fail(f"tensors '{n0}' [{b0}, {e0}] and '{n1}' [{b1}, {e1}] overlap")
    return tensors, dict(metadata)


def write_safetensors(path: str, tensors: Mapping[str, np.ndarray],
                      metadata: Optional[Mapping[str, str]] = None, dtype: str = "F32") -> None:
    """Writes `tensors` (anything numpy can turn into float32) atomically, stored as `dtype`."""
    if dtype not in DTYPE_SIZES:
        raise SafetensorsError(f"{path}: cannot write dtype '{dtype}' (F32, BF16, F16)")
    header: Dict[str, object] = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(value, str):
                raise SafetensorsError(f"{path}: metadata value for '{key}' must be a string")
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name in sorted(tensors):
        values = np.ascontiguousarray(np.asarray(tensors[name], dtype=np.float32))
        if dtype == "F32":
            raw = values.astype("<f4").tobytes()
        elif dtype == "F16":
            raw = values.astype("<f2").tobytes()
        else:
            raw = float32_to_bf16(values).astype("<u2").tobytes()
        header[name] = {"data_offsets": [offset, offset + len(raw)], "dtype": dtype,
                        "shape": list(values.shape)}
        chunks.append(raw)
        offset += len(raw)
    # Compact JSON with sorted keys: byte for byte what the engine's writer produces.
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    text += b" " * (-len(text) % 8)
    temporary = f"{path}.tmp.{os.getpid()}"
    try:
        with open(temporary, "wb") as handle:
            handle.write(struct.pack("<Q", len(text)))
            handle.write(text)
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
