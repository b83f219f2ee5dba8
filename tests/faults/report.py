"""docs/reliability.md's table, made from the cases the fault suite asserts (tests/faults/cases.py).

    python -m tests.faults.report            # print the table
    python -m tests.faults.report --write    # put it into docs/reliability.md

With ESCALATOR_FAULT_RESULTS=<file> set while the suite runs, each case also appends what it
measured to that file (tests/faults/harness.py `record`); `--results <file>` prints those rows.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tests.faults.cases import CASES

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
BEGIN = "<!-- fault-table: made by `python -m tests.faults.report --write` from tests/faults/cases.py -->"
END = "<!-- end of fault-table -->"


def table() -> str:
    rows = [
        "| case | fault injected | what must hold | events sent | tickets they escalate "
        "| tickets applied | duplicated | lost |"
    ]
    rows.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for case in CASES.values():
        tally = case.expected
        rows.append(
            f"| {case.name} | {case.fault} | {case.holds} | {tally.sent} | {case.escalations} | "
            f"{tally.applied} | {tally.duplicated} | {tally.lost} |"
        )
    return "\n".join(rows)


def section() -> str:
    return f"{BEGIN}\n{table()}\n{END}"


def write() -> None:
    text = DOC.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    DOC.write_text(text[:start] + section() + text[end:])


def measured(path: Path) -> str:
    lines = ["| case | sent | applied | duplicated | lost | measured |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    for line in path.read_text().splitlines():
        row = json.loads(line)
        extra = ", ".join(
            f"{k} {v}" for k, v in row.items() if k not in ("case", "sent", "applied", "duplicated", "lost")
        )
        lines.append(
            f"| {row['case']} | {row['sent']} | {row['applied']} | {row['duplicated']} | {row['lost']} | {extra} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update docs/reliability.md")
    parser.add_argument("--results", type=Path, help="print the rows a run recorded in this file")
    args = parser.parse_args()
    if args.results:
        print(measured(args.results))
    elif args.write:
        write()
    else:
        print(table())


if __name__ == "__main__":
    main()
