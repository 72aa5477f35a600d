from solution import pascal_row


def test_row_zero():
    assert pascal_row(0) == [1]


def test_row_one():
    assert pascal_row(1) == [1, 1]


def test_row_four():
    assert pascal_row(4) == [1, 4, 6, 4, 1]


def test_row_ten():
    assert pascal_row(10) == [1, 10, 45, 120, 210, 252, 210, 120, 45, 10, 1]


def test_large_exact():
    row = pascal_row(100)
    assert len(row) == 101
    assert row[50] == 100891344545564193334812497256
    assert all(isinstance(v, int) for v in row)
    assert sum(row) == 2**100


def test_negative_raises():
    try:
        pascal_row(-1)
        assert False
    except ValueError:
        pass
