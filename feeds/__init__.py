"""feeds: publish a folder of articles as RSS 2.0, Atom 1.0 and JSON Feed 1.1.

The pipeline, one module per stage::

    read (feeds.read) -> prepare -> select -> render -> check -> write

A typical program::

    from datetime import UTC, datetime
    from pathlib import Path
    import feeds

    config = feeds.load_config(Path("feeds.toml"))
    outcome = feeds.run_build(config, now=datetime.now(UTC))
    for problem in outcome.result.problems:
        print(problem)
"""

from __future__ import annotations

__version__ = "0.1.0"

from feeds.build import BuildOutcome, BuildResult, build_site, run_build
from feeds.config import SiteConfig, load_config
from feeds.errors import ArticleError, BuildError, ConfigError, FeedsError, Problem
from feeds.model import Article, Author, Enclosure, Entry, Feed, FeedFiles, Origin
from feeds.read import read_articles
from feeds.registry import Registry, load_registry

__all__ = [
    "Article",
    "ArticleError",
    "Author",
    "BuildError",
    "BuildOutcome",
    "BuildResult",
    "ConfigError",
    "Enclosure",
    "Entry",
    "Feed",
    "FeedFiles",
    "FeedsError",
    "Origin",
    "Problem",
    "Registry",
    "SiteConfig",
    "__version__",
    "build_site",
    "load_config",
    "load_registry",
    "read_articles",
    "run_build",
]
