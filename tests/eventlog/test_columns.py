"""The growable numpy column: appends, growth, read-only views, truncation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.eventlog.columns import Column


def test_a_new_column_is_empty() -> None:
    column = Column(np.dtype(np.int64))
    assert len(column) == 0
    assert column.values.tolist() == []
    assert column.values.dtype == np.int64


def test_extend_and_append_keep_values_in_order() -> None:
    column = Column(np.dtype(np.int64))
    column.extend([3, 1, 4])
    column.append(1)
    column.extend(np.array([5, 9], dtype=np.int64))
    column.extend([])
    assert column.values.tolist() == [3, 1, 4, 1, 5, 9]
    assert len(column) == 6


def test_growth_keeps_every_value_and_doubles_capacity() -> None:
    column = Column(np.dtype(np.int64))
    capacity = column.nbytes
    for start in range(0, 5000, 7):
        column.extend(np.arange(start, min(start + 7, 5000), dtype=np.int64))
    assert column.values.tolist() == list(range(5000))
    assert column.nbytes > capacity
    # Capacity grows geometrically, never to more than twice what is needed (plus the minimum).
    assert column.nbytes <= 2 * 5000 * 8 + capacity


def test_a_full_column_doubles_its_capacity_when_it_grows() -> None:
    column = Column(np.dtype(np.int64))
    column.extend(np.zeros(1024, dtype=np.int64))
    full = column.nbytes
    column.append(1)
    # Doubling keeps appends amortised O(1); growing by what is needed would copy on every append.
    assert column.nbytes == 2 * full
    column.extend(np.zeros(1023, dtype=np.int64))
    assert column.nbytes == 2 * full


def test_one_big_extend_grows_to_fit() -> None:
    column = Column(np.dtype(np.int32))
    column.extend(np.arange(10_000, dtype=np.int32))
    assert len(column) == 10_000
    assert int(column.values[-1]) == 9_999


def test_values_is_read_only() -> None:
    column = Column(np.dtype(np.int64))
    column.extend([1, 2, 3])
    with pytest.raises(ValueError, match="read-only"):
        column.values[0] = 7
    assert column.values.tolist() == [1, 2, 3]


def test_values_of_an_initial_array_is_read_only_too() -> None:
    column = Column(np.dtype(np.int64), np.array([1, 2], dtype=np.int64))
    with pytest.raises(ValueError, match="read-only"):
        column.values[1] = 0


def test_an_initial_array_is_taken_without_a_copy() -> None:
    initial = np.arange(50, dtype=np.int64)
    column = Column(np.dtype(np.int64), initial)
    assert len(column) == 50
    assert np.shares_memory(column.values, initial)
    assert column.nbytes == initial.nbytes


def test_an_initial_array_of_another_dtype_is_converted() -> None:
    column = Column(np.dtype(np.int64), np.array([1, 2, 3], dtype=np.int32))
    assert column.values.dtype == np.int64
    assert column.values.tolist() == [1, 2, 3]


def test_appending_to_an_initial_array_does_not_write_into_it() -> None:
    initial = np.arange(5, dtype=np.int64)
    column = Column(np.dtype(np.int64), initial)
    column.extend([5, 6])
    assert initial.tolist() == [0, 1, 2, 3, 4]
    assert column.values.tolist() == [0, 1, 2, 3, 4, 5, 6]


def test_bytes_columns_hold_fixed_width_strings() -> None:
    column = Column(np.dtype("S11"))
    column.extend([b"15918512397", b"01858500075"])
    column.append(b"01858500660")
    assert column.values.tolist() == [b"15918512397", b"01858500075", b"01858500660"]


def test_truncate_forgets_the_tail_and_extend_overwrites_it() -> None:
    column = Column(np.dtype(np.int64))
    column.extend(range(10))
    column.truncate(4)
    assert len(column) == 4
    assert column.values.tolist() == [0, 1, 2, 3]
    column.extend([40, 50])
    assert column.values.tolist() == [0, 1, 2, 3, 40, 50]


@pytest.mark.parametrize("length", [10, 11, 1000], ids=["same-length", "one-more", "far-more"])
def test_truncate_to_a_length_at_or_past_the_end_changes_nothing(length: int) -> None:
    column = Column(np.dtype(np.int64))
    column.extend(range(10))
    column.truncate(length)
    assert column.values.tolist() == list(range(10))


def test_truncate_to_zero_empties_the_column() -> None:
    column = Column(np.dtype(np.uint8))
    column.extend([1, 2, 3])
    column.truncate(0)
    assert len(column) == 0
    column.append(9)
    assert column.values.tolist() == [9]


@given(st.lists(st.one_of(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=700), st.integers(0, 3000))))
def test_any_sequence_of_extends_and_truncates_matches_a_list(
    operations: list[list[int] | int],
) -> None:
    column = Column(np.dtype(np.int64))
    model: list[int] = []
    for operation in operations:
        if isinstance(operation, int):
            column.truncate(operation)
            del model[operation:]
        else:
            column.extend(np.array(operation, dtype=np.int64))
            model.extend(operation)
        assert len(column) == len(model)
    assert column.values.tolist() == model
