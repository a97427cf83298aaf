from mylib.core import double


def test_double():
    assert double(2) == 4


def test_in_the_test_itself():
    values = {"a": 1}
    assert values["a"] == 1
