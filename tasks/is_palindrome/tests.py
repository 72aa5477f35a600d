from solution import is_palindrome


def test_classic():
    assert is_palindrome("A man, a plan, a canal: Panama") is True


def test_not_palindrome():
    assert is_palindrome("race a car") is False


def test_empty():
    assert is_palindrome("") is True


def test_only_punctuation():
    assert is_palindrome(" .,!? ") is True


def test_case_insensitive():
    assert is_palindrome("Was it a car or a cat I saw?") is True
    assert is_palindrome("Noon") is True


def test_digits():
    assert is_palindrome("12321") is True
    assert is_palindrome("1a2") is False


def test_unicode_letters():
    assert is_palindrome("Été") is True
    assert is_palindrome("éte") is False


def test_single_and_pair():
    assert is_palindrome("x") is True
    assert is_palindrome("ab") is False
