"""Figures typed on a phone whose keyboard writes another script's digits read as the same
numbers, and what is not a plain figure is still refused."""

from __future__ import annotations

import pytest

from facilitation.core.errors import BadRequest
from facilitation.core.forms import read_money, read_number, read_whole, typed_digits


@pytest.mark.parametrize(
    ("typed", "figure"),
    [("١٢٥٠٠", "12500"), ("١٢٬٥٠٠", "12,500"), ("١٢٫٥", "12.5"), ("১২৫", "125"), ("12", "12")],
)
def test_any_scripts_digits_read_as_0_to_9(typed, figure):
    assert typed_digits(typed) == figure


def test_forms_read_arabic_and_bengali_figures_as_numbers():
    assert read_whole("٤٢", "Seats", 1, 99) == 42
    assert read_money("£١٢٬٥٠٠", "Cost", required=True) == 12500
    assert read_number("٢٫٥", "Rate", 0, 5) == 2.5
    assert read_whole("১২", "Seats", 1, 99) == 12


@pytest.mark.parametrize("typed", ["²", "١٢٫٥", "-٣", "١٠٠"])
def test_what_is_no_whole_number_in_range_is_still_refused(typed):
    with pytest.raises(BadRequest):
        read_whole(typed, "Seats", 1, 99)
