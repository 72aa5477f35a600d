from solution import edit_distance


def test_kitten():
    assert edit_distance("kitten", "sitting") == 3


def test_horse():
    assert edit_distance("horse", "ros") == 3
    assert edit_distance("intention", "execution") == 5


def test_empty():
    assert edit_distance("", "") == 0
    assert edit_distance("", "abc") == 3
    assert edit_distance("abcd", "") == 4


def test_identical():
    assert edit_distance("same", "same") == 0


def test_case_sensitive():
    assert edit_distance("Abc", "abc") == 1


def test_symmetric_and_transposition():
    assert edit_distance("ab", "ba") == 2
    assert edit_distance("ba", "ab") == 2


def test_unicode():
    assert edit_distance("café", "cafe") == 1
    assert edit_distance("naïve🙂", "naive") == 2


def test_long():
    a = "ab" * 150
    b = "ba" * 150
    assert edit_distance(a, b) == 2
    assert edit_distance("a" * 300, "b" * 250) == 300
