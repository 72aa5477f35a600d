from solution import fizzbuzz


def test_first_five():
    assert fizzbuzz(5) == ["1", "2", "Fizz", "4", "Buzz"]


def test_fifteen():
    assert fizzbuzz(15)[-1] == "FizzBuzz"
    assert fizzbuzz(15) == [
        "1", "2", "Fizz", "4", "Buzz", "Fizz", "7", "8", "Fizz", "Buzz",
        "11", "Fizz", "13", "14", "FizzBuzz",
    ]


def test_zero():
    assert fizzbuzz(0) == []


def test_negative():
    assert fizzbuzz(-3) == []


def test_one():
    assert fizzbuzz(1) == ["1"]


def test_length_and_counts():
    out = fizzbuzz(300)
    assert len(out) == 300
    assert out.count("FizzBuzz") == 20
    assert out.count("Fizz") == 80
    assert out.count("Buzz") == 40
    assert out[99] == "Buzz"
    assert out[97] == "98"
