"""Counts passed, failed and skipped tests from GoogleTest's and pytest's XML reports.

  summarize_tests.py LEG BUILD_DIR        one line per report of that build, with skipped names
  summarize_tests.py --total BUILD_DIR... 'N passed, N failed, N skipped' over all of them
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET


def count(path):
    passed, failed, skipped = 0, [], []
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}.{case.get('name', '')}"
        if case.find("skipped") is not None or case.get("result") == "skipped":
            message = case.find("skipped")
            reason = message.get("message", "") if message is not None else ""
            reason = reason.strip().splitlines()[-1] if reason.strip() else ""  # drop gtest's file:line
            skipped.append(f"{name}: {reason}".strip())
        elif case.find("failure") is not None or case.find("error") is not None:
            problem = case.find("failure")
            problem = problem if problem is not None else case.find("error")
            text = (problem.get("message") or problem.text or "").strip()
            failed.append(f"{name}: {text[:600]}")
        else:
            passed += 1
    return passed, failed, skipped


def reports(build):
    return sorted(glob.glob(os.path.join(build, "test-results", "*.xml")))


def libtorch_version(build):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            torch_dir = re.search(r"^Torch_DIR:PATH=(.*)$", f.read(), re.M).group(1)
        with open(os.path.join(torch_dir, "TorchConfigVersion.cmake")) as f:
            return re.search(r'PACKAGE_VERSION "([^"]+)"', f.read()).group(1)
    except (OSError, AttributeError):
        return "?"


if sys.argv[1] == "--total":
    totals = [0, 0, 0]
    for build in sys.argv[2:]:
        for path in reports(build):
            p, f, s = count(path)
            totals = [totals[0] + p, totals[1] + len(f), totals[2] + len(s)]
    print(f"{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped")
else:
    leg, build = sys.argv[1], sys.argv[2]
    lines = []
    for path in reports(build):
        p, f, s = count(path)
        suite = os.path.splitext(os.path.basename(path))[0]
        lines.append(f"{leg} (LibTorch {libtorch_version(build)}) {suite}: "
                     f"{p} passed, {len(f)} failed, {len(s)} skipped")
        # Failures in full (the CI log's tail is often all that is kept).
        for entry in f:
            lines.append("    FAILED " + entry.replace("\n", "\n      "))
        # Skipped tests grouped by reason: a few names each, and how many.
        by_reason = {}
        for entry in s:
            name, _, reason = entry.partition(": ")
            by_reason.setdefault(reason, []).append(name)
        for reason, names in by_reason.items():
            shown = ", ".join(names[:3]) + (f", ... ({len(names)} tests)" if len(names) > 3 else "")
            lines.append(f"    skipped ({reason or 'no reason given'}): {shown}")
    if not reports(build):
        lines.append(f"{leg}: no test reports in {build}/test-results")
    print("\n".join(lines))
