from solution import digit_sum


def test_basic():
    assert digit_sum(123) == 6


def test_zero():
    assert digit_sum(0) == 0


def test_single_digit():
    assert digit_sum(7) == 7


def test_negative():
    assert digit_sum(-405) == 9
    assert digit_sum(-9) == 9


def test_zeros_inside():
    assert digit_sum(1000001) == 2


def test_large():
    assert digit_sum(99999999999999999999) == 180
    assert digit_sum(-12345678901234567890) == 90
