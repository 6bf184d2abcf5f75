"""The insights panel asks the AI service (a local fake of Gemini) and shows its answer."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import api_link


def test_ask_question_shows_answer_beside_quick_facts(page, signed_in, base_url, fake_gemini):
    fake_gemini.reset()
    fake_gemini.answer({"summary": "Tuesday mornings work best for you.", "highlights": ["Newsletter brings most clicks."], "suggestions": ["Send on Tuesdays."]})
    api_link(base_url, signed_in, title="Newsletter link")
    page.reload()
    expect(page.locator("#quick-insights")).to_contain_text("clicks from")
    page.fill("#insight-prompt", "When should I post?")
    page.click("#insight-ask")
    expect(page.locator("#insight-summary")).to_have_text("Tuesday mornings work best for you.")
    expect(page.locator("#insight-answer")).to_contain_text("Send on Tuesdays.")
    sent = fake_gemini.requests[-1]
    assert any("When should I post?" in part for part in sent.user_parts)
    assert any("Newsletter link" in part for part in sent.user_parts)  # the facts went along


def test_provider_failure_shows_a_plain_message(page, signed_in, fake_gemini):
    fake_gemini.reset()
    fake_gemini.fail(500, "backend exploded")
    page.fill("#insight-prompt", "Anything interesting?")
    page.click("#insight-ask")
    expect(page.locator("#insight-error")).to_be_visible()
    expect(page.locator("#insight-error")).not_to_contain_text("exploded")
    fake_gemini.reset()
