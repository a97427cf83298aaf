import pytest

from mylib.core import ratio


def test_ratio():
    assert ratio(2) == 2


def test_expected_error_is_not_a_crash():
    with pytest.raises(ZeroDivisionError):
        ratio(2)
