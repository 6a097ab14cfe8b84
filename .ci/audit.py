"""Known vulnerabilities in our pinned and installed packages, checked offline.

    python .ci/audit.py check [REQUIREMENTS ...] [--no-installed] [--snapshot FILE]
    python .ci/audit.py refresh --from DIR [--snapshot FILE]
    python .ci/audit.py refresh [--snapshot FILE]

`check` reads the pins (`name==version`, following `-r` includes) of
requirements.txt and requirements-dev.txt, and, unless --no-installed, every
distribution installed in the running interpreter's environment (the
transitive ones too), and compares them with the advisory snapshot committed
beside this script (.ci/advisories.json: the PyPA advisory database's records
of those packages, their ECOSYSTEM ranges and listed versions). It exits 1
naming each affected package, advisory and fixed version; nothing is fetched,
so `make test` gives the same answer on any machine and offline.

`refresh --from DIR` rebuilds the snapshot from a copy of the PyPA advisory
database (github.com/pypa/advisory-database): DIR is either a checkout (its
vulns/<package>/*.yaml files are read) or a bare git directory (read with
`git ls-tree`/`git show` at HEAD). Every package pinned in the requirements
files and every one installed here gets all of its records (withdrawn ones
left out); the snapshot is replaced, and its date is the database's last
commit date when DIR is a git repository (today's otherwise).

`refresh` without --from (when online, `make audit-refresh`) asks OSV
(api.osv.dev, which serves the same PyPA records) for each pinned and
installed package at its version, falling back to PyPI's JSON API (the source
pip-audit uses) for a package OSV does not answer for, and adds what they
report to the snapshot; entries already there (by id or alias) are kept.
"""
import json
import re
import subprocess
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
SOURCE = ("PyPA advisory database (github.com/pypa/advisory-database, CC-BY-4.0): the "
          "records of the packages pinned in requirements*.txt and installed in the venv, "
          "their ECOSYSTEM ranges (and listed versions where a record has no range)")


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


def _version(text):
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def affected(advisory, version):
    """True when `version` is inside the advisory's listed versions or ranges.

    A range is OSV's list of events, in order: `introduced` opens an affected
    span, `fixed` closes it before that version, `last_affected` after it.
    """
    if version in advisory.get("versions", ()):
        return True
    current = _version(version)
    if current is None:
        return False
    for events in advisory.get("ranges", ()):
        low = None
        for event in events:
            if "introduced" in event:
                low = _version(event["introduced"]) or Version("0")
            elif low is not None and ("fixed" in event or "last_affected" in event):
                end = _version(event.get("fixed", event.get("last_affected")))
                if end is not None and low <= current and (
                        current < end if "fixed" in event else current <= end):
                    return True
                low = None
        if low is not None and low <= current:  # introduced and never fixed
            return True
    return False


def fixed_versions(advisory):
    return sorted({e["fixed"] for events in advisory.get("ranges", ()) for e in events
                   if "fixed" in e} | set(advisory.get("fixed_in", ())), key=_sort_key)


def _sort_key(text):
    return (_version(text) or Version("0"), text)


def findings(packages, snapshot):
    found = []
    for advisory in snapshot["advisories"]:
        name = canonicalize_name(advisory["package"])
        if name in packages and affected(advisory, packages[name]):
            found.append((name, packages[name], advisory))
    return found


def _option(args, name):
    """(value of `name VALUE` in args or None, the args without it)."""
    if name not in args:
        return None, args
    at = args.index(name)
    if at + 1 >= len(args):
        sys.exit(f"audit: {name} needs a value")
    return args[at + 1], args[:at] + args[at + 2:]


def check(args):
    snapshot_path, args = _option(args, "--snapshot")
    snapshot_path = Path(snapshot_path) if snapshot_path else SNAPSHOT
    use_installed = "--no-installed" not in args
    files = [a for a in args if not a.startswith("--")] or DEFAULT_REQUIREMENTS
    packages = {}
    if use_installed:
        packages.update(installed())
    for path in files:
        packages.update(pins(path))  # a pin decides over what happens to be installed
    snapshot = json.loads(snapshot_path.read_text())
    found = findings(packages, snapshot)
    for name, version, advisory in found:
        print(f"VULNERABLE {name}=={version}: {advisory['id']} "
              f"({', '.join(advisory.get('aliases', ()))}) {advisory.get('summary', '')}; "
              f"fixed in {', '.join(fixed_versions(advisory)) or 'no release yet'}")
    print(f"audit: {len(packages)} packages checked against {len(snapshot['advisories'])} "
          f"advisories (snapshot of {snapshot['refreshed']}): {len(found)} known vulnerable")
    return 1 if found else 0


def _summary(record):
    text = (record.get("summary") or record.get("details") or "").strip()
    first = re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0]
    return first[:160]


def from_record(record, wanted):
    """The snapshot entries (one per affected package we use) of one OSV record."""
    if record.get("withdrawn"):
        return []
    entries = []
    for item in record.get("affected") or ():
        package = item.get("package") or {}
        name = canonicalize_name(package.get("name", ""))
        if package.get("ecosystem") != "PyPI" or name not in wanted:
            continue
        ranges = [[{k: str(v) for k, v in event.items()} for event in span.get("events") or ()]
                  for span in item.get("ranges") or () if span.get("type") == "ECOSYSTEM"]
        entry = {"id": record["id"], "aliases": sorted(record.get("aliases") or []),
                 "package": name, "summary": _summary(record)}
        if ranges:
            entry["ranges"] = ranges
        else:
            entry["versions"] = [str(v) for v in item.get("versions") or ()]
        entries.append(entry)
    return entries


def _git(git_dir, *args):
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True,
                          capture_output=True, text=True).stdout


def database_records(source, wanted):
    """(records of the packages in `wanted`, the database's date) from a checkout or git dir."""
    import yaml  # only the refresh reads YAML; `check` needs nothing past packaging

    source = Path(source)
    if (source / "vulns").is_dir():
        files = [p for name in wanted for p in sorted((source / "vulns").glob("*/*.yaml"))
                 if canonicalize_name(p.parent.name) == name]
        records = [yaml.safe_load(p.read_text()) for p in files]
        when = None
        if (source / ".git").exists():
            when = _git(source / ".git", "log", "-1", "--format=%cs").strip()
        return records, when or date.today().isoformat()
    git_dir = source / ".git" if (source / ".git").exists() else source
    listing = _git(git_dir, "ls-tree", "-r", "--name-only", "HEAD", "vulns/").splitlines()
    paths = [p for p in listing if p.endswith(".yaml")
             and canonicalize_name(p.split("/")[1]) in wanted]
    records = [yaml.safe_load(_git(git_dir, "show", f"HEAD:{p}")) for p in paths]
    return records, _git(git_dir, "log", "-1", "--format=%cs", "HEAD").strip()


def _packages():
    packages = installed()
    for path in DEFAULT_REQUIREMENTS:
        packages.update(pins(path))
    return packages


def refresh_from(source, snapshot_path):
    packages = _packages()
    try:
        records, when = database_records(source, set(packages))
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"audit-refresh: cannot read the advisory database at {source}: {err}")
        return 1
    if not records:
        print(f"audit-refresh: no advisory records under {source}/vulns; the snapshot is unchanged")
        return 1
    advisories = sorted((e for r in records for e in from_record(r, packages)),
                        key=lambda e: (e["package"], e["id"]))
    snapshot = {"source": SOURCE, "refreshed": when, "advisories": advisories}
    _write(snapshot_path, snapshot)
    print(f"audit-refresh: {len(advisories)} advisories of {len({a['package'] for a in advisories})} "
          f"of our {len(packages)} packages, database of {when}")
    return 0


def _write(path, snapshot):
    lines = ",\n".join("  " + json.dumps(a, ensure_ascii=False) for a in snapshot["advisories"])
    head = {k: v for k, v in snapshot.items() if k != "advisories"}
    text = json.dumps(head, indent=1, ensure_ascii=False)[:-2]
    path.write_text(f'{text},\n "advisories": [\n{lines}\n ]\n}}\n')


def _post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def _get(url):
    with urllib.request.urlopen(url, timeout=20) as answer:
        return json.load(answer)


def refresh_online(snapshot_path):
    packages = sorted(_packages().items())
    snapshot = json.loads(snapshot_path.read_text())
    known = {(canonicalize_name(a["package"]), i) for a in snapshot["advisories"]
             for i in [a["id"], *a.get("aliases", ())]}
    added, failed, answered = 0, [], 0

    def add(entry):
        nonlocal added
        keys = {(entry["package"], i) for i in [entry["id"], *entry["aliases"]]}
        if keys & known:
            return
        snapshot["advisories"].append(entry)
        known.update(keys)
        added += 1

    for start in range(0, len(packages), 100):
        chunk = packages[start:start + 100]
        try:
            batch = _post("https://api.osv.dev/v1/querybatch", {"queries": [
                {"package": {"name": n, "ecosystem": "PyPI"}, "version": v} for n, v in chunk]})
            results = batch["results"]
        except (urllib.error.URLError, TimeoutError, ValueError, KeyError) as err:
            results = [None] * len(chunk)
            print(f"audit-refresh: OSV did not answer ({err}); asking PyPI")
        for (name, version), result in zip(chunk, results):
            if result is not None:
                answered += 1
                for vuln in result.get("vulns") or ():
                    if any((name, i) in known for i in [vuln["id"], *vuln.get("aliases", ())]):
                        continue
                    try:
                        for entry in from_record(_get(f"https://api.osv.dev/v1/vulns/{vuln['id']}"),
                                                 {name}):
                            add(entry)
                    except (urllib.error.URLError, TimeoutError, ValueError) as err:
                        failed.append(f"{name} {vuln['id']}: {err}")
                continue
            try:
                vulns = _get(f"https://pypi.org/pypi/{name}/{version}/json").get("vulnerabilities")
                answered += 1
            except (urllib.error.URLError, TimeoutError, ValueError) as err:
                failed.append(f"{name}=={version}: {err}")
                continue
            for vuln in vulns or ():
                if not vuln.get("withdrawn"):
                    add({"id": vuln["id"], "aliases": sorted(vuln.get("aliases") or []),
                         "package": name, "summary": _summary(vuln), "versions": [version],
                         "fixed_in": vuln.get("fixed_in") or []})
    if failed:
        print("audit-refresh: could not read", *failed, sep="\n  ")
    if not answered:
        print("audit-refresh: nothing could be read; the snapshot is unchanged")
        return 1
    snapshot["advisories"].sort(key=lambda e: (e["package"], e["id"]))
    snapshot["refreshed"] = date.today().isoformat()
    _write(snapshot_path, snapshot)
    print(f"audit-refresh: {added} new advisories; run `make audit` to see what they mean")
    return 0


def refresh(args):
    snapshot_path, args = _option(args, "--snapshot")
    source, args = _option(args, "--from")
    snapshot_path = Path(snapshot_path) if snapshot_path else SNAPSHOT
    return refresh_from(source, snapshot_path) if source else refresh_online(snapshot_path)


if __name__ == "__main__":
    command, rest = (sys.argv[1:2] or ["check"])[0], sys.argv[2:]
    if command not in ("check", "refresh"):
        sys.exit(__doc__)
    sys.exit({"check": check, "refresh": refresh}[command](rest))
