from solution import top_k_words


def test_basic():
    assert top_k_words("the cat and the hat", 1) == ["the"]


def test_alphabetical_ties():
    assert top_k_words("b a c b a", 2) == ["a", "b"]
    assert top_k_words("x y z", 2) == ["x", "y"]


def test_case_insensitive():
    assert top_k_words("The the THE cat Cat dog", 3) == ["the", "cat", "dog"]


def test_punctuation_and_digits_split():
    assert top_k_words("it's 2 o'clock, it's", 3) == ["it", "s", "clock"]
    assert top_k_words("x2y x_y well-known", 10) == ["x", "y", "known", "well"]


def test_unicode_words():
    assert top_k_words("Éclair éclair café Café cafe zebra", 4) == ["café", "éclair", "cafe", "zebra"]


def test_fewer_than_k():
    assert top_k_words("one two two", 5) == ["two", "one"]


def test_empty_and_nonpositive_k():
    assert top_k_words("", 3) == []
    assert top_k_words("123 !!! ...", 3) == []
    assert top_k_words("a b c", 0) == []
    assert top_k_words("a b c", -2) == []


def test_large_text():
    words = ["w" + chr(97 + i % 26) * (1 + i % 3) for i in range(3000)]
    text = " ".join(words)
    result = top_k_words(text, 3)
    assert result == ["wa", "waaa", "wb"]
