from solution import determinant


def test_two_by_two():
    assert determinant([[1, 2], [3, 4]]) == -2


def test_one_by_one_and_empty():
    assert determinant([[5]]) == 5
    assert determinant([[-7]]) == -7
    assert determinant([]) == 1


def test_three_by_three():
    assert determinant([[2, 0, 1], [1, 3, 2], [1, 1, 2]]) == 6
    assert determinant([[6, 1, 1], [4, -2, 5], [2, 8, 7]]) == -306


def test_zero_pivot_needs_swap():
    assert determinant([[0, 1], [1, 0]]) == -1
    assert determinant([[0, 0, 1], [0, 1, 0], [1, 0, 0]]) == -1
    assert determinant([[0, 2, 3], [4, 5, 6], [7, 8, 10]]) == -5


def test_singular():
    assert determinant([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == 0
    assert determinant([[0, 0], [0, 0]]) == 0
    assert determinant([[1, 2], [0, 0]]) == 0


def test_large_exact():
    m = [
        [-38, -628, 491, 184, -378, -590, 817, 481],
        [-161, 550, 467, 553, -457, 91, -498, 302],
        [664, 505, 20, -275, -149, 79, 490, 260],
        [972, -554, -367, 113, 441, -324, 63, -848],
        [497, 585, 775, -578, 411, 541, 490, -41],
        [893, 452, 702, 785, 336, -697, 88, -565],
        [776, -157, -881, 578, -285, 287, -147, -46],
        [-746, 485, 522, -716, 562, -331, -201, -323],
    ]
    assert determinant(m) == -12821916494905669331822
    m2 = [[10**9 + i if i == j else (i + j) % 5 for j in range(4)] for i in range(4)]
    assert determinant(m2) == 1000000005999999971999999935000000049


def test_ten_by_ten():
    m = [[(i + 1) ** j for j in range(10)] for i in range(10)]
    assert determinant(m) == 1834933472251084800000


def test_not_square_raises():
    for bad in [[[1, 2]], [[]], [[1, 2], [3]]]:
        try:
            determinant(bad)
            assert False
        except ValueError:
            pass
