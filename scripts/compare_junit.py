"""Compare the outcome of every test between two pytest JUnit XML reports.

    python3 scripts/compare_junit.py LABEL_A A.xml LABEL_B B.xml
        [--write-differing FILE --tests-dir DIR] [--rerun A2.xml B2.xml]

Used by scripts/test.sh to check that Odoo's own crm test suite gives the same result
on a database with crm alone (A) and on one with this repository's add-ons (B).

A test is identified by its JUnit classname and name; its outcome is passed, failed,
error or skipped (a test reported more than once, e.g. one report per failing
subtest, takes its worst outcome).  Prints the counts of each side and every test
whose outcome differs or that ran on one side only, with the start of its failure
message.  Exit code 0 when both sides ran the same tests (at least one) with the
same outcomes, 1 otherwise, 2 when a report cannot be read.

--write-differing FILE writes the pytest node ids (under --tests-dir DIR) of the tests
that ran on both sides with different outcomes, one a line, so that they can be run
again; --rerun A2.xml B2.xml gives the reports of that second run: a test re-run on
both sides takes its re-run outcomes (listed as flaky when they then agree).
"""

import argparse
import os
import sys
import xml.etree.ElementTree as ET
from collections import Counter

OUTCOMES = ("passed", "skipped", "failed", "error")  # worst last


def read_report(path):
    """{test id: (outcome, message)} of the JUnit XML report at PATH."""
    root = ET.parse(path).getroot()
    results = {}
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = "failed" if child.tag == "failure" else child.tag
                message = child.get("message") or (child.text or "")
                break
        previous = results.get(test_id)
        if previous is None or OUTCOMES.index(outcome) > OUTCOMES.index(previous[0]):
            results[test_id] = (outcome, message)
    return results


def first_line(message, width=160):
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    text = lines[0] if lines else ""
    return text if len(text) <= width else text[: width - 3] + "..."


def counts(results):
    by_outcome = Counter(outcome for outcome, _message in results.values())
    return f"{len(results)} tests: " + ", ".join(
        f"{by_outcome.get(outcome, 0)} {outcome}" for outcome in OUTCOMES
    )


def nodeid(tests_dir, test_id):
    """The pytest node id of TEST_ID ("pkg.test_module.Class::name") in TESTS_DIR."""
    classname, name = test_id.split("::", 1)
    module, _dot, cls = classname.rpartition(".")
    path = os.path.join(tests_dir, *module.split(".")) + ".py"
    return f"{path}::{cls}::{name}" if cls else f"{path}::{name}"


def compare(side_a, side_b, rerun_a, rerun_b):
    """(differences, flaky): the tests whose outcome differs, re-runs applied."""
    differences, flaky = [], []
    for test_id in sorted(set(side_a) | set(side_b)):
        outcome_a, message_a = side_a.get(test_id, ("not run", ""))
        outcome_b, message_b = side_b.get(test_id, ("not run", ""))
        if outcome_a == outcome_b:
            continue
        if test_id in rerun_a and test_id in rerun_b:
            first = (outcome_a, outcome_b)
            outcome_a, message_a = rerun_a[test_id]
            outcome_b, message_b = rerun_b[test_id]
            if outcome_a == outcome_b:
                flaky.append((test_id, first, outcome_a))
                continue
        differences.append((test_id, outcome_a, message_a, outcome_b, message_b))
    return differences, flaky


def print_common_failures(side_a, side_b):
    common = sorted(
        test_id
        for test_id, (outcome, _message) in side_a.items()
        if outcome in ("failed", "error") and side_b.get(test_id, ("",))[0] == outcome
    )
    if common:
        print(
            f"\n  Note: {len(common)} tests fail the same way on both sides (not a"
            " difference, but they check nothing; is an optional package missing?):"
        )
        for test_id in common:
            print(f"  - {test_id}: {first_line(side_a[test_id][1])}")


def main(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[1],
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("label_a")
    parser.add_argument("report_a")
    parser.add_argument("label_b")
    parser.add_argument("report_b")
    parser.add_argument("--write-differing", metavar="FILE")
    parser.add_argument("--tests-dir", metavar="DIR", default=".")
    parser.add_argument("--rerun", nargs=2, metavar=("A2.xml", "B2.xml"))
    args = parser.parse_args(argv)
    label_a, label_b = args.label_a, args.label_b
    try:
        side_a, side_b = read_report(args.report_a), read_report(args.report_b)
        rerun_a, rerun_b = (
            (read_report(args.rerun[0]), read_report(args.rerun[1]))
            if args.rerun
            else ({}, {})
        )
    except (OSError, ET.ParseError) as exc:
        print(f"compare_junit: cannot read a report: {exc}", file=sys.stderr)
        return 2

    width = max(len(label_a), len(label_b))
    print(f"  {label_a:<{width}}  {counts(side_a)}")
    print(f"  {label_b:<{width}}  {counts(side_b)}")

    problems = []
    for label, side in ((label_a, side_a), (label_b, side_b)):
        if not side:
            problems.append(f"no test ran on {label}")
    differences, flaky = compare(side_a, side_b, rerun_a, rerun_b)

    if flaky:
        print(
            f"\n  Flaky: different in the first run, same when re-run ({len(flaky)}):"
        )
        for test_id, (first_a, first_b), outcome in flaky:
            print(
                f"  - {test_id}: first run {label_a}: {first_a}, {label_b}: {first_b};"
                f" re-run: {outcome} on both"
            )
    if differences:
        rerun = " (after a re-run)" if args.rerun else ""
        problems.append(f"{len(differences)} tests differ{rerun}")
        print(f"\n  Tests whose outcome differs{rerun} ({len(differences)}):")
        for test_id, outcome_a, message_a, outcome_b, message_b in differences:
            print(f"  - {test_id}: {label_a}: {outcome_a}, {label_b}: {outcome_b}")
            for label, outcome, message in (
                (label_a, outcome_a, message_a),
                (label_b, outcome_b, message_b),
            ):
                if outcome in ("failed", "error", "skipped") and first_line(message):
                    print(f"      {label}: {first_line(message)}")
    if args.write_differing:
        with open(args.write_differing, "w", encoding="utf-8") as f:
            for test_id, *outcomes in differences:
                if "not run" not in (outcomes[0], outcomes[2]):
                    f.write(nodeid(args.tests_dir, test_id) + "\n")

    print_common_failures(side_a, side_b)

    if problems:
        print(f"\n  FAILED: {'; '.join(problems)}")
        return 1
    print(f"\n  Same outcome for all {len(side_a)} tests on both sides.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
