"""Visitors: what a request tells about who made it, judged from the request alone.

`bots` says whether a request is a person and if not why (`bot_patterns` holds the agent
patterns, `crawlers` crawlerdetect's verdict from its own lists, `matching` runs pattern lists
on RE2 so a long made-up agent costs linear time); `devices` the device class, browser and OS of a user agent; `geo` the country and
city of an address; `referrers` a click's source, by the name of the site that sent it. Cheap and cached: the redirect and the click writer both call them.
"""
