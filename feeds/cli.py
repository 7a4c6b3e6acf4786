"""The `feeds` command: a thin shell over the library. Parse arguments, call, report.

Exit status: 0 success; 1 the build failed (or, under --strict, an article was
rejected); 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from feeds import __version__
from feeds.build import BuildOutcome, run_build
from feeds.config import SiteConfig, config_from_mapping, load_config
from feeds.console import Reporter
from feeds.dates import DateError, parse_date
from feeds.errors import BuildError, ConfigError, FeedsError
from feeds.heap import one_heap

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    # A build makes hundreds of thousands of small objects that live to its end (one scan
    # result, draft and entry per article) and almost no cycles: the collector's default
    # thresholds would traverse them again and again. Collect seldom; what is loaded now lives on.
    gc.set_threshold(100_000, 50, 100)
    gc.freeze()
    one_heap()
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except ConfigError as exc:
        for message in exc.messages:
            _error(f"{exc.path}: {message}")
        return EXIT_USAGE
    except BuildError as exc:
        _error(f"build failed: {exc}")
        return EXIT_FAILED
    except FeedsError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _error("interrupted; the previous feeds are untouched")
        return 130
    except Exception as exc:  # a bug of ours: say so in one line, details with --verbose
        if getattr(args, "verbose", False):
            traceback.print_exc()
        _error(
            f"internal error ({type(exc).__name__}: {exc}); please report it (run with --verbose for details)"
        )
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feeds",
        description="Publish a folder of articles as RSS 2.0, Atom 1.0 and JSON Feed 1.1.",
    )
    parser.add_argument("--version", action="version", version=f"feeds {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")

    build = commands.add_parser("build", help="build the feeds and write them to the output folder")
    _site_options(build, verbose="also list every file written")
    build.add_argument(
        "--strict", action="store_true", help="write nothing and exit 1 if any article is rejected"
    )
    build.add_argument(
        "--ping", action="store_true", help="tell the WebSub hub (feeds.toml 'hub') which feeds changed"
    )
    build.add_argument(
        "--watch",
        action="store_true",
        help="after building, rebuild on every change of the articles until Ctrl-C (no --now, no --ping)",
    )
    build.add_argument(
        "--changed",
        action="append",
        type=Path,
        metavar="PATH",
        help="an article file (or sidecar) added, edited or removed since the last build, for a rebuild"
        " that walks no other file (repeat for several; a CMS hook knows what it wrote)",
    )
    build.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        metavar="N",
        help="processes that read, render and walk the folders (default: one per CPU for much work; 1: none)",
    )
    build.set_defaults(run=_build)

    check = commands.add_parser("check", help="read and check everything, write nothing")
    _site_options(check, verbose="show the details of an internal error")
    check.add_argument("--strict", action="store_true", help="exit 1 if any article is rejected")
    check.set_defaults(run=_check)

    init = commands.add_parser("init", help="start a new site in a folder")
    init.add_argument("folder", nargs="?", type=Path, default=Path(), help="where (default: here)")
    init.add_argument("--title", default="My News", help="the site's name (default: %(default)s)")
    init.add_argument(
        "--base-url", default="https://example.org/", help="where it will be served (default: %(default)s)"
    )
    init.add_argument("--timezone", default="UTC", help="IANA zone of undated times (default: %(default)s)")
    init.set_defaults(run=_init)

    new = commands.add_parser("new", help="start an article")
    new.add_argument("title", help="the article's title")
    new.add_argument("--format", choices=["md", "txt", "json"], default="md", help="(default: %(default)s)")
    new.add_argument(
        "--draft",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="mark it a draft, not published until you say (default: yes)",
    )
    new.add_argument(
        "--config", type=Path, default=Path("feeds.toml"), help="site configuration (default: %(default)s)"
    )
    new.set_defaults(run=_new)

    preview = commands.add_parser(
        "serve", help="preview the output folder over HTTP, as a static host would serve it"
    )
    preview.add_argument(
        "--config", type=Path, default=Path("feeds.toml"), help="site configuration (default: %(default)s)"
    )
    preview.add_argument("--output", type=Path, help="folder to serve (default: the config's, else ./public)")
    preview.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    preview.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    preview.add_argument("-q", "--quiet", action="store_true", help="do not log requests")
    preview.set_defaults(run=_serve)
    return parser


def _site_options(command: argparse.ArgumentParser, *, verbose: str) -> None:
    command.add_argument(
        "--config",
        type=Path,
        default=Path("feeds.toml"),
        help="site configuration (default: %(default)s)",
    )
    command.add_argument(
        "--articles", type=Path, help="folder of articles (default: the config's, else ./articles)"
    )
    command.add_argument("--output", type=Path, help="output folder (default: the config's, else ./public)")
    command.add_argument(
        "--now",
        metavar="DATE",
        help="publish as if it were DATE (drafts stay drafts; embargoes end by DATE); default: the clock",
    )
    volume = command.add_mutually_exclusive_group()
    volume.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    volume.add_argument("-v", "--verbose", action="store_true", help=verbose)


def _jobs(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not '{text}'")
    return number


def _load(args: argparse.Namespace) -> tuple[SiteConfig, datetime]:
    config = load_config(args.config)
    if args.articles is not None:
        config = replace(config, articles=str(args.articles.resolve()))
    if args.output is not None:
        config = replace(config, output=str(args.output.resolve()))
    return config, _now(args.now)


def _now(given: str | None) -> datetime:
    """The build's one reading of the clock (or the --now the user gave instead)."""
    if given is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return parse_date(given, UTC)
    except DateError as exc:
        raise ConfigError("--now", str(exc)) from None


def _build(args: argparse.Namespace) -> int:
    if args.watch:
        return _watch(args)
    config, now = _load(args)
    started = time.perf_counter()
    with Reporter(quiet=args.quiet).progress() as progress:
        outcome = run_build(
            config,
            now,
            write=True,
            strict=args.strict,
            on_wait=lambda: _warn("another build of this site is running; waiting for it to finish"),
            progress=progress,
            workers=args.jobs,
            changed=args.changed,
        )
    status = _report(args, outcome, "built", time.perf_counter() - started)
    if args.ping and outcome.written is not None:
        _ping(args, config, outcome)
    return status


def _watch(args: argparse.Namespace) -> int:
    from feeds.watch import watch

    if args.now is not None or args.ping or args.changed:
        raise ConfigError(
            "--watch",
            "goes with neither --now (it reads the clock) nor --ping nor --changed (it finds the changes)",
        )
    config, _ = _load(args)
    failed = False

    reported = False

    def report(outcome: BuildOutcome, seconds: float) -> None:
        nonlocal failed, reported
        written = outcome.written
        if not reported or written is None or written.changed or written.removed:
            failed = _report(args, outcome, "built", seconds) != EXIT_OK
            reported = True
        sys.stdout.flush()

    def ready() -> None:
        if not args.quiet:
            print(f"watching {config.articles_dir} (Ctrl-C to stop)", flush=True)

    try:
        watch(
            config, lambda: _now(None), report, ready, strict=args.strict, workers=args.jobs, on_wait=_waiting
        )
    except KeyboardInterrupt:
        if not args.quiet:
            print("stopped watching")
    return EXIT_FAILED if failed else EXIT_OK


def _waiting() -> None:
    _warn("another build of this site is running; waiting for it to finish")


def _ping(args: argparse.Namespace, config: SiteConfig, outcome: BuildOutcome) -> None:
    """Announce the changed head feeds to the hub. A failed ping never fails the build."""
    if config.hub is None:
        _warn("--ping: feeds.toml names no 'hub'; nothing was sent")
        return
    from feeds.websub import ping

    results = ping(config.hub, outcome.changed_feed_urls())
    for result in results:
        if not result.ok:
            _warn(f"ping {result.url}: {result.message}")
        elif args.verbose:
            print(f"  pinged {result.url}: {result.message}")
    if not args.quiet:
        accepted = sum(result.ok for result in results)
        print(f"ping: {accepted} of {len(results)} changed feeds announced to {config.hub}")


def _check(args: argparse.Namespace) -> int:
    config, now = _load(args)
    started = time.perf_counter()
    with Reporter(quiet=args.quiet).progress() as progress:
        outcome = run_build(config, now, write=False, progress=progress)
    return _report(args, outcome, "checked", time.perf_counter() - started)


def _init(args: argparse.Namespace) -> int:
    from feeds.scaffold import NewSite, create, site_files

    checked = config_from_mapping(
        {"title": args.title, "base_url": args.base_url, "timezone": args.timezone}, "feeds init", args.folder
    )
    now = datetime.now(checked.zone)
    site = NewSite(checked.title, checked.base_url, checked.timezone, now)
    created = create(args.folder, site_files(site))
    for path in created:
        print(f"created {path}")
    where = "" if args.folder == Path() else f"cd {args.folder} && "
    print(f"next: {where}feeds build   (then: feeds serve, and open http://127.0.0.1:8000/)")
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from feeds.scaffold import new_article

    config = load_config(args.config)
    now = datetime.now(config.zone)
    for path in new_article(config.articles_dir, args.title, args.format, now, draft=args.draft):
        print(path)
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from feeds.serve import serve

    if args.output is not None:
        root = args.output
    elif args.config.exists():
        root = load_config(args.config).output_dir
    else:
        root = Path("public")
    serve(root, args.host, args.port, log=not args.quiet)
    return EXIT_OK


def _report(args: argparse.Namespace, outcome: BuildOutcome, verb: str, seconds: float) -> int:
    result = outcome.result
    Reporter().problems(result.problems)
    failed = bool(args.strict and result.rejected)
    if not args.quiet:
        line = (
            f"{verb}: {_count(result.articles, 'article')} read, {len(result.entries)} published, "
            f"{result.held} held back, {result.rejected} rejected"
        )
        if outcome.written is not None:
            written = outcome.written
            line += f"; {_count(len(written.changed), 'file')} written, {len(written.unchanged)} unchanged"
            if written.removed:
                line += f", {len(written.removed)} removed"
        print(f"{line} ({seconds:.2f} s)")
        if args.verbose and outcome.written is not None:
            for path in outcome.written.changed:
                print(f"  wrote {path}")
    if failed:
        _error(f"--strict: {_count(result.rejected, 'article')} rejected; nothing was written")
    return EXIT_FAILED if failed else EXIT_OK


def _count(number: int, noun: str) -> str:
    """'1 article', '2 articles'."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _warn(message: str) -> None:
    Reporter().warn(message)


def _error(message: str) -> None:
    Reporter().error(message)
