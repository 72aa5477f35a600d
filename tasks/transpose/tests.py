from solution import transpose


def test_square():
    assert transpose([[1, 2], [3, 4]]) == [[1, 3], [2, 4]]


def test_rectangular_wide():
    assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]


def test_rectangular_tall():
    assert transpose([[1], [2], [3]]) == [[1, 2, 3]]


def test_single():
    assert transpose([[7]]) == [[7]]


def test_empty():
    assert transpose([]) == []


def test_empty_rows():
    assert transpose([[]]) == []


def test_rows_are_lists():
    result = transpose([[1, -2], [-3, 4], [5, 6]])
    assert result == [[1, -3, 5], [-2, 4, 6]]
    assert all(type(row) is list for row in result)


def test_double_transpose():
    m = [[i * 10 + j for j in range(7)] for i in range(5)]
    assert transpose(transpose(m)) == m
