"""Known vulnerabilities in our pinned and installed packages, checked offline.

    python .ci/audit.py check [REQUIREMENTS ...] [--no-installed]
    python .ci/audit.py refresh

`check` reads the pins (`name==version`, following `-r` includes) of
requirements.txt and requirements-dev.txt, and, unless --no-installed, every
distribution installed in the running interpreter's environment (the
transitive ones too), and compares them with the advisory snapshot committed
beside this script (.ci/advisories.json, OSV-shaped records copied from the
PyPA advisory database). It exits 1 naming each affected package, advisory and
fixed version; nothing is fetched, so `make test` gives the same answer on any
machine and offline.

`refresh` (when online, `make audit-refresh`) asks PyPI's JSON API for each
pinned package at its pinned version (the source pip-audit uses), one request
per pin, and adds what it reports to the snapshot; entries already there are
kept. Transitive packages are checked against the snapshot's ranges; add their
records by hand from the advisory database when one matters.
"""
import json
import re
import sys
import urllib.error
import urllib.request
from datetime import date
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SNAPSHOT = HERE / "advisories.json"
DEFAULT_REQUIREMENTS = (ROOT / "requirements.txt", ROOT / "requirements-dev.txt")
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def pins(path, seen=None):
    """{name: version} of the `name==version` lines of a requirements file and its -r files."""
    seen = set() if seen is None else seen
    path = Path(path).resolve()
    if path in seen:
        return {}
    seen.add(path)
    found = {}
    for line in path.read_text().splitlines():
        include = re.match(r"^\s*-r\s+(\S+)", line)
        if include:
            found.update(pins(path.parent / include.group(1), seen))
            continue
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def installed():
    return {canonicalize_name(dist.metadata["Name"]): dist.version
            for dist in metadata.distributions() if dist.metadata["Name"]}


def affected(advisory, version):
    """True when `version` is inside the advisory's listed versions or ranges."""
    if version in advisory.get("versions", ()):
        return True
    try:
        current = Version(version)
    except InvalidVersion:
        return False
    for span in advisory.get("ranges", ()):
        low = Version(span.get("introduced", "0"))
        if current < low:
            continue
        if "fixed" in span and current < Version(span["fixed"]):
            return True
        if "last_affected" in span and current <= Version(span["last_affected"]):
            return True
        if "fixed" not in span and "last_affected" not in span:
            return True
    return False


def findings(packages, snapshot):
    found = []
    for advisory in snapshot["advisories"]:
        name = canonicalize_name(advisory["package"])
        if name in packages and affected(advisory, packages[name]):
            found.append((name, packages[name], advisory))
    return found


def check(args):
    use_installed = "--no-installed" not in args
    files = [a for a in args if not a.startswith("--")] or DEFAULT_REQUIREMENTS
    packages = {}
    if use_installed:
        packages.update(installed())
    for path in files:
        packages.update(pins(path))  # a pin decides over what happens to be installed
    snapshot = json.loads(SNAPSHOT.read_text())
    found = findings(packages, snapshot)
    for name, version, advisory in found:
        fixed = sorted({s["fixed"] for s in advisory.get("ranges", ()) if "fixed" in s}
                       | set(advisory.get("fixed_in", ())))
        print(f"VULNERABLE {name}=={version}: {advisory['id']} "
              f"({', '.join(advisory.get('aliases', ()))}) {advisory.get('summary', '')}; "
              f"fixed in {', '.join(fixed) or 'no release yet'}")
    print(f"audit: {len(packages)} packages checked against {len(snapshot['advisories'])} "
          f"advisories (snapshot of {snapshot['refreshed']}): {len(found)} known vulnerable")
    return 1 if found else 0


def refresh(args):
    packages = {}
    for path in DEFAULT_REQUIREMENTS:
        packages.update(pins(path))
    snapshot = json.loads(SNAPSHOT.read_text())
    known = {(canonicalize_name(a["package"]), a["id"]) for a in snapshot["advisories"]}
    added, failed = 0, []
    for name, version in sorted(packages.items()):
        url = f"https://pypi.org/pypi/{name}/{version}/json"
        try:
            with urllib.request.urlopen(url, timeout=20) as answer:
                vulns = json.load(answer).get("vulnerabilities") or []
        except (urllib.error.URLError, TimeoutError, ValueError) as err:
            failed.append(f"{name}=={version}: {err}")
            continue
        for vuln in vulns:
            if vuln.get("withdrawn") or (name, vuln["id"]) in known:
                continue
            snapshot["advisories"].append({
                "id": vuln["id"], "aliases": vuln.get("aliases") or [], "package": name,
                "summary": (vuln.get("summary") or vuln.get("details") or "")[:200],
                "versions": [version], "fixed_in": vuln.get("fixed_in") or []})
            known.add((name, vuln["id"]))
            added += 1
    if failed:
        print("audit-refresh: could not read", *failed, sep="\n  ")
    if len(failed) == len(packages):
        print("audit-refresh: nothing could be read; the snapshot is unchanged")
        return 1
    snapshot["refreshed"] = date.today().isoformat()
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n")
    print(f"audit-refresh: {added} new advisories; run `make audit` to see what they mean")
    return 0


if __name__ == "__main__":
    command, rest = (sys.argv[1:2] or ["check"])[0], sys.argv[2:]
    sys.exit({"check": check, "refresh": refresh}[command](rest))
