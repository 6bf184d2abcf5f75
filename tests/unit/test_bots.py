"""services/bots: which requests are people, and which are crawlers, previewers and tools."""

from __future__ import annotations

import pytest

from linkapp.services.visitors.bots import is_bot_request, is_bot_user_agent

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

PEOPLE = {
    "chrome": CHROME,
    "chrome-linux": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "firefox": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "edge": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "safari-ios": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "chrome-android": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "samsung": "Mozilla/5.0 (Linux; Android 13; SM-S908B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "facebook-in-app": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0]",
    "instagram-in-app": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 305.0.0.23.111",
}

BOTS = {
    # search and SEO crawlers
    "googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "applebot": "Mozilla/5.0 (compatible; Applebot/0.1)",
    "ahrefs": "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    # AI crawlers
    "gptbot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)",
    "claudebot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
    "perplexity": "Mozilla/5.0 (compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)",
    # link-preview fetchers
    "slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebook-preview": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "twitter": "Twitterbot/1.0",
    "discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "telegram": "TelegramBot (like TwitterBot)",
    "whatsapp": "WhatsApp/2.23.20.0",
    "linkedin": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "skype": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) SkypeUriPreview Preview/0.5",
    # HTTP libraries and command-line clients
    "curl": "curl/8.5.0",
    "wget": "Wget/1.21.4",
    "python-requests": "python-requests/2.31.0",
    "httpx": "python-httpx/0.27.0",
    "aiohttp": "Python/3.12 aiohttp/3.9.5",
    "go": "Go-http-client/1.1",
    "okhttp": "okhttp/4.12.0",
    "java": "Java/17.0.1",
    "node-fetch": "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "axios": "axios/1.6.0",
    "httpie": "HTTPie/3.2.2",
    "postman": "PostmanRuntime/7.36.0",
    # headless browsers
    "headless-chrome": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
    "phantomjs": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
    # monitoring probes
    "uptimerobot": "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "pingdom": "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
}


@pytest.mark.parametrize("user_agent", PEOPLE.values(), ids=PEOPLE.keys())
def test_is_bot_user_agent_with_browser_is_false(user_agent):
    assert is_bot_user_agent(user_agent) is False


@pytest.mark.parametrize("user_agent", BOTS.values(), ids=BOTS.keys())
def test_is_bot_user_agent_with_crawler_or_tool_is_true(user_agent):
    assert is_bot_user_agent(user_agent) is True


@pytest.mark.parametrize("user_agent", ["", " ", "\t"])
def test_is_bot_user_agent_with_empty_agent_is_true(user_agent):
    assert is_bot_user_agent(user_agent) is True


def test_is_bot_request_with_browser_get_is_false():
    assert is_bot_request("GET", CHROME) is False
    assert is_bot_request("GET", CHROME, "") is False
    assert is_bot_request("GET", CHROME, "   ") is False


def test_is_bot_request_with_head_is_true_even_from_a_browser():
    assert is_bot_request("HEAD", CHROME) is True


@pytest.mark.parametrize("purpose", ["prefetch", "Prefetch", "prefetch;anonymous-client-ip", "prerender", "preview", " prefetch"])
def test_is_bot_request_with_prefetch_purpose_is_true(purpose):
    assert is_bot_request("GET", CHROME, purpose) is True


@pytest.mark.parametrize("user_agent", [BOTS["curl"], BOTS["googlebot"], ""])
def test_is_bot_request_with_bot_agent_is_true(user_agent):
    assert is_bot_request("GET", user_agent) is True
