"""The offline dependency audit (.ci/audit.py, `make audit`, part of `make test`)."""
import json
import subprocess
import sys

from tests.support.services import ROOT

AUDIT = ROOT / ".ci" / "audit.py"


def _audit(*args):
    return subprocess.run([sys.executable, str(AUDIT), *args],
                          capture_output=True, text=True, timeout=60)


def test_our_pins_have_no_known_vulnerability():
    done = _audit("check")
    assert done.returncode == 0, done.stdout
    assert "0 known vulnerable" in done.stdout


def test_the_snapshot_is_the_advisory_database_not_typed_by_hand():
    snapshot = json.loads((ROOT / ".ci" / "advisories.json").read_text())
    assert "pypa/advisory-database" in snapshot["source"]
    ids = {a["id"] for a in snapshot["advisories"]}
    assert all(i.startswith("PYSEC-") for i in ids)
    assert {"PYSEC-2023-74", "PYSEC-2023-221", "PYSEC-2023-62"} <= ids


def test_a_known_vulnerable_pin_fails_the_audit(tmp_path):
    extra = tmp_path / "requirements-extra.txt"
    extra.write_text(f"-r {ROOT / 'requirements.txt'}\nrequests==2.30.0\nWerkzeug==3.0.0\n")
    done = _audit("check", str(extra), "--no-installed")
    assert done.returncode == 1
    assert "VULNERABLE requests==2.30.0: PYSEC-2023-74 (CVE-2023-32681, GHSA-j8r2-6x86-q33q)" \
        in done.stdout
    assert "VULNERABLE werkzeug==3.0.0: PYSEC-2023-221" in done.stdout
    assert "fixed in 2.3.8, 3.0.1" in done.stdout
    # A pin past the fix passes: ranges, not names, decide.
    extra.write_text("requests==2.32.3\nwerkzeug==3.0.6\nflask==3.0.3\njinja2==3.1.4\n")
    assert _audit("check", str(extra), "--no-installed").returncode == 0
    # Two affected spans in one record (introduced 0 fixed 2.2.5, introduced 2.3.0 fixed 2.3.2).
    for version, hit in (("2.2.4", True), ("2.2.5", False), ("2.3.1", True), ("2.3.2", False)):
        extra.write_text(f"flask=={version}\n")
        assert ("PYSEC-2023-62" in _audit("check", str(extra), "--no-installed").stdout) is hit


RECORD = """\
id: PYSEC-2099-1
details: Requests leaks everything. Longer text follows.
aliases:
- GHSA-xxxx-yyyy-zzzz
affected:
- package:
    name: requests
    ecosystem: PyPI
  ranges:
  - type: GIT
    events:
    - introduced: "0"
    - fixed: abcdef
  - type: ECOSYSTEM
    events:
    - introduced: "0"
    - last_affected: "{last}"
"""


def test_refresh_from_a_copy_of_the_database_rebuilds_the_snapshot(tmp_path):
    database = tmp_path / "advisory-database"
    (database / "vulns" / "requests").mkdir(parents=True)
    (database / "vulns" / "nobody-uses-this").mkdir()
    pinned = next(line.split("==")[1] for line in (ROOT / "requirements.txt").read_text()
                  .splitlines() if line.startswith("requests=="))
    (database / "vulns" / "requests" / "PYSEC-2099-1.yaml").write_text(RECORD.format(last=pinned))
    (database / "vulns" / "nobody-uses-this" / "PYSEC-2099-2.yaml").write_text(
        RECORD.replace("PYSEC-2099-1", "PYSEC-2099-2").replace("name: requests",
                                                                "name: nobody-uses-this"))
    (database / "vulns" / "requests" / "PYSEC-2099-3.yaml").write_text(
        RECORD.replace("PYSEC-2099-1", "PYSEC-2099-3").format(last=pinned)
        + "withdrawn: '2099-01-02T00:00:00Z'\n")
    snapshot = tmp_path / "advisories.json"
    done = _audit("refresh", "--from", str(database), "--snapshot", str(snapshot))
    assert done.returncode == 0, done.stdout + done.stderr
    written = json.loads(snapshot.read_text())
    assert [a["id"] for a in written["advisories"]] == ["PYSEC-2099-1"]
    assert written["advisories"][0]["ranges"] == [[{"introduced": "0"},
                                                   {"last_affected": pinned}]]
    done = _audit("check", "--no-installed", "--snapshot", str(snapshot))
    assert done.returncode == 1
    assert f"VULNERABLE requests=={pinned}: PYSEC-2099-1 (GHSA-xxxx-yyyy-zzzz)" in done.stdout
    # An empty copy leaves the snapshot as it was.
    empty = tmp_path / "empty"
    (empty / "vulns").mkdir(parents=True)
    assert _audit("refresh", "--from", str(empty), "--snapshot", str(snapshot)).returncode == 1
    assert json.loads(snapshot.read_text()) == written
