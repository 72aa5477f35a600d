from solution import group_anagrams


def test_basic():
    assert group_anagrams(["eat", "tea", "tan", "ate", "nat", "bat"]) == [
        ["ate", "eat", "tea"], ["bat"], ["nat", "tan"]
    ]


def test_empty_input():
    assert group_anagrams([]) == []


def test_duplicates_kept():
    assert group_anagrams(["ab", "ba", "ab"]) == [["ab", "ab", "ba"]]


def test_case_sensitive():
    assert group_anagrams(["Tea", "eat", "aTe"]) == [["Tea", "aTe"], ["eat"]]


def test_empty_string_word():
    assert group_anagrams(["", "a", ""]) == [["", ""], ["a"]]


def test_group_order():
    assert group_anagrams(["zz", "yx", "xy", "b", "a"]) == [["a"], ["b"], ["xy", "yx"], ["zz"]]


def test_single_word():
    assert group_anagrams(["listen"]) == [["listen"]]
    assert group_anagrams(["listen", "silent", "enlist", "google"]) == [
        ["enlist", "listen", "silent"], ["google"]
    ]
