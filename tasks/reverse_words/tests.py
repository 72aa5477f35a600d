from solution import reverse_words


def test_basic():
    assert reverse_words("hello world") == "world hello"


def test_extra_spaces():
    assert reverse_words("  the sky   is blue ") == "blue is sky the"


def test_empty():
    assert reverse_words("") == ""


def test_only_whitespace():
    assert reverse_words("  \t \n ") == ""


def test_single_word():
    assert reverse_words("  alone ") == "alone"


def test_punctuation_kept():
    assert reverse_words("Hi, there! ok.") == "ok. there! Hi,"


def test_tabs_and_newlines():
    assert reverse_words("a\tb\nc  d") == "d c b a"


def test_unicode_words():
    assert reverse_words("naïve café über") == "über café naïve"
