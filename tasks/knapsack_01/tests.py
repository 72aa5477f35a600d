from solution import knapsack_01


def test_classic():
    assert knapsack_01([1, 3, 4, 5], [1, 4, 5, 7], 7) == 9


def test_greedy_ratio_fails():
    assert knapsack_01([10, 20, 30], [60, 100, 120], 50) == 220


def test_each_item_once():
    assert knapsack_01([2], [3], 10) == 3
    assert knapsack_01([1, 1], [5, 5], 10) == 10


def test_nothing_fits():
    assert knapsack_01([5], [10], 4) == 0


def test_empty_and_zero_capacity():
    assert knapsack_01([], [], 10) == 0
    assert knapsack_01([1, 2], [3, 4], 0) == 0


def test_exact_fill():
    assert knapsack_01([3, 4, 5], [30, 50, 60], 9) == 110


def test_large():
    weights = [(i * 37) % 97 + 1 for i in range(100)]
    values = [(i * 53) % 89 for i in range(100)]
    assert knapsack_01(weights, values, 1000) == 2137


def test_mismatched_lengths_raise():
    try:
        knapsack_01([1, 2], [3], 5)
        assert False
    except ValueError:
        pass


def test_negative_capacity_raises():
    try:
        knapsack_01([1], [1], -1)
        assert False
    except ValueError:
        pass
