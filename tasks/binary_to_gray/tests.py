from solution import binary_to_gray


def test_small_values():
    assert [binary_to_gray(i) for i in range(8)] == [0, 1, 3, 2, 6, 7, 5, 4]


def test_zero():
    assert binary_to_gray(0) == 0


def test_power_of_two():
    assert binary_to_gray(8) == 12
    assert binary_to_gray(1024) == 1536


def test_adjacent_codes_differ_by_one_bit():
    for i in range(1000):
        diff = binary_to_gray(i) ^ binary_to_gray(i + 1)
        assert diff != 0 and diff & (diff - 1) == 0


def test_large():
    assert binary_to_gray(2**64 - 1) == 2**63


def test_negative_raises():
    try:
        binary_to_gray(-1)
        assert False
    except ValueError:
        pass
