from solution import decode_ways


def test_basic():
    assert decode_ways("12") == 2
    assert decode_ways("226") == 3


def test_leading_zero():
    assert decode_ways("06") == 0
    assert decode_ways("0") == 0


def test_zeros_inside():
    assert decode_ways("10") == 1
    assert decode_ways("100") == 0
    assert decode_ways("2101") == 1
    assert decode_ways("30") == 0


def test_empty():
    assert decode_ways("") == 1


def test_27_is_single_way():
    assert decode_ways("27") == 1
    assert decode_ways("11106") == 2


def test_long_exact():
    assert decode_ways("1" * 40) == 165580141
    assert decode_ways("1" * 1000) % 1000000007 == 107579939


def test_non_digit_raises():
    for bad in ["12a", "1 2", "١٢"]:
        try:
            decode_ways(bad)
            assert False
        except ValueError:
            pass
