"""A typed numpy column that grows by appending, with amortised O(1) appends and zero-copy views."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

ScalarT = TypeVar("ScalarT", bound=np.generic)

_MIN_CAPACITY = 1024


class Column(Generic[ScalarT]):
    """Values of one dtype; `values` is a read-only view of the filled part."""

    def __init__(
        self, dtype: np.dtype[ScalarT], initial: npt.NDArray[ScalarT] | None = None, *, length: int | None = None
    ) -> None:
        """Empty, or `initial` as is; with `length`, `initial` is writable storage of which that many are filled.

        Storage with room to spare (a copy-on-write mapping of a cache file, say) takes appends in place.
        """
        self._dtype = dtype
        self._data: npt.NDArray[ScalarT]
        if initial is not None and length is not None:
            self._data = initial
            self._length = length
            self._owned = True
        elif initial is None:
            self._data = np.empty(_MIN_CAPACITY, dtype=dtype)
            self._length = 0
            self._owned = True
        else:
            # Taken as is: a generated log of millions of events fills its columns exactly, no spare copy.
            self._data = np.ascontiguousarray(initial, dtype=dtype)
            self._length = len(initial)
            # Not ours to write into (the caller's, or read-only): the first append copies it.
            self._owned = False

    def __len__(self) -> int:
        return self._length

    @property
    def values(self) -> npt.NDArray[ScalarT]:
        # The length first: a writer on another thread swaps in grown (already copied) data before it raises
        # the length, so a reader never gets a length beyond the data it read.
        length = self._length
        view = self._data[:length]
        view.flags.writeable = False
        return view

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def extend(self, values: npt.ArrayLike) -> None:
        incoming = np.asarray(values, dtype=self._dtype)
        needed = self._length + len(incoming)
        if needed > len(self._data) or not self._owned:
            grown = np.empty(max(needed, 2 * len(self._data), _MIN_CAPACITY), dtype=self._dtype)
            grown[: self._length] = self._data[: self._length]
            self._data, self._owned = grown, True
        self._data[self._length : needed] = incoming
        self._length = needed

    def append(self, value: Any) -> None:
        self.extend(np.array([value], dtype=self._dtype))

    def truncate(self, length: int) -> None:
        """Forget everything from `length` on (a reset back to a seeded state)."""
        self._length = min(self._length, length)
