"""`linkapp` maintenance commands: `linkapp rebuild-rollups`, `linkapp rescore-bots`, `linkapp purge`."""

from __future__ import annotations

import argparse
import asyncio

from linkapp import db as database
from linkapp.core.config import settings
from linkapp.services.clicks import maintenance


async def _run(command: str, days: int) -> str:
    async with database.session() as db:
        if command == "rebuild-rollups":
            return f"rebuilt rollups from {await maintenance.rebuild_rollups(db)} clicks"
        if command == "rescore-bots":
            return f"{await maintenance.rescore_bots(db)} clicks changed verdict; rollups rebuilt"
        return f"deleted {await maintenance.purge_old_clicks(db, days)} clicks older than {days} days"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="linkapp", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("rebuild-rollups", help="recompute every rollup from the raw clicks")
    sub.add_parser("rescore-bots", help="apply the current bot rules to stored clicks, then rebuild rollups")
    purge = sub.add_parser("purge", help="delete raw clicks past the retention period (rollups stay)")
    purge.add_argument("--days", type=int, default=settings.CLICK_RETENTION_DAYS, help="default: CLICK_RETENTION_DAYS")
    args = parser.parse_args(argv)
    if args.command == "purge" and args.days <= 0:
        parser.error("give --days N or set CLICK_RETENTION_DAYS")
    print(asyncio.run(_run(args.command, getattr(args, "days", 0))))


if __name__ == "__main__":
    main()
