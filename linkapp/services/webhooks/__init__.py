"""Webhooks: a user's endpoints, the events owed to them, and delivering those, signed and retried.

Just above `accounts` in the layer order; it never imports `visitors`, `rollups`, `clicks` or
`links` (they call it instead). `hooks` owns creating, listing, changing and deleting hooks and
their delivery log; `guard` where a hook may send (http(s) to public addresses only, checked at
creation and before every delivery); `events` what an event looks like on the wire; `outbox` the
events written in the caller's transaction (link changes, click batches) and waking the
dispatcher after their commit; `signing` the `Linkapp-Signature` header; `sender` one HTTP POST;
`claims` the dispatcher's database work; `schedule` retries and the delivery rate; `dispatcher`
claiming, sending and retrying; `running` the dispatcher on its own thread for as long as the app
runs (the app starts that thread in the click writer's process, see `linkapp.lifespan`);
`retention` the daily purge.
"""
