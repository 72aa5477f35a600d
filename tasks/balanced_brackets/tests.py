from solution import balanced_brackets


def test_simple_balanced():
    assert balanced_brackets("()[]{}") is True


def test_nested_with_text():
    assert balanced_brackets("a(b[c]{d})") is True


def test_crossed():
    assert balanced_brackets("([)]") is False


def test_empty_and_no_brackets():
    assert balanced_brackets("") is True
    assert balanced_brackets("hello <world>") is True


def test_unclosed():
    assert balanced_brackets("((") is False
    assert balanced_brackets("{[()]") is False


def test_close_first():
    assert balanced_brackets(")(") is False
    assert balanced_brackets("]") is False


def test_deep():
    assert balanced_brackets("([{" * 3000 + "}])" * 3000) is True
    assert balanced_brackets("([{" * 3000 + "}])" * 2999 + "})]") is False
