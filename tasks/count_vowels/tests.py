from solution import count_vowels


def test_basic():
    assert count_vowels("Hello World") == 3


def test_empty():
    assert count_vowels("") == 0


def test_uppercase():
    assert count_vowels("AEIOU aeiou") == 10


def test_no_vowels_and_y():
    assert count_vowels("rhythm myths") == 0
    assert count_vowels("yY") == 0


def test_accented_not_counted():
    assert count_vowels("café") == 1
    assert count_vowels("Über élan") == 2


def test_punctuation_and_digits():
    assert count_vowels("a1!e2?i3.o4,u5") == 5


def test_long():
    assert count_vowels("ab" * 5000) == 5000
