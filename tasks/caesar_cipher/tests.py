from solution import caesar_cipher


def test_basic():
    assert caesar_cipher("Hello, World!", 3) == "Khoor, Zruog!"


def test_wraparound():
    assert caesar_cipher("xyz XYZ", 3) == "abc ABC"


def test_negative_shift():
    assert caesar_cipher("abc", -1) == "zab"
    assert caesar_cipher("Khoor, Zruog!", -3) == "Hello, World!"


def test_large_shifts():
    assert caesar_cipher("xyz", 29) == "abc"
    assert caesar_cipher("Abc", -27) == "Zab"
    assert caesar_cipher("Python", 26 * 1000 + 13) == "Clguba"


def test_empty_and_zero():
    assert caesar_cipher("", 5) == ""
    assert caesar_cipher("Same text.", 0) == "Same text."


def test_non_ascii_unchanged():
    assert caesar_cipher("café ßüz 123", 1) == "dbgé ßüa 123"


def test_round_trip():
    text = "The Quick Brown Fox, jumps over 13 lazy dogs!"
    for k in range(-30, 31):
        assert caesar_cipher(caesar_cipher(text, k), -k) == text
