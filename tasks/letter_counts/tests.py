from solution import letter_counts


def test_basic():
    assert letter_counts("Hello!") == {"h": 1, "e": 1, "l": 2, "o": 1}


def test_empty():
    assert letter_counts("") == {}


def test_no_letters():
    assert letter_counts("123 !?, 4.5") == {}


def test_case_insensitive():
    assert letter_counts("AaAa bB") == {"a": 4, "b": 2}


def test_accented_letters():
    assert letter_counts("Été 2024") == {"é": 2, "t": 1}
    assert letter_counts("eéEÉ") == {"e": 2, "é": 2}


def test_non_latin():
    assert letter_counts("Жж ß ω!") == {"ж": 2, "ß": 1, "ω": 1}


def test_long():
    assert letter_counts("abc" * 1000 + "A") == {"a": 1001, "b": 1000, "c": 1000}
