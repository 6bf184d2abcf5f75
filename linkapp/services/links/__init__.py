"""Links: what a short link is, the rules for changing one, and resolving a code fast.

`service` creates, changes, lists and deletes a user's links; `listing` says what a search
matches and in what orders a list is read; `tags` lists a user's tags and renames or removes one
on all their links; `states` says whether a link is active, expired, used up or disabled, and how
to extend it; `urls` says what a link may point at (`hosts` reads a target's host as browsers do,
to refuse loopback and this service); `reserved` the codes the app keeps for itself; `redirects`
resolves a code on the hot path (cached, single-flight); `allowance` keeps `max_clicks` exact;
`changes` tells every instance that a link changed so none redirects the old way; `qr` draws a
link's QR code with the scan marker of `scan_marker`, which the redirect strips before
forwarding; `imports` runs a bulk import in the background (`import_formats` recognizes other
shorteners' exports by their header row, `import_rows` checks each row by the link rules,
`import_batches` writes them), `export` writes a user's links as CSV; `closing` deletes an
account with all its links, stopping them on every instance.
"""
