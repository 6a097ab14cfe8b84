"""The offline dependency audit (.ci/audit.py, `make audit`, part of `make test`)."""
import subprocess
import sys

from tests.support.services import ROOT


def _audit(*args):
    return subprocess.run([sys.executable, str(ROOT / ".ci" / "audit.py"), "check", *args],
                          capture_output=True, text=True, timeout=60)


def test_our_pins_have_no_known_vulnerability():
    done = _audit()
    assert done.returncode == 0, done.stdout
    assert "0 known vulnerable" in done.stdout


def test_a_known_vulnerable_pin_fails_the_audit(tmp_path):
    extra = tmp_path / "requirements-extra.txt"
    extra.write_text(f"-r {ROOT / 'requirements.txt'}\nrequests==2.30.0\nWerkzeug==3.0.0\n")
    done = _audit(str(extra), "--no-installed")
    assert done.returncode == 1
    assert "VULNERABLE requests==2.30.0: GHSA-j8r2-6x86-q33q" in done.stdout
    assert "VULNERABLE werkzeug==3.0.0: GHSA-hrfv-mqp8-q5rw" in done.stdout
    # A pin past the fix passes: ranges, not names, decide.
    extra.write_text("requests==2.32.4\nwerkzeug==3.0.6\nflask==3.0.3\njinja2==3.1.6\n")
    assert _audit(str(extra), "--no-installed").returncode == 0
    extra.write_text("flask==3.1.0\n")  # the one affected release of that advisory
    assert "GHSA-4grg-w6v8-c28g" in _audit(str(extra), "--no-installed").stdout
