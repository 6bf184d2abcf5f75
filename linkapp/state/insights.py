"""InsightsState: questions about the user's figures, and quick facts that need no AI."""

from __future__ import annotations

from datetime import date, datetime

import reflex as rx

from linkapp import db as database
from linkapp.core.errors import DomainError
from linkapp.services.analytics import facts as insight_facts
from linkapp.services.analytics import figures as analytics
from linkapp.services.analytics import insights
from linkapp.services.analytics.figures import DayRange
from linkapp.state import live
from linkapp.state.auth import learn_time_zone, signed_in_user_id, viewer_time_zone
from linkapp.state.link_detail import LinkDetailState


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _shows_insights(path: str) -> bool:
    """The pages with an insights panel: the dashboard and a link's page."""
    return path in ("/", "") or path.startswith("/links/")


def _period_words(period: dict, today: date | None) -> str:
    """"in the last 30 days" for a range that ends today, else its first and last day."""
    days = int(period.get("days", 30))
    if not period.get("end") or today is None or period["end"] == today.isoformat():
        return f"in the last {days} days" if days != 1 else "today"
    first, last = (date.fromisoformat(period[key]).strftime("%b %-d, %Y") for key in ("start", "end"))
    return f"from {first} to {last}"


def quick_lines(facts: dict, today: date | None = None) -> list[str]:
    """Plain sentences from the computed facts: the card that needs no AI.

    Args:
        facts: What `compute_facts` returns.
        today: Today in the facts' zone: a range ending today reads "in the last N days".
    """
    totals = facts.get("totals") or {}
    period = facts.get("period") or {}
    clicks = int(totals.get("clicks", 0))
    lines = [f"{_plural(clicks, 'click')} from {_plural(int(totals.get('unique_visitors', 0)), 'unique visitor')} {_period_words(period, today)}."]
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
    """The insights panel of the dashboard (all links, the last 30 days) or of a link's page (that
    link, the range chosen there). Its quick facts follow new clicks and the range, as the
    figures beside them do."""

    prompt: str = ""
    loading: bool = False
    error: str = ""
    summary: str = ""
    highlights: list[str] = []
    suggestions: list[str] = []
    model: str = ""
    quick: list[str] = []
    _on_link_page: bool = False
    # The zone the quick facts were counted in: a zone learnt after them counts them again.
    _zone: str = ""
    _watching: bool = False
    _loaded_version: int = 0

    @rx.var
    def configured(self) -> bool:
        return insights.is_configured()

    @rx.event
    def set_prompt(self, value: str):
        self.prompt = value[:2000]

    async def _scope(self) -> tuple[str | None, DayRange]:
        """The link the panel is about (None: all links) and its days: the link page's range,
        in the viewer's zone.

        Raises:
            ValueError, DomainError: the link page's custom range is not a valid one.
        """
        tz = await viewer_time_zone(self)
        if not self._on_link_page:
            return None, analytics.day_range(None, None, tz)
        detail = await self.get_state(LinkDetailState)
        start, end = detail.chosen_range(tz)
        return detail.public_id, analytics.day_range(start, end, tz)

    async def _reload_quick(self) -> None:
        live.loading(self)
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return
        try:
            link_id, days = await self._scope()
        except (ValueError, DomainError):  # the page shows why; the facts stay those of the last range
            return
        self._zone = days.tz.key
        try:
            async with database.session() as db:
                facts = await insight_facts.facts_for_range(db=db, owner_id=user_id, link_id=link_id, days=days)
        except DomainError:
            self.quick = []
            return
        self.quick = quick_lines(facts, today=datetime.now(days.tz).date())

    @rx.event
    async def load_quick(self, link: bool = False):
        """on_load: the quick facts now; then again in the browser's zone if it is another, and
        whenever clicks are stored while the page is open (`in_zone`)."""
        self._on_link_page = link
        await self._reload_quick()
        return learn_time_zone(InsightsState.in_zone)

    @rx.event
    async def in_zone(self, _tz: str = ""):
        """The browser's zone is learnt: by now the figures beside have taken it (their answer
        came first, and an unknown zone is UTC to them). Count again if it is another, and keep
        counting as clicks come. The watch starts here, not on_load: a navigation cancels what
        the previous page's on_load started."""
        if await viewer_time_zone(self) != self._zone:
            await self._reload_quick()
        if not self._watching:
            self._watching = True
            return InsightsState.watch_clicks

    @rx.event
    async def follow_range(self):
        """After the link page's range or zone changed: the facts of the new one."""
        await self._reload_quick()

    @rx.event(background=True)
    async def watch_clicks(self):
        await live.watch(self, _shows_insights, self._reload_quick)

    @rx.event
    async def ask(self, link: bool, form: dict | None = None):
        if form and "prompt" in form:  # the submitted text may be ahead of the input's debounce
            self.prompt = str(form["prompt"])[:2000]
        user_id = await signed_in_user_id(self)
        if user_id is None or not self.prompt.strip():
            return
        self._on_link_page = link
        try:
            link_id, days = await self._scope()
        except (ValueError, DomainError) as error:
            self.error = getattr(error, "detail", "Pick a start and an end day.")
            return
        self.loading, self.error = True, ""
        yield
        try:
            async with database.session() as db:
                answer = await insights.generate_insight(
                    db=db, owner_id=user_id, prompt=self.prompt, link_id=link_id, start=days.start, end=days.end, tz=days.tz.key
                )
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
            self.quick = quick_lines(answer.get("facts") or {}, today=datetime.now(days.tz).date())
        finally:
            self.loading = False
