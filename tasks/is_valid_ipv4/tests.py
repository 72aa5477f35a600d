from solution import is_valid_ipv4


def test_valid():
    assert is_valid_ipv4("192.168.1.1") is True
    assert is_valid_ipv4("0.0.0.0") is True
    assert is_valid_ipv4("255.255.255.255") is True
    assert is_valid_ipv4("10.0.100.9") is True


def test_out_of_range():
    assert is_valid_ipv4("256.0.0.1") is False
    assert is_valid_ipv4("1.2.3.1000") is False


def test_leading_zeros():
    assert is_valid_ipv4("192.168.01.1") is False
    assert is_valid_ipv4("00.1.1.1") is False
    assert is_valid_ipv4("1.2.3.007") is False


def test_wrong_number_of_parts():
    assert is_valid_ipv4("1.2.3") is False
    assert is_valid_ipv4("1.2.3.4.5") is False
    assert is_valid_ipv4("1..2.3") is False
    assert is_valid_ipv4("1.2.3.4.") is False


def test_empty():
    assert is_valid_ipv4("") is False
    assert is_valid_ipv4("...") is False


def test_signs_spaces_and_letters():
    assert is_valid_ipv4("+1.2.3.4") is False
    assert is_valid_ipv4("-0.2.3.4") is False
    assert is_valid_ipv4(" 1.2.3.4") is False
    assert is_valid_ipv4("1.2.3.4\n") is False
    assert is_valid_ipv4("1.2. 3.4") is False
    assert is_valid_ipv4("1.2.3.a") is False
    assert is_valid_ipv4("1.2.3.1_0") is False


def test_unicode_digits():
    assert is_valid_ipv4("١.2.3.4") is False
    assert is_valid_ipv4("1.2.3.²") is False
    assert is_valid_ipv4("１.2.3.4") is False
