"""Kill `feeds build` with SIGKILL at many moments, and check what each kill leaves behind.

    python scripts/killtest.py [--kills 500] [--articles 3000] [--workers 2] [--phase build]

A site is built once with four articles in five (the "old" feeds), then the fifth
articles are added and `feeds build` is started on it and killed after a delay; the
delays are spread evenly over the duration of one uninterrupted build. A build spends
most of its time reading and rendering, so `--phase writing` spreads them over the
writing phase instead (from the registry's replacement, its first write, on), and
`--phase renaming` over the few milliseconds in which the staged files are renamed into
place (from the first one's rename on). After each kill:

- every file under public/ is the old version or the new one, byte for byte (so it
  parses completely), never a truncation and never anything else; a file only the new
  build writes may be missing;
- temporary files (`.NAME.*.tmp`, dotfiles) may remain: they are counted;
- the registry is valid JSON, old or new;
- the next build exits 0 (within a time limit: a killed build's lock must not hang it)
  and gives exactly the bytes of a build that was never interrupted.

The test suite (tests/test_crash_safety.py) runs the same loop with fewer kills.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

NOW = "2026-11-25T12:00:00Z"
REGISTRY = "feeds.registry.json"
MANIFEST = "public/.feeds-manifest.json"
PHASES = {
    "build": "the whole build, from its start",
    "writing": "the writing phase, from the registry's replacement (the build's first write) on",
    "renaming": "the renames of the staged feed files, from the first one's on",
}
CONFIG = """\
title = "Kill test"
base_url = "https://example.org/"
timezone = "Europe/Kyiv"
topics = []
feed_limit = 10
archive_page_size = 10
"""
"""Small pages, so that a build writes many files (about 3 per 10 articles)."""
BUILD_TIMEOUT = 120.0


def write_site(site: Path, articles: int, *, old: bool = False) -> None:
    """The kill-test site: `articles` small dated articles (only four in five if `old`)."""
    (site / "articles").mkdir(parents=True, exist_ok=True)
    (site / "feeds.toml").write_text(CONFIG, encoding="utf-8")
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for number in range(articles):
        if old and number % 5 == 4:
            continue
        # An hour apart, so that the fifth articles fall between the others and shift every
        # archive page: the new build rewrites nearly every file.
        date = (start + timedelta(hours=number)).strftime("%Y-%m-%dT%H:%M:%SZ")
        (site / "articles" / f"a{number:05d}.md").write_text(
            f"---\ntitle: Article {number}\ndate: {date}\n---\n"
            f"Article {number} says something.\n\nA second paragraph.\n",
            encoding="utf-8",
        )


def build_command(site: Path) -> list[str]:
    return [sys.executable, "-m", "feeds", "build", "-q", "--config", str(site / "feeds.toml"), "--now", NOW]


def build(site: Path, timeout: float = BUILD_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(build_command(site), capture_output=True, text=True, timeout=timeout, check=False)


def is_temporary(path: Path) -> bool:
    """A staged file, or the mark a build leaves while staging: what a killed build leaves behind."""
    return (path.name.startswith(".") and path.name.endswith(".tmp")) or path.name == ".feeds-staging"


def snapshot(site: Path) -> dict[str, bytes]:
    """Every output file (public/ and the registry), temporary files left out, by path in the site."""
    files = {
        path.relative_to(site).as_posix(): path.read_bytes()
        for path in sorted((site / "public").rglob("*"))
        if path.is_file() and not is_temporary(path)
    }
    if (site / REGISTRY).exists():
        files[REGISTRY] = (site / REGISTRY).read_bytes()
    return files


def temporary_files(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if is_temporary(p))


def parses(name: str, data: bytes) -> bool:
    """Whether a file parses completely: XML with lxml, JSON with json (HTML is not checked)."""
    try:
        if name.endswith((".xml", ".opml")):
            etree.fromstring(data)
        elif name.endswith(".json"):
            json.loads(data)
    except (etree.XMLSyntaxError, ValueError):
        return False
    return True


@dataclass
class Plan:
    """The two states a killed build must leave the site in (or between), and how long a build takes."""

    old_site: Path
    old: dict[str, bytes]
    new: dict[str, bytes]
    articles: int
    spans: dict[str, float] = field(default_factory=dict)
    """How long each phase of an old-to-new build lasts, in seconds (see PHASES)."""

    @property
    def changed(self) -> int:
        return sum(1 for name, data in self.new.items() if self.old.get(name) != data)

    @property
    def renamed(self) -> list[str]:
        """The feed files the new build replaces, in the order it renames them (sorted)."""
        return sorted(
            name
            for name, data in self.new.items()
            if name.startswith("public/") and name != MANIFEST and self.old.get(name) != data
        )

    def start_of(self, phase: str) -> str | None:
        """The file whose replacement starts `phase` (None: the build's start)."""
        return {"build": None, "writing": REGISTRY, "renaming": self.renamed[0]}[phase]


def prepare(work: Path, articles: int, workers: int = 1) -> Plan:
    """Build the new feeds from scratch (the reference) and the old ones; time an old-to-new build.

    The build is timed `workers` at a time, as the kills will run, so that the kill points
    cover a build as long as the killed ones take.
    """
    reference, old_site = work / "reference", work / "old"
    write_site(reference, articles)
    write_site(old_site, articles, old=True)
    for site in (reference, old_site):
        done = build(site)
        if done.returncode != 0:
            raise RuntimeError(f"the build of {site} failed: {done.stderr}")
    new, old = snapshot(reference), snapshot(old_site)
    for name, data in [*new.items(), *old.items()]:
        if not parses(name, data):
            raise RuntimeError(f"{name} does not parse even without a kill")
    plan = Plan(old_site, old, new, articles)
    sites = worker_sites(work, workers)
    for site in sites:
        reset(site, old_site, articles)
    with ThreadPoolExecutor(workers) as pool:
        timings = list(pool.map(lambda site: _timed_build(plan, site), sites))
    for site in sites:
        if snapshot(site) != new:
            raise RuntimeError("an uninterrupted build from the old feeds does not give the reference bytes")
    plan.spans = {phase: sum(t[phase] for t in timings) / len(timings) for phase in PHASES}
    return plan


def _timed_build(plan: Plan, site: Path) -> dict[str, float]:
    """How long each phase of one build lasts (by watching the files it replaces)."""
    started = time.perf_counter()
    process = subprocess.Popen(build_command(site), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    registry = _wait_for_replacement(site, REGISTRY, process)
    first = _wait_for_replacement(site, plan.renamed[0], process)
    last = _wait_for_replacement(site, plan.renamed[-1], process)
    if process.wait() != 0:
        raise RuntimeError(f"the build of {site} failed: {process.stderr.read() if process.stderr else ''}")
    ended = time.perf_counter()
    return {
        "build": ended - started,
        "writing": ended - (registry or ended),
        "renaming": (last or ended) - (first or ended),
    }


def _wait_for_replacement(site: Path, name: str, process: subprocess.Popen[bytes]) -> float | None:
    """Poll until the build replaces `name` (a new inode); the moment, or None if the build ended first."""
    try:
        before: int | None = (site / name).stat().st_ino
    except FileNotFoundError:
        before = None
    while process.poll() is None:
        with contextlib.suppress(FileNotFoundError):
            if (site / name).stat().st_ino != before:
                return time.perf_counter()
        time.sleep(0.0002)
    return None


def worker_sites(work: Path, workers: int) -> list[Path]:
    return [work / f"worker-{number}" for number in range(workers)]


def reset(site: Path, old_site: Path, articles: int) -> None:
    """`site` as the old build left it (its public/ and registry), with every article present."""
    if not (site / "articles").exists():
        write_site(site, articles)
    shutil.rmtree(site / "public", ignore_errors=True)
    shutil.copytree(old_site / "public", site / "public", symlinks=True)
    shutil.copy2(old_site / REGISTRY, site / REGISTRY)
    for path in temporary_files(site):
        (site / path).unlink()


@dataclass
class Kill:
    """What one kill left behind."""

    delay: float
    finished_first: bool = False
    """The build had exited before the signal came."""
    old: int = 0
    """Files the new build changes, still in their old version."""
    new: int = 0
    """Files the new build changes, already in their new version."""
    same: int = 0
    """Files both builds write alike."""
    not_yet: int = 0
    """Files only the new build writes, not there yet."""
    registry: str = "old"
    manifest: str = "old"
    """The manifest is written last, after every feed."""
    temporaries: int = 0
    broken: list[str] = field(default_factory=list)
    """Files that are neither version, or missing, or do not parse: each one is a failure."""
    recovered: bool = False
    recovery: str = ""
    """What went wrong with the next build, if anything."""

    @property
    def moment(self) -> str:
        """Where in the build the kill landed, as far as the files show."""
        if self.finished_first:
            return "after the build had finished"
        if self.new == 0 and self.registry == "old":
            return "before anything was written" if not self.temporaries else "while staging (registry old)"
        if self.new == 0:
            return "after the registry, before any feed was replaced"
        if self.old or self.not_yet:
            return "while replacing feeds (some old, some new)"
        if self.manifest == "old":
            return "after every feed was replaced, before the manifest"
        return "after the manifest, the last write"

    @property
    def ok(self) -> bool:
        return not self.broken and self.recovered


def kill_once(plan: Plan, site: Path, delay: float, phase: str = "build") -> Kill:
    """Start a build, kill it `delay` seconds into `phase`, and inspect what it left."""
    reset(site, plan.old_site, plan.articles)
    kill = Kill(delay)
    process = subprocess.Popen(build_command(site), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if (start := plan.start_of(phase)) is not None:
        _wait_for_replacement(site, start, process)
    if delay:
        time.sleep(delay)
    kill.finished_first = process.poll() is not None
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGKILL)
    process.wait()
    inspect(plan, site, kill)
    done = build(site)
    if done.returncode != 0:
        kill.recovery = f"the next build exited {done.returncode}: {done.stderr.strip()}"
    elif (after := snapshot(site)) != plan.new:
        differ = sorted(name for name in set(after) | set(plan.new) if after.get(name) != plan.new.get(name))
        kill.recovery = (
            f"the next build's output differs from the reference in {len(differ)} files: {differ[:5]}"
        )
    else:
        kill.recovered = True
    return kill


def inspect(plan: Plan, site: Path, kill: Kill) -> None:
    found = snapshot(site)
    registry = found.pop(REGISTRY, None)
    if registry == plan.old[REGISTRY]:
        kill.registry = "old"
    elif registry == plan.new[REGISTRY]:
        kill.registry = "new"
    else:
        kill.registry = "broken"
        kill.broken.append(
            f"{REGISTRY}: neither version" + ("" if registry and parses(".json", registry) else ", not JSON")
        )
    manifest = found.pop(MANIFEST, None)
    kill.manifest = (
        "new" if manifest == plan.new[MANIFEST] else "old" if manifest == plan.old[MANIFEST] else "?"
    )
    if kill.manifest == "?":
        kill.broken.append(f"{MANIFEST}: neither version")
    for name in sorted(set(found) | set(plan.new) | set(plan.old)):
        if name in (REGISTRY, MANIFEST):
            continue
        data = found.get(name)
        if data is None:
            if name in plan.old:
                kill.broken.append(f"{name}: missing")
            else:
                kill.not_yet += 1
        elif data == plan.new.get(name) == plan.old.get(name):
            kill.same += 1
        elif data == plan.new.get(name):
            kill.new += 1
        elif data == plan.old.get(name):
            kill.old += 1
        else:
            complete = "parses" if parses(name, data) else "does not parse"
            kill.broken.append(f"{name}: neither version ({len(data)} bytes, {complete})")
    kill.temporaries = len(temporary_files(site))


BEYOND_THE_END = 1.2
"""How far past one timed build the kill moments of a whole build reach (`delays`)."""


def delays(plan: Plan, kills: int, phase: str = "build") -> list[float]:
    """`kills` moments spread evenly over one build's `phase`, the first at its start.

    Over a whole build, they reach a fifth beyond its timed end: the killed builds vary, and a
    run whose builds all took a little longer than the timed ones had no kill after the registry
    was written (2026-12-02). A kill after the end finds the build finished, which is harmless.
    """
    span = plan.spans[phase] * (BEYOND_THE_END if phase == "build" else 1.0)
    return [span * number / kills for number in range(kills)]


def run(plan: Plan, work: Path, kills: int, workers: int = 1, phase: str = "build") -> list[Kill]:
    """Kill a build at each moment of `phase`; `workers` sites are killed side by side."""
    sites = worker_sites(work, workers)
    moments = delays(plan, kills, phase)
    shares = [moments[number::workers] for number in range(workers)]

    def work_through(site: Path, share: list[float]) -> list[Kill]:
        return [kill_once(plan, site, delay, phase) for delay in share]

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(work_through, sites, shares))
    return sorted((kill for share in results for kill in share), key=lambda kill: kill.delay)


def summary(plan: Plan, kills: list[Kill], phase: str = "build") -> Iterator[str]:
    spans = plan.spans
    yield (
        f"{plan.articles} articles; an uninterrupted build took {spans['build']:.2f} s (writing "
        f"{spans['writing']:.3f} s, renaming {spans['renaming']:.4f} s) and changed {plan.changed} "
        f"of {len(plan.new)} output files"
    )
    yield f"{len(kills)} kill points over {PHASES[phase]}: {kills[0].delay:.4f} s to {kills[-1].delay:.4f} s"
    for moment, count in Counter(kill.moment for kill in kills).most_common():
        yield f"  {count:4d} {moment}"
    if torn := [kill for kill in kills if kill.old and kill.new]:
        most = max(torn, key=lambda kill: min(kill.old, kill.new))
        yield f"  (old and new files side by side: at most {most.old} old with {most.new} new)"
    left = [kill.temporaries for kill in kills]
    yield (
        f"temporary files left: {sum(1 for n in left if n)} kills left some, at most {max(left)}, "
        f"{sum(left)} in all"
    )
    broken = [kill for kill in kills if kill.broken]
    count = sum(len(kill.broken) for kill in broken)
    yield f"files neither old nor new, or missing: {count} in {len(broken)} kills"
    for kill in broken[:10]:
        yield f"  at {kill.delay:.3f} s: {'; '.join(kill.broken[:3])}"
    failed = [kill for kill in kills if not kill.recovered]
    yield f"next build failed or differed from the reference: {len(failed)} kills"
    for kill in failed[:10]:
        yield f"  at {kill.delay:.3f} s: {kill.recovery}"
    yield "OK" if not broken and not failed else "FAILED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=500, help="kill points to test (default: %(default)s)")
    parser.add_argument(
        "--articles", type=int, default=3000, help="articles in the site (default: %(default)s)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="builds killed side by side (default: %(default)s)"
    )
    parser.add_argument(
        "--phase",
        choices=sorted(PHASES),
        default="build",
        help="spread the kills over the whole build (default), its writing phase, or its renames",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="feeds-killtest-") as folder:
        work = Path(folder)
        plan = prepare(work, args.articles, args.workers)
        kills = run(plan, work, args.kills, args.workers, args.phase)
        for line in summary(plan, kills, args.phase):
            print(line)
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0 if all(kill.ok for kill in kills) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
