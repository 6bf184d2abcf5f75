"""Rollups: every figure pre-counted, so dashboards never count raw clicks.

`vocabulary` holds what writers and readers share (scopes, bucket size, breakdown columns);
`writes` counts stored events into the rollup tables in SQL; `reads` answers figures for a range
from them, and `edges` counts the partial UTC days a shifted time zone cuts (from the visitor rows
and raw events); `link_sets` reads the figures of a set of links (one tag's) from their own
rollups, each visitor counted once.
"""
