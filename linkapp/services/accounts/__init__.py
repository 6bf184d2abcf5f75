"""Accounts: who a user is and how they prove it.

`users` owns the username and password rules, registration and sign-in; `sessions` the access
tokens and rotating refresh-token families; `api_keys` the personal `lk_` keys scripts use.
"""
