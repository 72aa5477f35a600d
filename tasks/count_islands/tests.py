from solution import count_islands


def test_basic():
    assert count_islands(["110", "010", "001"]) == 2


def test_diagonals_not_connected():
    assert count_islands(["101", "010", "101"]) == 5
    assert count_islands(["10", "01"]) == 2


def test_empty():
    assert count_islands([]) == 0
    assert count_islands(["", ""]) == 0


def test_all_water_and_all_land():
    assert count_islands(["000", "000"]) == 0
    assert count_islands(["111", "111"]) == 1


def test_u_shape_is_one_island():
    assert count_islands(["101", "101", "111"]) == 1


def test_classic():
    grid = [
        "11000",
        "11000",
        "00100",
        "00011",
    ]
    assert count_islands(grid) == 3


def test_large_single_island():
    assert count_islands(["1" * 60] * 60) == 1


def test_large_checkerboard():
    grid = ["".join("1" if (r + c) % 2 == 0 else "0" for c in range(60)) for r in range(60)]
    assert count_islands(grid) == 1800
