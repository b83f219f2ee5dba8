"""docs/reliability.md shows exactly the cases and numbers the fault suite asserts."""

from tests.faults.cases import CASES
from tests.faults.report import DOC, section


def test_the_document_shows_the_table_the_suite_asserts():
    assert section() in DOC.read_text(), "run: python -m tests.faults.report --write"


def test_every_case_asserts_nothing_lost_and_nothing_duplicated():
    assert all(case.expected.lost == 0 and case.expected.duplicated == 0 for case in CASES.values())
