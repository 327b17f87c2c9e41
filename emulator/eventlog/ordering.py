"""A fast stable argsort for int64 keys, the order the generator's determinism rests on."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

_STEP = 1 << 22
# Keys sorted together: large enough that the per-run overhead vanishes, small enough to stay in cache longer.
_RUN = 1 << 23
_MAX_THREADS = 4


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


def stable_sort_prefix(
    keys: npt.NDArray[np.int64], keep: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.signedinteger[Any]]]:
    """The `keep` smallest keys in stable order and their indices: `stable_argsort(keys)[:keep]`, for any range.

    The keys are cut by value into runs of at most _RUN keys whose range leaves room for an index in 63 bits;
    each run is packed and sorted on its own, and the runs follow each other in key order. Time and memory
    stay linear in the keys however wide their range (a single packed sort would need index and range to
    fit in 63 bits together, which a hundred million instants over a decade do not).
    """
    index_bits = max(len(keys) - 1, 1).bit_length()
    index_dtype = np.int32 if index_bits <= 31 else np.int64
    keep = min(keep, len(keys))
    out_keys = np.empty(keep, dtype=np.int64)
    out_order: npt.NDArray[np.signedinteger[Any]] = np.empty(keep, dtype=index_dtype)
    if keep == 0:
        return out_keys, out_order
    low = int(keys.min())
    value_bits = 63 - index_bits
    bin_bits = max((int(keys.max()) - low).bit_length() - 16, 0)
    if bin_bits > value_bits:  # a range near 2**63: numpy's own stable sort, at its cost
        order = np.argsort(keys, kind="stable")[:keep]
        return keys[order], order.astype(index_dtype)
    bins = np.empty(len(keys), dtype=np.uint16)
    for start in range(0, len(keys), _STEP):
        np.right_shift(keys[start : start + _STEP] - low, bin_bits, out=bins[start : start + _STEP], casting="unsafe")
    counts = np.bincount(bins, minlength=1)
    runs = _runs(counts, max_bins=1 << (value_bits - bin_bits) if value_bits - bin_bits < 31 else len(counts))
    run_of_bin = np.repeat(np.arange(len(runs) - 1, dtype=np.uint16), np.diff(runs))
    for start in range(0, len(keys), _STEP):  # each key's run, in place of its bin
        bins[start : start + _STEP] = run_of_bin[bins[start : start + _STEP]]
    offsets = np.concatenate([[0], np.cumsum(np.add.reduceat(counts, runs[:-1]))]).tolist()

    def sort_run(run: int) -> None:
        members = np.flatnonzero(bins == run) if len(runs) > 2 else np.arange(len(keys))
        base = low + (int(runs[run]) << bin_bits)
        packed = keys[members] - base
        packed <<= index_bits
        packed |= members
        del members
        packed.sort()
        done = offsets[run]
        take = min(len(packed), keep - done)
        np.bitwise_and(packed[:take], (1 << index_bits) - 1, out=out_order[done : done + take], casting="unsafe")
        packed >>= index_bits
        np.add(packed[:take], base, out=out_keys[done : done + take])

    # The runs write to separate slices and numpy lets go of the GIL while it sorts: one thread per core.
    needed = [run for run in range(len(runs) - 1) if offsets[run] < keep]
    with ThreadPoolExecutor(max_workers=min(_MAX_THREADS, os.cpu_count() or 1, len(needed))) as pool:
        list(pool.map(sort_run, needed))
    return out_keys, out_order


def _runs(counts: npt.NDArray[np.int64], max_bins: int) -> npt.NDArray[np.int64]:
    """Bin boundaries cutting the bins into runs of about _RUN keys and at most `max_bins` bins each."""
    bounds = [0]
    filled = 0
    for index, count in enumerate(counts.tolist()):
        if index > bounds[-1] and (filled + count > _RUN or index - bounds[-1] >= max_bins):
            bounds.append(index)
            filled = 0
        filled += count
    bounds.append(len(counts))
    return np.array(bounds, dtype=np.int64)
