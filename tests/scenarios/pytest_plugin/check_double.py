from mylib.core import double


def test_double():
    assert double(2) == 4


def test_in_the_test_itself():
    values = {"a": 1}
    assert values["b"] == 2  # the bug is in the test
