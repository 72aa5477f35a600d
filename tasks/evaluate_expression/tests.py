from solution import evaluate_expression


def test_precedence():
    assert evaluate_expression("1 + 2 * 3") == 7
    assert evaluate_expression("10 - 4 / 2") == 8


def test_parentheses():
    assert evaluate_expression("(1+2)*3") == 9
    assert evaluate_expression("2*(3+(4-1))/3") == 4


def test_left_associative():
    assert evaluate_expression("2-3-4") == -5
    assert evaluate_expression("100/10/5") == 2
    assert evaluate_expression("8/2*4") == 16


def test_truncating_division():
    assert evaluate_expression("7/2") == 3
    assert evaluate_expression("(1 - 10) / 4") == -2
    assert evaluate_expression("-7/2") == -3
    assert evaluate_expression("7/-2") == -3
    assert evaluate_expression("-8/-3") == 2


def test_unary_minus():
    assert evaluate_expression("-(2+3)*2") == -10
    assert evaluate_expression("--3") == 3
    assert evaluate_expression("2*-3") == -6
    assert evaluate_expression("1 - -1") == 2


def test_spaces_and_multidigit():
    assert evaluate_expression("  42  ") == 42
    assert evaluate_expression(" 123 +  877 * 10 ") == 8893


def test_big_values_exact():
    assert evaluate_expression("99999999999999999999 * 99999999999999999999") == 9999999999999999999800000000000000000001
    assert evaluate_expression("100000000000000000001 / 3") == 33333333333333333333


def test_long_and_nested():
    assert evaluate_expression(" + ".join(str(i) for i in range(1, 1001))) == 500500
    assert evaluate_expression("(" * 100 + "6" + ")" * 100 + "/4") == 1


def test_division_by_zero():
    try:
        evaluate_expression("1 / (2 - 2)")
        assert False
    except ZeroDivisionError:
        pass
