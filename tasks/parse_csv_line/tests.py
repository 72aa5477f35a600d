from solution import parse_csv_line


def test_simple():
    assert parse_csv_line("a,b,c") == ["a", "b", "c"]


def test_empty_fields():
    assert parse_csv_line("") == [""]
    assert parse_csv_line("a,") == ["a", ""]
    assert parse_csv_line(",") == ["", ""]
    assert parse_csv_line("a,,b") == ["a", "", "b"]


def test_quoted_comma():
    assert parse_csv_line('"x,y",z') == ["x,y", "z"]
    assert parse_csv_line('1,"a, b, c",2') == ["1", "a, b, c", "2"]


def test_escaped_quotes():
    assert parse_csv_line('"say ""hi""",ok') == ['say "hi"', "ok"]
    assert parse_csv_line('""""') == ['"']


def test_empty_quoted():
    assert parse_csv_line('""') == [""]
    assert parse_csv_line('"",""') == ["", ""]
    assert parse_csv_line('a,""') == ["a", ""]


def test_spaces_kept():
    assert parse_csv_line(" a , b ") == [" a ", " b "]
    assert parse_csv_line('" x ",y') == [" x ", "y"]


def test_unicode():
    assert parse_csv_line('é,"ü,ß",日本') == ["é", "ü,ß", "日本"]


def test_unterminated_quote_raises():
    try:
        parse_csv_line('a,"bc')
        assert False
    except ValueError:
        pass


def test_garbage_after_quote_raises():
    for bad in ['"a"b,c', '"a" ,b', 'a"b', ' "a"']:
        try:
            parse_csv_line(bad)
            assert False
        except ValueError:
            pass


def test_many_fields():
    line = ",".join(f'"{i},{i}"' if i % 2 else str(i) for i in range(1000))
    result = parse_csv_line(line)
    assert len(result) == 1000
    assert result[1] == "1,1" and result[2] == "2" and result[999] == "999,999"
