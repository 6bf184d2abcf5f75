"""Rollups: every figure pre-counted, so dashboards never count raw clicks.

`vocabulary` holds what writers and readers share (scopes, bucket size, breakdown columns);
`writes` counts stored events into the rollup tables in SQL; `reads` answers figures for a range
from them, and `edges` counts the partial UTC days a shifted time zone cuts (from the visitor rows
and raw events).
"""
