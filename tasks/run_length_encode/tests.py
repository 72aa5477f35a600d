from solution import run_length_encode


def test_basic():
    assert run_length_encode("aaab") == "a3b1"


def test_empty():
    assert run_length_encode("") == ""


def test_single_runs():
    assert run_length_encode("abc") == "a1b1c1"


def test_repeated_later():
    assert run_length_encode("aba") == "a1b1a1"
    assert run_length_encode("aabbaa") == "a2b2a2"


def test_multi_digit_counts():
    assert run_length_encode("a" * 12 + "b") == "a12b1"
    assert run_length_encode("z" * 1000) == "z1000"


def test_case_sensitive():
    assert run_length_encode("aAaa") == "a1A1a2"


def test_digits_spaces_unicode():
    assert run_length_encode("11  éé🙂") == "12 2é2🙂1"
