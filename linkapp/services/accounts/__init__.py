"""Accounts: who a user is and how they prove it.

`users` owns the username and password rules, new accounts and credential checks; `sessions` the access
tokens and rotating refresh-token families; `sign_in` the rate-limited sign-in and registration
that the REST API and the web UI both call; `api_keys` the personal `lk_` keys scripts use.
"""
