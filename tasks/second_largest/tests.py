from solution import second_largest


def test_basic():
    assert second_largest([3, 1, 4, 1, 5]) == 4


def test_duplicate_max():
    assert second_largest([5, 5, 3]) == 3
    assert second_largest([2, 9, 9, 9, 1]) == 2


def test_all_equal():
    assert second_largest([7, 7]) is None
    assert second_largest([4]) is None


def test_empty():
    assert second_largest([]) is None


def test_negatives():
    assert second_largest([-3, -1, -2]) == -2
    assert second_largest([-5, 0]) == -5


def test_two_elements_any_order():
    assert second_largest([1, 2]) == 1
    assert second_largest([2, 1]) == 1


def test_large():
    xs = [(i * 37) % 1001 for i in range(5000)]
    assert second_largest(xs) == 999
