from solution import format_duration


def test_hours():
    assert format_duration(3723) == "1h 02m 03s"


def test_exact_hour_keeps_zero_parts():
    assert format_duration(3600) == "1h 00m 00s"
    assert format_duration(7260) == "2h 01m 00s"


def test_minutes():
    assert format_duration(61) == "1m 01s"
    assert format_duration(600) == "10m 00s"
    assert format_duration(3599) == "59m 59s"


def test_seconds_only():
    assert format_duration(5) == "5s"
    assert format_duration(59) == "59s"


def test_zero():
    assert format_duration(0) == "0s"


def test_more_than_a_day():
    assert format_duration(90061) == "25h 01m 01s"
    assert format_duration(360000) == "100h 00m 00s"


def test_boundaries():
    assert format_duration(60) == "1m 00s"
    assert format_duration(3601) == "1h 00m 01s"


def test_negative_raises():
    try:
        format_duration(-1)
        assert False
    except ValueError:
        pass
