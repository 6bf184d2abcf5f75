"""sources from referrers

Revision ID: 0011
Revises: 0010
A click without `utm_source` used to count as "direct" even when it came from another site. Its
source is now the referring site's name (X/Twitter, Google, Hacker News...) or host, as new clicks
get it at write time (`services/visitors/referrers.py`). Stored clicks whose utm_source was empty
and whose referrer is known get that name, and the "source" rollups move their counts from
"direct" to it: per scope (link and owner), UTC day, humans and bots, exactly the clicks renamed.
Rollups of clicks already purged stay as they were (their referrers are gone with them).
The SQL and the site list are written out here, not imported: a migration must not change when
the app does.

Downgrade leaves the names: the previous version shows any stored source as it is.

Create Date: 2026-12-02 04:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The sites as `referrers.SITES` named them at this revision, tried in this order; then Google.
SITES = (
    ("X/Twitter", ("twitter.com", "x.com", "t.co")),
    ("Facebook", ("facebook.com", "fb.com", "fb.me", "messenger.com")),
    ("Instagram", ("instagram.com",)),
    ("LinkedIn", ("linkedin.com", "lnkd.in")),
    ("Reddit", ("reddit.com", "redd.it")),
    ("YouTube", ("youtube.com", "youtu.be")),
    ("TikTok", ("tiktok.com",)),
    ("Pinterest", ("pinterest.com", "pin.it")),
    ("Threads", ("threads.net", "threads.com")),
    ("Bluesky", ("bsky.app",)),
    ("Hacker News", ("news.ycombinator.com",)),
    ("GitHub", ("github.com",)),
    ("WhatsApp", ("whatsapp.com", "wa.me")),
    ("Telegram", ("telegram.org", "t.me")),
    ("Slack", ("slack.com",)),
    ("Discord", ("discord.com", "discordapp.com")),
    ("Microsoft Teams", ("teams.microsoft.com", "teams.live.com")),
    ("Bing", ("bing.com",)),
    ("DuckDuckGo", ("duckduckgo.com",)),
    ("Yahoo", ("yahoo.com",)),
    ("Yandex", ("yandex.ru", "yandex.com", "ya.ru")),
    ("Baidu", ("baidu.com",)),
    ("Ecosia", ("ecosia.org",)),
    ("Brave Search", ("search.brave.com",)),
    ("Wikipedia", ("wikipedia.org",)),
    ("ChatGPT", ("chatgpt.com", "chat.openai.com")),
    ("Perplexity", ("perplexity.ai",)),
    ("Medium", ("medium.com",)),
    ("Quora", ("quora.com",)),
)


def _renamed(event: str) -> str:
    """The clicks to rename: no utm_source, a referrer."""
    return f"({event}source IS NULL OR {event}source = '') AND {event}referrer_host IS NOT NULL AND {event}referrer_host <> ''"


def _site_name(host: str) -> str:
    """The CASE naming a referrer host: a known site's name, else the host. (No name or domain
    holds a quote, and no domain a "_", LIKE's one-character wildcard.)"""
    whens = []
    for name, domains in SITES:
        matches = " OR ".join(f"{host} = '{domain}' OR {host} LIKE '%.{domain}'" for domain in domains)
        whens.append(f"WHEN {matches} THEN '{name}'")
    whens.append(f"WHEN {host} LIKE 'google.%' OR {host} LIKE '%.google.%' THEN 'Google'")
    return f"CASE {' '.join(whens)} ELSE {host} END"


def _moves(day: str) -> str:
    """The renamed clicks' counts per scope, UTC day and new name: humans and bots apart."""
    name = _site_name("e.referrer_host")
    parts = " UNION ALL ".join(
        f"SELECT '{scope}' AS scope, {key} AS scope_id, {day} AS day, {name} AS value, "
        "CASE WHEN e.is_bot THEN 0 ELSE 1 END AS humans, CASE WHEN e.is_bot THEN 1 ELSE 0 END AS bots "
        f"FROM link_events e JOIN links k ON k.id = e.link_id WHERE {_renamed('e.')}"
        for scope, key in (("l", "e.link_id"), ("o", "k.owner_id"))
    )
    return f"SELECT scope, scope_id, day, value, sum(humans) AS humans, sum(bots) AS bots FROM ({parts}) AS renamed GROUP BY scope, scope_id, day, value"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    day = "(e.clicked_at AT TIME ZONE 'UTC')::date" if postgresql else "date(e.clicked_at)"
    floor = "greatest" if postgresql else "max"
    # A deleted link's late clicks match no link: counted nowhere before, nowhere now.
    op.execute(f"CREATE TEMPORARY TABLE source_moves AS {_moves(day)}")
    op.execute(
        f"UPDATE rollup_day_dimensions SET clicks = {floor}(rollup_day_dimensions.clicks - m.humans, 0), "
        f"bots = {floor}(rollup_day_dimensions.bots - m.bots, 0) "
        "FROM (SELECT scope, scope_id, day, sum(humans) AS humans, sum(bots) AS bots FROM source_moves GROUP BY scope, scope_id, day) AS m "
        "WHERE rollup_day_dimensions.scope = m.scope AND rollup_day_dimensions.scope_id = m.scope_id "
        "AND rollup_day_dimensions.day = m.day AND rollup_day_dimensions.dimension = 'source' AND rollup_day_dimensions.value = 'direct'"
    )
    op.execute("DELETE FROM rollup_day_dimensions WHERE dimension = 'source' AND value = 'direct' AND clicks = 0 AND bots = 0")
    # WHERE true: SQLite reads ON CONFLICT after a bare SELECT as part of a join.
    op.execute(
        "INSERT INTO rollup_day_dimensions (scope, scope_id, day, dimension, value, clicks, bots) "
        "SELECT scope, scope_id, day, 'source', value, humans, bots FROM source_moves WHERE true "
        "ON CONFLICT (scope, scope_id, day, dimension, value) DO UPDATE SET "
        "clicks = rollup_day_dimensions.clicks + excluded.clicks, bots = rollup_day_dimensions.bots + excluded.bots"
    )
    op.execute("DROP TABLE source_moves")
    op.execute(f"UPDATE link_events SET source = {_site_name('referrer_host')} WHERE {_renamed('')}")


def downgrade() -> None:
    pass
