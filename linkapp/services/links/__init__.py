"""Links: what a short link is, the rules for changing one, and resolving a code fast.

`service` creates, changes, lists and deletes a user's links; `urls` says what a link may point
at (`hosts` reads a target's host as browsers do, to refuse loopback and this service);
`reserved` the codes the app keeps for itself; `redirects` resolves a code on the hot path
(cached, single-flight); `allowance` keeps `max_clicks` exact; `changes` tells every instance
that a link changed so none redirects the old way; `closing` deletes an account with all its
links, stopping them on every instance.
"""
