"""InsightsState: questions about the user's figures, and quick facts that need no AI."""

from __future__ import annotations

import reflex as rx

from linkapp import db as database
from linkapp.core.errors import DomainError
from linkapp.services.analytics import facts as insight_facts
from linkapp.services.analytics import insights
from linkapp.state.auth import signed_in_user_id, viewer_time_zone
from linkapp.state.link_detail import LinkDetailState


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def quick_lines(facts: dict) -> list[str]:
    """Plain sentences from the computed facts: the card that needs no AI."""
    totals = facts.get("totals") or {}
    period = facts.get("period") or {}
    clicks = int(totals.get("clicks", 0))
    lines = [
        f"{_plural(clicks, 'click')} from {_plural(int(totals.get('unique_visitors', 0)), 'unique visitor')} in the last {period.get('days', 30)} days."
    ]
    trend = facts.get("trend")
    if trend and trend.get("change_pct") is not None and trend["direction"] != "flat":
        word = "up" if trend["direction"] == "up" else "down"
        lines.append(f"That is {word} {abs(trend['change_pct']):g}% on the {period.get('days', 30)} days before.")
    elif trend and trend.get("previous_clicks") == 0 and clicks:
        lines.append("The period before had no clicks at all.")
    best = ((facts.get("links") or {}).get("best") or [])[:1]
    if best:
        lines.append(f"Top link: “{best[0]['title']}” with {_plural(best[0]['clicks'], 'click')}.")
    sources = facts.get("top_sources") or []
    if sources and clicks:
        top = sources[0]
        lines.append(f"Most clicks come from {top['source']} ({top['share_pct']:g}%).")
    peaks = facts.get("peaks") or {}
    if peaks.get("weekday") and clicks >= 5:
        lines.append(f"Busiest weekday: {peaks['weekday']['weekday']}; busiest hour: {peaks['hour']['hour']:02d}:00 ({period.get('tz', 'UTC')}).")
    for anomaly in (facts.get("anomalies") or [])[:1]:
        kind = "spike" if anomaly["kind"] == "spike" else "drop"
        lines.append(f"A {kind} on {anomaly['day']}: {_plural(anomaly['clicks'], 'click')} against a typical {anomaly['median']:g}.")
    return lines


class InsightsState(rx.State):
    prompt: str = ""
    loading: bool = False
    error: str = ""
    summary: str = ""
    highlights: list[str] = []
    suggestions: list[str] = []
    model: str = ""
    quick: list[str] = []

    @rx.var
    def configured(self) -> bool:
        return insights.is_configured()

    @rx.event
    def set_prompt(self, value: str):
        self.prompt = value[:2000]

    async def _scope(self, link: bool) -> tuple[str | None, str]:
        """The link the question is about (None: all links) and the time zone to count days in."""
        link_id = (await self.get_state(LinkDetailState)).public_id if link else None
        return link_id, await viewer_time_zone(self)

    @rx.event
    async def load_quick(self, link: bool = False):
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return
        link_id, tz = await self._scope(link)
        try:
            async with database.session() as db:
                facts = await insight_facts.compute_facts(db=db, owner_id=user_id, link_id=link_id, tz=tz)
        except DomainError:
            self.quick = []
            return
        self.quick = quick_lines(facts)

    @rx.event
    async def ask(self, link: bool, form: dict | None = None):
        if form and "prompt" in form:  # the submitted text may be ahead of the input's debounce
            self.prompt = str(form["prompt"])[:2000]
        user_id = await signed_in_user_id(self)
        if user_id is None or not self.prompt.strip():
            return
        link_id, tz = await self._scope(link)
        self.loading, self.error = True, ""
        yield
        try:
            async with database.session() as db:
                answer = await insights.generate_insight(db=db, owner_id=user_id, prompt=self.prompt, link_id=link_id, start=None, end=None, tz=tz)
        except DomainError as error:
            self.error = error.detail
        else:
            insight = answer.get("insight") or {}
            if isinstance(insight, str):
                insight = {"summary": insight}
            self.summary = insight.get("summary", "")
            self.highlights = list(insight.get("highlights", []))
            self.suggestions = list(insight.get("suggestions", []))
            self.model = answer.get("model", "")
            self.quick = quick_lines(answer.get("facts") or {})
        finally:
            self.loading = False
