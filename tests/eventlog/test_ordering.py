"""stable_argsort: the same answer as numpy's stable argsort, by the packed path and by the fallback."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from emulator.eventlog import ordering
from emulator.eventlog.ordering import stable_argsort, stable_sort_prefix

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _expected(keys: npt.NDArray[np.int64]) -> list[int]:
    return [int(index) for index in np.argsort(keys, kind="stable").tolist()]


def _packs(keys: npt.NDArray[np.int64]) -> bool:
    """Whether key range and index fit in 63 bits together, i.e. whether the packed path is taken."""
    index_bits = max(len(keys) - 1, 1).bit_length()
    return (int(keys.max()) - int(keys.min())).bit_length() + index_bits <= 63


@given(hnp.arrays(np.int64, st.integers(1, 400), elements=st.integers(-3, 3)))
def test_many_ties_sort_like_numpys_stable_argsort(keys: npt.NDArray[np.int64]) -> None:
    assert _packs(keys)
    assert stable_argsort(keys).tolist() == _expected(keys)


@given(hnp.arrays(np.int64, st.integers(1, 400), elements=st.integers(-(2**40), 2**40)))
def test_packed_path_sorts_like_numpys_stable_argsort(keys: npt.NDArray[np.int64]) -> None:
    assert _packs(keys)
    assert stable_argsort(keys).tolist() == _expected(keys)


@given(
    hnp.arrays(np.int64, st.integers(2, 400), elements=st.integers(_INT64_MIN, _INT64_MAX)).filter(
        lambda keys: not _packs(keys)
    )
)
def test_fallback_path_sorts_like_numpys_stable_argsort(keys: npt.NDArray[np.int64]) -> None:
    assert stable_argsort(keys).tolist() == _expected(keys)


def test_large_arrays_with_heavy_ties_sort_stably() -> None:
    keys = np.random.RandomState(4).randint(0, 50, size=200_000).astype(np.int64)
    assert np.array_equal(stable_argsort(keys), np.argsort(keys, kind="stable"))


@pytest.mark.parametrize(
    ("keys", "packed"),
    [
        ([2**62 - 1, 0, 2**62 - 1], False),  # 62 bits of range + 2 index bits = 64: fallback
        ([2**62 - 1, 0], True),  # 62 + 1 = 63: packed, right at the edge
        ([2**62, 0], False),  # 63 + 1: fallback
        ([-(2**61), 2**61 - 1, -(2**61)], False),  # 62 + 2 with negative keys
        ([-(2**61), 2**61 - 1], True),  # 62 + 1 with negative keys
        ([_INT64_MIN, _INT64_MAX, 0, _INT64_MIN], False),  # the whole int64 range
        ([_INT64_MAX, _INT64_MAX - 5, _INT64_MAX], True),  # near the top, small range
        ([_INT64_MIN, _INT64_MIN, _INT64_MIN + 1], True),  # near the bottom, small range
    ],
    ids=[
        "62-plus-2-bits",
        "62-plus-1-bits",
        "63-plus-1-bits",
        "negative-62-plus-2",
        "negative-62-plus-1",
        "whole-int64-range",
        "top-of-int64",
        "bottom-of-int64",
    ],
)
def test_both_paths_are_right_at_their_boundary(keys: list[int], packed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    array = np.array(keys, dtype=np.int64)
    expected = _expected(array)
    assert _packs(array) is packed
    fallbacks: list[int] = []
    original = np.argsort

    def spy(*args: Any, **kwargs: Any) -> Any:
        fallbacks.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(np, "argsort", spy)
    result = stable_argsort(array)
    assert result.tolist() == expected
    assert result.dtype == np.int64
    assert bool(fallbacks) is not packed


@pytest.mark.parametrize(
    ("keys", "expected"),
    [([], []), ([7], [0]), ([5, 5], [0, 1]), ([2, 1], [1, 0])],
    ids=["empty", "one", "two-equal", "two-descending"],
)
def test_tiny_inputs(keys: list[int], expected: list[int]) -> None:
    result = stable_argsort(np.array(keys, dtype=np.int64))
    assert result.dtype == np.int64
    assert result.tolist() == expected


def test_keys_are_left_unchanged() -> None:
    keys = np.array([3, 1, 2, 1], dtype=np.int64)
    stable_argsort(keys)
    assert keys.tolist() == [3, 1, 2, 1]


@given(
    hnp.arrays(np.int64, st.integers(0, 400), elements=st.integers(_INT64_MIN // 2, _INT64_MAX // 2)),
    st.integers(0, 450),
    st.sampled_from([1, 7, 1 << 23]),
)
def test_stable_sort_prefix_is_the_head_of_the_stable_order(keys: npt.NDArray[np.int64], keep: int, run: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ordering, "_RUN", run)
        ordered, order = stable_sort_prefix(keys.copy(), keep)
    expected = _expected(keys)[:keep]
    assert order.tolist() == expected
    assert ordered.tolist() == keys[expected].tolist()


def test_stable_sort_prefix_cuts_a_wide_range_into_runs_and_keeps_ties_in_index_order() -> None:
    rng = np.random.RandomState(4)
    # Instants over a decade in ms with many ties: range and index need more than 63 bits together.
    keys = rng.randint(0, 2**38, size=50_000).astype(np.int64) >> 20 << 20
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ordering, "_RUN", 5000)
        ordered, order = stable_sort_prefix(keys, 40_000)
    assert order.tolist() == _expected(keys)[:40_000]
    assert ordered.tolist() == np.sort(keys)[:40_000].tolist()
