from solution import longest_increasing_subsequence


def test_classic():
    assert longest_increasing_subsequence([10, 9, 2, 5, 3, 7, 101, 18]) == 4


def test_empty():
    assert longest_increasing_subsequence([]) == 0


def test_equal_values():
    assert longest_increasing_subsequence([2, 2, 2]) == 1
    assert longest_increasing_subsequence([1, 2, 2, 3, 3, 4]) == 4


def test_not_contiguous():
    assert longest_increasing_subsequence([1, 5, 2, 3]) == 3
    assert longest_increasing_subsequence([0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15]) == 6


def test_decreasing():
    assert longest_increasing_subsequence([5, 4, 3, 2, 1]) == 1


def test_negatives():
    assert longest_increasing_subsequence([-1, -3, -2, 0, -5, 4]) == 4


def test_single():
    assert longest_increasing_subsequence([42]) == 1


def test_long():
    xs = [(i * 7919) % 2003 for i in range(2000)]
    assert longest_increasing_subsequence(xs) == 65
    assert longest_increasing_subsequence(list(range(2000))) == 2000
