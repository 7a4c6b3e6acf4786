"""lint: advice on articles that publish fine but could serve readers better (`feeds check`).

Pure, like prepare: articles, configuration and "now" in, warnings out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from feeds.config import SiteConfig
from feeds.dates import DateError, parse_date
from feeds.errors import Problem
from feeds.model import Article

LONG_TITLE = 110
"""Characters; readers and phones cut titles well before this."""


def lint(articles: Sequence[Article], config: SiteConfig, now: datetime) -> list[Problem]:
    problems: list[Problem] = []
    for article in articles:
        if article.draft:
            continue

        def warn(message: str, article: Article = article) -> None:
            problems.append(Problem(article.source, message, article.line, severity="warning"))

        if len(article.title) > LONG_TITLE:
            warn(f"the title is {len(article.title)} characters long; readers cut near {LONG_TITLE // 2}")
        if not article.summary and not article.standfirst:
            warn("no summary: readers see the opening paragraphs instead")
        if not article.image:
            warn("no image: readers that show one per entry show none")
        if article.date is not None:
            try:
                dated = parse_date(article.date, config.zone)
            except DateError:
                continue  # prepare reports it as an error
            if dated > now:
                warn(f"dated {dated.isoformat()}: not published until then")
    return problems
