from solution import sort_ints


def test_basic():
    assert sort_ints([3, 1, 2]) == [1, 2, 3]


def test_empty():
    assert sort_ints([]) == []


def test_single():
    assert sort_ints([7]) == [7]


def test_duplicates():
    assert sort_ints([2, 1, 2, 1]) == [1, 1, 2, 2]


def test_negatives():
    assert sort_ints([0, -5, 3, -1]) == [-5, -1, 0, 3]


def test_already_sorted_and_reversed():
    assert sort_ints(list(range(10))) == list(range(10))
    assert sort_ints(list(range(10, 0, -1))) == list(range(1, 11))


def test_large():
    xs = [(i * 7919) % 1000 - 500 for i in range(2000)]
    assert sort_ints(xs) == sorted(xs)
