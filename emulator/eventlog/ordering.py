"""A fast stable argsort for int64 keys, the order the generator's determinism rests on."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def stable_argsort(keys: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Indices that sort `keys`, equal keys in index order: the same answer on every machine.

    numpy's unstable sorts break ties differently on different CPUs, and its stable argsort is slow,
    so when key range and index fit in 63 bits together they are packed into one value and sorted
    with the vectorised value sort (about ten times faster at ten million keys).
    """
    if len(keys) == 0:
        return np.empty(0, dtype=np.int64)
    low = int(keys.min())
    index_bits = max(len(keys) - 1, 1).bit_length()
    if (int(keys.max()) - low).bit_length() + index_bits > 63:
        return np.argsort(keys, kind="stable").astype(np.int64)
    packed = keys - low
    packed <<= index_bits
    packed |= np.arange(len(keys), dtype=np.int64)
    packed.sort()
    packed &= (1 << index_bits) - 1
    return packed
