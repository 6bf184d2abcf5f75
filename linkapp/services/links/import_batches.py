"""Writing one batch of an import: which rows are new links, which are links that exist (see
`imports` for the rule), which fail; then the inserts and updates, and the job's counters, in one
transaction, with the `link.created` (and, for updates, `link.updated`) events the batch owes the
owner's hooks: a rolled-back batch owes nothing, and a batch asks once which hooks want them.

On PostgreSQL new links go in with one `INSERT ... SELECT FROM unnest(...)` of arrays, their ids
drawn from the sequence beforehand: a multi-row VALUES of a thousand links has ten thousand
parameters, which psycopg binds slowly (see bench/README.md, ingest). SQLite, in process, takes
the portable executemany.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core.times import utcnow
from linkapp.models.import_job import ImportJob
from linkapp.models.link import Link, LinkTag
from linkapp.services.links import changes as link_changes
from linkapp.services.links import service as link_service
from linkapp.services.links.import_rows import RowFailure, ValidLink
from linkapp.services.webhooks import events
from linkapp.services.webhooks import outbox as webhooks

MAX_REPORTED_ERRORS = 1_000
RETRIES = 3
LINKS = Link.__table__
TAGS = LinkTag.__table__
JOBS = ImportJob.__table__
COUNTERS = ("processed", "created", "updated", "skipped", "failed", "errors")
PG_INSERT_LINKS = text(
    "INSERT INTO links (id, owner_id, url, title, slug, slug_key, expires_at, max_clicks, created_at, updated_at) "
    "SELECT id, :owner_id, url, title, slug, slug_key, expires_at, max_clicks, created_at, created_at FROM unnest("
    "CAST(:ids AS integer[]), CAST(:urls AS varchar[]), CAST(:titles AS varchar[]), CAST(:slugs AS varchar[]), CAST(:slug_keys AS varchar[]), "
    "CAST(:expires AS timestamptz[]), CAST(:max_clicks AS integer[]), CAST(:created AS timestamptz[])"
    ") AS row (id, url, title, slug, slug_key, expires_at, max_clicks, created_at)"
)
PG_INSERT_TAGS = text("INSERT INTO link_tags (link_id, tag) SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:tags AS varchar[]))")
PG_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")
PG_NEW_IDS = text("SELECT nextval(pg_get_serial_sequence('links', 'id')) FROM generate_series(1, :count)")


@dataclass(frozen=True, slots=True)
class _NewLink:
    """A link an import just wrote, with the columns its public shape reads: far cheaper than a `Link`."""

    id: int
    url: str
    title: str
    slug: str | None
    expires_at: datetime | None
    max_clicks: int | None
    created_at: datetime
    updated_at: datetime
    redirect_status: int | None = None
    disabled: bool = False
    fallback_url: str | None = None


async def save_job(db: AsyncSession, job: ImportJob) -> None:
    """Write the job's state and counters (in the caller's transaction)."""
    job.updated_at = utcnow()
    await db.execute(
        update(JOBS)
        .where(JOBS.c.id == job.id)
        .values(
            status=job.status, processed=job.processed, created=job.created, updated=job.updated, skipped=job.skipped,
            failed=job.failed, errors=job.errors, detail=job.detail, updated_at=job.updated_at, finished_at=job.finished_at,
        )
    )


class BatchWriter:
    """Writes the batches of one job, remembering across them what the file already had."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job  # a detached record: its counters are ours to keep and write
        self.codes: dict[str, int] = {}  # slug key -> the row that had it, over the whole file
        # (url, title) -> id of the owner's links without a custom code; read once, when needed.
        self.pairs: dict[tuple[str, str], int] | None = None

    def _report(self, failures: list[tuple[int, str]]) -> None:
        """Count a batch's failed rows and keep the first MAX_REPORTED_ERRORS, in row order."""
        self.job.failed += len(failures)
        room = MAX_REPORTED_ERRORS - len(self.job.errors)
        if room > 0 and failures:
            self.job.errors = [*self.job.errors, *({"row": row, "msg": msg} for row, msg in sorted(failures)[:room])]

    async def write(self, db: AsyncSession, rows: list[ValidLink | RowFailure]) -> None:
        """Write one batch and the job's counters in one transaction; when someone takes a short
        code meanwhile, look again and retry (the code then shows as taken)."""
        for attempt in range(RETRIES):
            before = {name: getattr(self.job, name) for name in COUNTERS}
            codes = dict(self.codes)
            try:
                changed, new_pairs = await self._apply(db, rows)
                await db.commit()
                break
            except Exception as error:
                # The job's counts go with the batch's rollback, whatever failed: they say what is stored.
                for name, value in before.items():
                    setattr(self.job, name, value)
                self.codes = codes
                if not isinstance(error, IntegrityError):
                    raise  # the caller rolls back and gives up
                await db.rollback()
                if attempt == RETRIES - 1:
                    raise
        if self.pairs is not None:
            self.pairs.update(new_pairs)
        # Redirects must not keep serving what changed, nor a cached "unknown code" for a new one.
        for count, link_id in enumerate(changed, start=1):
            await link_changes.announce(link_id)
            if count % 100 == 0:
                await asyncio.sleep(0)

    async def _apply(self, db: AsyncSession, rows: list[ValidLink | RowFailure]) -> tuple[list[int], dict[tuple[str, str], int]]:
        """Sort a batch and write it (no commit). Returns the ids of links whose change the
        redirect must hear of, and the (url, title) of new links without a custom code."""
        job = self.job
        if db.bind.dialect.name == "postgresql":
            # psycopg prepares a statement run five times; PostgreSQL may then keep a generic plan
            # made while `links` was small (a scan comparing each row with every code), which
            # grows with the table. A plan for this batch's own values finds them by index.
            await db.execute(PG_CUSTOM_PLANS)
        valid: list[ValidLink] = []
        failures: list[tuple[int, str]] = []
        for row in rows:
            if isinstance(row, RowFailure):
                failures.append((row.row, row.msg))
            else:
                valid.append(row)
        by_code, by_id = await self._existing(db, valid)
        new: list[ValidLink] = []
        existing: list[tuple[ValidLink, int]] = []
        pending: set[tuple[str, str]] = set()
        for row in valid:
            if row.slug:
                key = row.slug.lower()
                if key in self.codes:
                    failures.append((row.row, f"The short code “{row.slug}” is on row {self.codes[key]} already."))
                    continue
                self.codes[key] = row.row
                owner_and_id = by_code.get(key)
                if owner_and_id is None:
                    new.append(row)
                elif owner_and_id[0] != job.owner_id:
                    failures.append((row.row, f"The short code “{row.slug}” is taken."))
                else:
                    existing.append((row, owner_and_id[1]))
            elif row.link_id in by_id:
                existing.append((row, row.link_id))
            elif (pair := (row.url, row.title)) in await self._pairs(db):
                existing.append((row, self.pairs[pair]))
            elif pair in pending:
                job.skipped += 1  # the same row twice in one batch: the first makes the link
            else:
                pending.add(pair)
                new.append(row)
        new_ids = await _insert(db, job.owner_id, new)
        await _owe_created(db, job.owner_id, new, new_ids)
        job.created += len(new)
        changed = new_ids[:1]  # one announcement drops every cached "unknown code"
        if job.mode == "update" and existing:
            await _update(db, existing)
            await link_service.owe_updates(db, job.owner_id, [link_id for _, link_id in existing])
            job.updated += len(existing)
            changed += [link_id for _, link_id in existing]
        else:
            job.skipped += len(existing)
        self._report(failures)
        job.processed += len(rows)
        await save_job(db, job)
        new_pairs = {(row.url, row.title): link_id for row, link_id in zip(new, new_ids, strict=True) if not row.slug}
        return changed, new_pairs

    async def _existing(self, db: AsyncSession, rows: list[ValidLink]) -> tuple[dict[str, tuple[int, int]], set[int]]:
        """Slug key -> (owner, link id) for the batch's codes, whoever has them; the ids our
        export named that are the owner's links."""
        codes = [row.slug.lower() for row in rows if row.slug]
        link_ids = [row.link_id for row in rows if not row.slug and row.link_id is not None]
        by_code: dict[str, tuple[int, int]] = {}
        if codes:
            found = await db.execute(select(Link.slug_key, Link.owner_id, Link.id).where(Link.slug_key.in_(codes)))
            by_code = {key: (owner, link_id) for key, owner, link_id in found.all()}
        by_id: set[int] = set()
        if link_ids:
            by_id = set((await db.execute(select(Link.id).where(Link.id.in_(link_ids), Link.owner_id == self.job.owner_id))).scalars())
        return by_code, by_id

    async def _pairs(self, db: AsyncSession) -> dict[tuple[str, str], int]:
        if self.pairs is None:
            found = await db.execute(select(Link.url, Link.title, Link.id).where(Link.owner_id == self.job.owner_id, Link.slug_key.is_(None)))
            self.pairs = {(url, title): link_id for url, title, link_id in found.all()}
        return self.pairs


async def _insert(db: AsyncSession, owner_id: int, rows: list[ValidLink]) -> list[int]:
    """Create the links and their tags; their ids, in the order of `rows`."""
    if not rows:
        return []
    if db.bind.dialect.name == "postgresql":
        return await _insert_postgresql(db, owner_id, rows)
    params = [
        {
            "owner_id": owner_id, "url": row.url, "title": row.title, "slug": row.slug, "slug_key": row.slug.lower() if row.slug else None,
            "expires_at": row.expires_at, "max_clicks": row.max_clicks, "created_at": row.created_at, "updated_at": row.created_at,
        }
        for row in rows
    ]
    new_ids = list((await db.execute(insert(LINKS).returning(LINKS.c.id, sort_by_parameter_order=True), params)).scalars())
    tags = [{"link_id": link_id, "tag": tag} for row, link_id in zip(rows, new_ids, strict=True) for tag in row.tags or ()]
    if tags:
        await db.execute(insert(TAGS), tags)
    return new_ids


async def _owe_created(db: AsyncSession, owner_id: int, rows: list[ValidLink], new_ids: list[int]) -> None:
    """Owe `link.created` for the batch's new links to the owner's hooks that want it, each link as
    POST /links would announce it; built from the rows just written rather than read back."""
    hook_ids = await webhooks.hooks_wanting(db, owner_id, events.LINK_CREATED) if rows else []
    if not hook_ids:
        return
    now = utcnow()
    links = [
        link_service.public_shape(
            _NewLink(link_id, row.url, row.title, row.slug, row.expires_at, row.max_clicks, row.created_at, row.created_at),
            tags=sorted(row.tags or ()),  # as to_public lists them: in the database's (binary) order
            clicks=0,
            used=None if row.max_clicks is None else 0,  # a new link: none of its clicks counted yet
            now=now,
        )
        for row, link_id in zip(rows, new_ids, strict=True)
    ]
    await webhooks.add_many(db, hook_ids, events.LINK_CREATED, [link.model_dump(mode="json") for link in links])


async def _insert_postgresql(db: AsyncSession, owner_id: int, rows: list[ValidLink]) -> list[int]:
    new_ids = sorted((await db.execute(PG_NEW_IDS, {"count": len(rows)})).scalars())
    await db.execute(
        PG_INSERT_LINKS,
        {
            "owner_id": owner_id,
            "ids": new_ids,
            "urls": [row.url for row in rows],
            "titles": [row.title for row in rows],
            "slugs": [row.slug for row in rows],
            "slug_keys": [row.slug.lower() if row.slug else None for row in rows],
            "expires": [row.expires_at for row in rows],
            "max_clicks": [row.max_clicks for row in rows],
            "created": [row.created_at for row in rows],
        },
    )
    tags = [(link_id, tag) for row, link_id in zip(rows, new_ids, strict=True) for tag in row.tags or ()]
    if tags:
        await db.execute(PG_INSERT_TAGS, {"ids": [link_id for link_id, _ in tags], "tags": [tag for _, tag in tags]})
    return new_ids


async def _update(db: AsyncSession, rows: list[tuple[ValidLink, int]]) -> None:
    """Change existing links to what the file says, in the fields the file has."""
    given = rows[0][0].given  # one file, one header: every row carries the same columns
    fields = ["url", *(name for name in ("title", "expires_at", "max_clicks") if name in given)]
    statement = update(LINKS).where(LINKS.c.id == bindparam("link_id")).values({name: bindparam(f"new_{name}") for name in [*fields, "updated_at"]})
    now = utcnow()
    params = [{"link_id": link_id, "new_updated_at": now, **{f"new_{name}": getattr(row, name) for name in fields}} for row, link_id in rows]
    await db.execute(statement, params)
    if "tags" in given:
        link_ids = [link_id for _, link_id in rows]
        await db.execute(delete(TAGS).where(TAGS.c.link_id.in_(link_ids)))
        tags = [{"link_id": link_id, "tag": tag} for row, link_id in rows for tag in row.tags or ()]
        if tags:
            await db.execute(insert(TAGS), tags)
