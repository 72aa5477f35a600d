from solution import merge_intervals


def test_basic():
    assert merge_intervals([[1, 3], [2, 6], [8, 10]]) == [[1, 6], [8, 10]]


def test_empty():
    assert merge_intervals([]) == []


def test_unsorted_input():
    assert merge_intervals([[8, 10], [1, 3], [2, 6]]) == [[1, 6], [8, 10]]
    assert merge_intervals([[4, 5], [1, 4]]) == [[1, 5]]


def test_touching_and_gap():
    assert merge_intervals([[1, 3], [3, 5]]) == [[1, 5]]
    assert merge_intervals([[3, 4], [1, 2]]) == [[1, 2], [3, 4]]


def test_nested():
    assert merge_intervals([[1, 10], [2, 3], [4, 5]]) == [[1, 10]]


def test_negative_and_points():
    assert merge_intervals([[-5, -3], [-4, 0], [2, 2], [2, 2], [7, 7]]) == [[-5, 0], [2, 2], [7, 7]]


def test_chain():
    intervals = [[i, i + 1] for i in range(0, 400, 2)] + [[i + 1, i + 2] for i in range(0, 400, 4)]
    assert merge_intervals(intervals) == [[i, i + 3] for i in range(0, 400, 4)]
