"""Bulk click data for the analytics benchmark, made in SQL, and rollups built from it in SQL.

Raw events come from `INSERT ... SELECT FROM generate_series`: agents, sources, referrers and
countries drawn with realistic weights, about 10% bots, a daily rhythm, and visitors drawn from a
daily pool so that people click several times and across links. Device, browser, OS and bot
reason of each agent are what the app itself says of it (`devices.describe_agent`,
`bots.bot_reason`), so the data looks like what the writer stores.

The rollups are the GROUP BY equivalent of `rollups.writes.count_events`; `check_rollups` proves
that on a sample stored through `click_store.store`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import accumulate

# (weight, user agent, reason the redirect would give, if any beyond the agent's own)
HUMAN_AGENTS = [
    (30, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
    (24, "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"),
    (5, "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36"),
    (18, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"),
    (7, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"),
    (5, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"),
    (4, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"),
    (3, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"),
    (2, "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
    (2, "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
]
BOT_AGENTS = [
    (25, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    (20, "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
    (15, "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
    (10, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"),
    (10, "curl/8.5.0"),
    (5, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36"),
    (5, "UptimeRobot/2.0 (http://www.uptimerobot.com/)"),
    (10, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 HEAD"),
]
SOURCES = [(45, None), (12, "twitter"), (10, "newsletter"), (8, "facebook"), (7, "linkedin"), (5, "reddit"), (5, "google"), (4, "instagram"), (2, "hn"), (2, "email")]
REFERRERS = [
    (40, None), (15, "google.com"), (12, "t.co"), (8, "facebook.com"), (6, "linkedin.com"), (5, "reddit.com"),
    (4, "l.instagram.com"), (4, "mail.google.com"), (3, "news.ycombinator.com"), (3, "duckduckgo.com"),
]
COUNTRIES = [
    (30, "US"), (8, "GB"), (8, "DE"), (7, "IN"), (6, "FR"), (5, "CA"), (5, "BR"), (4, "JP"), (3, "AU"), (3, "NL"),
    (3, "ES"), (3, "IT"), (2, "MX"), (2, "PL"), (2, "SE"), (2, "KR"), (1, "NG"), (1, "ZA"), (1, "AR"), (4, None),
]
BOT_SHARE = 0.10


def _bounds(choices: list[tuple]) -> list[float]:
    """Lower bounds in [0, 1) of each choice's slice, for width_bucket(random(), bounds)."""
    total = sum(choice[0] for choice in choices)
    return [0.0, *(weight / total for weight in accumulate(choice[0] for choice in choices[:-1]))]


def agent_profiles() -> dict[str, list]:
    """Per agent: UA, device, browser, OS, bot reason, as the app would store them."""
    from linkapp.services.visitors import bots, devices

    profiles = {"ua": [], "device": [], "browser": [], "os": [], "reason": []}
    for human, choices in ((True, HUMAN_AGENTS), (False, BOT_AGENTS)):
        for _, agent in choices:
            # The last bot agent stands for HEAD requests from browsers (link checkers, previews).
            head = agent.endswith(" HEAD")
            ua = agent.removesuffix(" HEAD")
            described = devices.describe_agent(ua)
            reason = bots.bot_reason("HEAD" if head else "GET", ua)
            if human and reason is not None:
                raise RuntimeError(f"the app calls a human agent a bot ({reason}): {ua}")
            if not human and reason is None:
                raise RuntimeError(f"the app does not recognize this bot: {ua}")
            for key, value in zip(profiles, (ua, described.device, described.browser, described.os, reason), strict=True):
                profiles[key].append(value)
    return profiles


def data_window(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """`days` whole UTC days ending with today (clicks later today included)."""
    today = (now or datetime.now(UTC)).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days - 1), today + timedelta(days=1)


GENERATE_SQL = """
INSERT INTO link_events (click_id, link_id, clicked_at, source, utm_medium, utm_campaign, ip_address, user_agent,
                         visitor_id, referrer_host, device, browser, os, country, city, is_bot, bot_reason)
SELECT md5(%(tag)s || g),
       link_id, clicked_at,
       (%(sources)s::text[])[width_bucket(r_source, %(source_bounds)s::float8[])],
       CASE WHEN r_source < %(direct_share)s THEN NULL ELSE 'social' END,
       CASE WHEN r_source < %(direct_share)s THEN NULL ELSE 'launch' END,
       '198.51.' || (visitor %% 256) || '.0',
       (%(ua)s::text[])[agent],
       left(md5(%(tag)s || (clicked_at AT TIME ZONE 'UTC')::date || ':' || visitor), 32),
       (%(referrers)s::text[])[width_bucket(r_referrer, %(referrer_bounds)s::float8[])],
       (%(device)s::text[])[agent],
       (%(browser)s::text[])[agent],
       (%(os)s::text[])[agent],
       (%(countries)s::text[])[width_bucket(r_country, %(country_bounds)s::float8[])],
       NULL,
       (%(reason)s::text[])[agent] IS NOT NULL,
       (%(reason)s::text[])[agent]
FROM (
    SELECT g, r_source, r_referrer, r_country,
           (%(link_ids)s::int[])[1 + floor(%(link_count)s * pow(r_link, 2))::int] AS link_id,
           CASE WHEN r_bot < %(bot_share)s THEN %(human_agents)s + width_bucket(r_agent, %(bot_bounds)s::float8[])
                ELSE width_bucket(r_agent, %(human_bounds)s::float8[]) END AS agent,
           -- A daily rhythm: busiest around 15:00 UTC, quietest around 03:00 (a monotone warp of [0, 1)).
           %(start)s::timestamptz + make_interval(secs => 86400 * (floor(moment)
               + (moment - floor(moment)) + 0.35 * (sin(2 * pi() * (moment - floor(moment) - 0.125)) + sin(pi() / 4)) / (2 * pi()))) AS clicked_at,
           -- Some people click a lot, most once or twice: a skewed draw from the day's pool.
           floor(%(pool)s * pow(r_visitor, 1.6))::int AS visitor
    FROM (
        -- Time grows with g, as clicks arrive: each day's events lie together on disk, as in production.
        SELECT g, random() AS r_link, random() AS r_bot, random() AS r_agent, (g - 1 + random()) * %(days)s / %(clicks)s AS moment,
               random() AS r_visitor, random() AS r_source, random() AS r_referrer, random() AS r_country
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
    ) AS draws
) AS clicks
"""


def generate_events(conn, *, tag: str, link_ids: list[int], clicks: int, start: datetime, days: int, chunk: int = 2_000_000) -> None:
    """Insert `clicks` raw events on `link_ids` (the first ones most clicked) over `days` from `start`."""
    profiles = agent_profiles()
    params = {
        "tag": tag,
        "link_ids": link_ids,
        "link_count": len(link_ids),
        "start": start,
        "days": days,
        "clicks": clicks,
        "pool": max(10, int(clicks / days * 0.6)),
        "bot_share": BOT_SHARE,
        "human_agents": len(HUMAN_AGENTS),
        "human_bounds": _bounds(HUMAN_AGENTS),
        "bot_bounds": _bounds(BOT_AGENTS),
        "sources": [value for _, value in SOURCES],
        "source_bounds": _bounds(SOURCES),
        "direct_share": SOURCES[0][0] / sum(weight for weight, _ in SOURCES),
        "referrers": [value for _, value in REFERRERS],
        "referrer_bounds": _bounds(REFERRERS),
        "countries": [value for _, value in COUNTRIES],
        "country_bounds": _bounds(COUNTRIES),
        **profiles,
    }
    for first in range(1, clicks + 1, chunk):
        conn.execute(GENERATE_SQL, {**params, "first": first, "last": min(clicks, first + chunk - 1)})
        conn.commit()


def event_indexes(conn) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'link_events' AND indexname <> 'link_events_pkey'"
    ).fetchall()
    return [(name, definition) for name, definition in rows]


def drop_indexes(conn, indexes: list[tuple[str, str]]) -> None:
    """Bulk loading without secondary indexes, then building them once, is several times faster."""
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.commit()


def create_indexes(conn, indexes: list[tuple[str, str]]) -> None:
    for _, definition in indexes:
        conn.execute(definition)
    conn.commit()


# --- rollups as GROUP BY ------------------------------------------------------------------------

DAY = "(e.clicked_at AT TIME ZONE 'UTC')::date"
BUCKET = "floor(extract(epoch FROM e.clicked_at) / 900)::bigint"
HUMANS = "count(*) FILTER (WHERE NOT e.is_bot)"
BOTS = "count(*) FILTER (WHERE e.is_bot)"
SCOPE_KEYS = {"l": "e.link_id", "o": "k.owner_id"}
# As rollups.writes._dimension_rows: empty counts as missing, values are cut to the column's 255.
DIMENSIONS = """(VALUES
    ('source', left(coalesce(nullif(e.source, ''), 'direct'), 255)),
    ('referrer', left(coalesce(nullif(e.referrer_host, ''), 'direct'), 255)),
    ('device', left(coalesce(nullif(e.device, ''), 'unknown'), 255)),
    ('browser', left(coalesce(nullif(e.browser, ''), 'unknown'), 255)),
    ('os', left(coalesce(nullif(e.os, ''), 'unknown'), 255)),
    ('country', left(coalesce(nullif(e.country, ''), 'unknown'), 255)),
    ('bot_reason', CASE WHEN e.is_bot THEN left(coalesce(nullif(e.bot_reason, ''), 'bot'), 255) END)
) AS d(dimension, value)"""


def rollup_selects(scope: str, where: str) -> dict[str, str]:
    """Per rollup table, the SELECT that yields its rows for `scope` from the events matching `where`.

    Events of links that no longer exist count nowhere, as in click_store (the join drops them)."""
    key = SCOPE_KEYS[scope]
    events = f"FROM link_events e JOIN links k ON k.id = e.link_id WHERE ({where})"
    return {
        "rollup_quarter_hours": f"SELECT '{scope}', {key}, {BUCKET}, {HUMANS}, {BOTS} {events} GROUP BY 2, 3",
        "rollup_days": (
            f"SELECT '{scope}', {key}, {DAY}, {HUMANS}, "
            f"count(DISTINCT e.visitor_id) FILTER (WHERE NOT e.is_bot AND e.visitor_id <> ''), {BOTS} {events} GROUP BY 2, 3"
        ),
        "rollup_day_dimensions": (
            f"SELECT '{scope}', {key}, {DAY}, d.dimension, d.value, {HUMANS}, {BOTS} "
            f"FROM link_events e JOIN links k ON k.id = e.link_id CROSS JOIN LATERAL {DIMENSIONS} "
            f"WHERE ({where}) AND d.value IS NOT NULL GROUP BY 2, 3, 4, 5"
        ),
        "rollup_day_visitors": (
            f"SELECT '{scope}', {key}, {DAY}, e.visitor_id, min({BUCKET}), max({BUCKET}) {events} "
            f"AND NOT e.is_bot AND e.visitor_id <> '' GROUP BY 2, 3, 4"
        ),
    }


COLUMNS = {
    "rollup_quarter_hours": "scope, scope_id, bucket, clicks, bots",
    "rollup_days": "scope, scope_id, day, clicks, visitors, bots",
    "rollup_day_dimensions": "scope, scope_id, day, dimension, value, clicks, bots",
    "rollup_day_visitors": "scope, scope_id, day, visitor_id, first_bucket, last_bucket",
}


def build_rollups(conn, owner_ids: list[int], *, log=print) -> None:
    """Fill every rollup table for the owners' links (their events must not be counted yet)."""
    import time

    where = "k.owner_id = ANY(ARRAY[" + ", ".join(str(int(owner)) for owner in owner_ids) + "])"
    for scope in ("l", "o"):
        for table, select in rollup_selects(scope, where).items():
            started = time.perf_counter()
            # In time order, as the writer creates them: a link's rows end up spread over many pages.
            conn.execute(f"INSERT INTO {table} ({COLUMNS[table]}) {select} ORDER BY 3")
            conn.commit()
            log(f"  {table} ({scope}): {time.perf_counter() - started:.1f} s")


# --- the proof: SQL rollups equal click_store's ---------------------------------------------------


def sample_clicks(link_ids: list[int], count: int, *, now: datetime, seed: int = 7) -> list:
    """`count` varied clicks over the last three UTC days: agents, bots, HEADs, sources,
    referrers, repeat visitors, and one burst of a visitor clicking a link over and over."""
    from linkapp.models.click import Click

    rng = random.Random(seed)
    agents = [agent for _, agent in HUMAN_AGENTS] + [agent.removesuffix(" HEAD") for _, agent in BOT_AGENTS] + [""]
    referrers = [None, "https://www.google.com/search?q=x", "https://t.co/abc", "https://news.ycombinator.com/item?id=1", "android-app://x"]
    sources = [value for _, value in SOURCES] + [""]
    ips = [f"203.0.113.{i}" for i in range(60)] + [f"2001:db8:{i:x}::1" for i in range(20)] + ["not-an-ip", None]
    clicks = []
    for index in range(count):
        burst = index < 15  # one visitor, one link, 15 clicks in 15 seconds
        clicks.append(
            Click(
                link_id=link_ids[0] if burst else rng.choice(link_ids),
                clicked_at=(now - timedelta(seconds=index)) if burst else now - timedelta(seconds=rng.uniform(0, 3 * 86400)),
                ip_address="203.0.113.250" if burst else rng.choice(ips),
                user_agent=agents[0] if burst else rng.choice(agents),
                referrer=rng.choice(referrers),
                source=rng.choice(sources),
                method="HEAD" if rng.random() < 0.03 else "GET",
            )
        )
    return clicks


async def check_rollups(clicks: int = 1_000, batch: int = 250) -> tuple[bool, list[str]]:
    """Store `clicks` sample clicks through click_store.store into a fresh owner's two links,
    then compare every rollup row it wrote with what `rollup_selects` computes from the same events."""
    from sqlalchemy import text

    from linkapp import db as database
    from linkapp.services.clicks import store as click_store

    now = datetime.now(UTC)
    async with database.session() as db:
        owner = (await db.execute(text(
            "INSERT INTO users (username, username_key, password_hash, created_at) "
            "VALUES (:name, :name, 'x', now()) RETURNING id"
        ), {"name": f"check{random.randrange(16**8):08x}"})).scalar_one()
        link_ids = [
            (await db.execute(text(
                "INSERT INTO links (owner_id, url, title, created_at, updated_at) "
                f"VALUES (:owner, 'https://example.com/{n}', 'check {n}', now(), now()) RETURNING id"
            ), {"owner": owner})).scalar_one()
            for n in range(2)
        ]
        await db.commit()
    sample = sample_clicks(link_ids, clicks, now=now)
    for first in range(0, len(sample), batch):  # several batches: upserts add to existing rows
        await click_store.store(sample[first:first + batch])

    lines, same = [], True
    async with database.session() as db:
        for table, columns in COLUMNS.items():
            stored = {tuple(row) for row in (await db.execute(text(
                f"SELECT {columns} FROM {table} WHERE (scope = 'l' AND scope_id = ANY(:links)) OR (scope = 'o' AND scope_id = :owner)"
            ), {"links": link_ids, "owner": owner})).all()}
            computed = set()
            for scope in ("l", "o"):
                select = rollup_selects(scope, f"k.owner_id = {int(owner)}")[table]
                computed |= {tuple(row) for row in (await db.execute(text(select))).all()}
            match = stored == computed
            same &= match
            lines.append(f"{table}: {len(stored)} rows from click_store, {len(computed)} from SQL, {'equal' if match else 'DIFFERENT'}")
            if not match:
                lines.append(f"  only click_store: {sorted(stored - computed, key=str)[:5]}")
                lines.append(f"  only SQL: {sorted(computed - stored, key=str)[:5]}")
        flagged = dict((await db.execute(text(
            "SELECT coalesce(bot_reason, 'human'), count(*) FROM link_events WHERE link_id = ANY(:links) GROUP BY 1"
        ), {"links": link_ids})).all())
    lines.append(f"sample as stored: {dict(sorted(flagged.items()))}")
    return same, lines
