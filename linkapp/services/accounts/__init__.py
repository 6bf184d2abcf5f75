"""Accounts: who a user is and how they prove it.

`users` owns the username and password rules, new accounts and credential checks; `sessions` the access
tokens, rotating refresh-token families and the list of signed-in sessions; `sign_in` the
rate-limited sign-in and registration behind the REST API (which the web UI's pages call too);
`passwords` proving and changing a signed-in user's password; `api_keys` the personal `lk_` keys
scripts use; `audit` the record of each account's security events, addresses only as their prefix.
"""
