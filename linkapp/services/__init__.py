"""The business rules, one package per domain; no HTTP and no Reflex in here.

Lower packages never import higher ones:

- `accounts`: users, passwords, sign-in, sessions, API keys and the audit log.
- `webhooks`: users' hooks, the outbox of events owed to them, and delivering those (signed, retried).
- `visitors`: what a request says about who made it (bot or person and why, device, place).
- `rollups`: the pre-counted figures (quarter hours, days, breakdowns), written and read.
- `clicks`: the click pipeline, from the redirect's queue to stored events and rollups.
- `links`: short links, their rules, and resolving a code on the redirect's hot path.
- `analytics`: figures, exports and AI insights over a user's clicks.
"""
