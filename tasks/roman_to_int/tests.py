from solution import roman_to_int


def test_additive():
    assert roman_to_int("III") == 3
    assert roman_to_int("LVIII") == 58


def test_subtractive():
    assert roman_to_int("IV") == 4
    assert roman_to_int("IX") == 9
    assert roman_to_int("XLIX") == 49
    assert roman_to_int("CDXLIV") == 444


def test_mixed():
    assert roman_to_int("MCMXCIV") == 1994
    assert roman_to_int("MMXXIV") == 2024


def test_extremes():
    assert roman_to_int("I") == 1
    assert roman_to_int("MMMCMXCIX") == 3999


def test_all_values_round_trip():
    table = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    for n in range(1, 4000):
        rest, numeral = n, ""
        for value, sym in table:
            while rest >= value:
                numeral += sym
                rest -= value
        assert roman_to_int(numeral) == n


def test_empty_raises():
    try:
        roman_to_int("")
        assert False
    except ValueError:
        pass


def test_invalid_characters_raise():
    for bad in ["xiv", "XIV ", "X2", "ABC"]:
        try:
            roman_to_int(bad)
            assert False
        except ValueError:
            pass
