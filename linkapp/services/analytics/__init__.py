"""Analytics: what a user sees of their clicks.

`figures` answers a link's or all links' figures for a range of local days; `exports` writes
them as CSV; `facts` computes the grounded facts an insight starts from; `insights` asks Gemini
about them, with `answer_cache` keeping answers so one question is not paid for twice.
"""
