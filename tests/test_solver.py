"""extract/solver.py: a blank is filled only where the printed numbers force it."""
from extract.schema import Equation
from extract.solver import force

ROW = Equation("row_total", "r", ("t",), ("a", "b", "c"))


def test_a_single_unknown_is_the_total_minus_the_printed_parts():
    assert force({"t": 9, "a": 2, "b": None, "c": 3}, [ROW]) == {"b": 4}


def test_a_printed_zero_total_forces_every_unknown_part_to_zero():
    assert force({"t": 0, "a": None, "b": 0, "c": None}, [ROW]) == {"a": 0, "c": 0}


def test_two_unknowns_with_a_positive_remainder_are_not_forced():
    assert force({"t": 9, "a": 2, "b": None, "c": None}, [ROW]) == {}


def test_a_broken_sum_forces_nothing():
    assert force({"t": 3, "a": 2, "b": None, "c": 5}, [ROW]) == {}  # would be -4
    assert force({"t": 3, "a": 2.5, "b": None, "c": 0}, [ROW]) == {}  # would be 0.5 of a count


def test_forcing_runs_to_a_fixed_point_across_equations():
    column = Equation("col", "c", ("t", "u"), ("total",))
    assert force({"t": None, "a": 1, "b": 2, "c": 3, "u": 4, "total": None}, [ROW, column]) == {"t": 6, "total": 10}
    chain = [ROW, Equation("col", "c", ("t",), ("x",))]
    assert force({"t": None, "a": 1, "b": 2, "c": 3, "x": None}, chain) == {"t": 6, "x": 6}


def test_a_value_that_breaks_another_printed_equation_is_taken_back():
    # t is forced to 6 by the row, but a printed column says t + 1 = 9: the row's sums and the column's disagree.
    column = Equation("col", "c", ("t", "one"), ("nine",))
    assert force({"t": None, "a": 1, "b": 2, "c": 3, "one": 1, "nine": 9}, [ROW, column]) == {}


def test_a_cell_the_document_lacks_is_not_forced_through_an_equation_it_is_not_in():
    assert force({"t": 5, "a": None, "b": 5}, [ROW]) == {}  # c is not a cell of this document
