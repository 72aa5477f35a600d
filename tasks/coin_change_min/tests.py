from solution import coin_change_min


def test_greedy_fails():
    assert coin_change_min([1, 3, 4], 6) == 2


def test_classic():
    assert coin_change_min([1, 2, 5], 11) == 3


def test_impossible():
    assert coin_change_min([2], 3) == -1
    assert coin_change_min([5, 10], 7) == -1


def test_zero_amount():
    assert coin_change_min([1, 5], 0) == 0
    assert coin_change_min([], 0) == 0


def test_empty_coins():
    assert coin_change_min([], 5) == -1


def test_duplicates_and_unsorted():
    assert coin_change_min([7, 2, 2, 7, 3], 12) == 3


def test_greedy_trap_large():
    assert coin_change_min([1, 7, 10], 14) == 2
    assert coin_change_min([25, 10, 1], 30) == 3


def test_large_amount():
    assert coin_change_min([186, 419, 83, 408], 6249) == 20
    assert coin_change_min([3, 7], 10000) == 1432


def test_negative_amount_raises():
    try:
        coin_change_min([1], -1)
        assert False
    except ValueError:
        pass
