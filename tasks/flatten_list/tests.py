from solution import flatten_list


def test_basic():
    assert flatten_list([1, [2, [3, 4]], 5]) == [1, 2, 3, 4, 5]


def test_empty():
    assert flatten_list([]) == []
    assert flatten_list([[], [[]], [[], []]]) == []


def test_already_flat_returns_equal_list():
    assert flatten_list([3, 1, 2]) == [3, 1, 2]


def test_strings_not_split():
    assert flatten_list([["ab"], [], [[None]]]) == ["ab", None]
    assert flatten_list(["abc", ["de", ["f"]]]) == ["abc", "de", "f"]


def test_mixed_values_kept():
    assert flatten_list([0, [False, [{"k": 1}]], [1.5, [None]]]) == [0, False, {"k": 1}, 1.5, None]


def test_leading_nesting():
    assert flatten_list([[[[1]]], 2, [[3], 4]]) == [1, 2, 3, 4]


def test_deep_nesting():
    xs = [7]
    for _ in range(200):
        xs = [xs, 1]
    assert flatten_list(xs) == [7] + [1] * 200
