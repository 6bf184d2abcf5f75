"""User-agent patterns per bot reason (lower case), first reason wins.

Named services come before generic tools: LinkedIn's previewer says "Apache-HttpClient",
Mastodon's says "http.rb", Checkly's runs HeadlessChrome, and each is what it is for, not what
it is built with. Tokens are chosen so that in-app browsers (FBAN, Instagram, [LinkedInApp],
Twitter for iPhone, [Pinterest/iOS], Telegram-Android, Line/...) never match.
"""

from __future__ import annotations

from linkapp.services.visitors.matching import AnyOf

# Link-preview fetchers of chat apps and social networks.
PREVIEW = (
    r"facebookexternalhit",  # Facebook, Instagram, Threads, iMessage, Line, KakaoTalk
    r"\bfacebot\b",
    r"twitterbot",  # X, and Telegram's "like TwitterBot"
    r"telegrambot",
    r"slackbot",
    r"slack-imgproxy",
    r"^whatsapp/",  # WhatsApp, and Signal, which borrows its agent
    r"discordbot",
    r"linkedinbot",
    r"skypeuripreview",  # Skype and Teams
    r"microsoftpreview",
    r"^mastodon/",
    r"^pleroma ",
    r"^akkoma ",
    r"^misskey/",
    r"pinterestbot",
    r"^pinterest/0\.",
    r"^viber/",  # its iOS app fetches previews through CFNetwork
    r"line-poker",
    r"kakaotalk-scrap",
    r"embedly",
    r"iframely",
    r"redditbot",
    r"vkshare",
    r"snap url preview",
    r"^tumblr/",
    r"cardyb",  # Bluesky
    r"yahoo link preview",
    r"developers\.google\.com/\+/web/snippet",  # Google Chat and Docs
    r"bitlybot",
    r"flipboardproxy",
    r"xing-contenttabreceiver",
    r"zoombot",
)

# Crawlers that collect text for language models, or fetch pages for an assistant's answer.
AI_CRAWLER = (
    r"gptbot",
    r"chatgpt-user",
    r"oai-searchbot",
    r"claudebot",
    r"claude-web",
    r"claude-user",
    r"claude-searchbot",
    r"anthropic-ai",
    r"\bccbot\b",
    r"perplexitybot",
    r"perplexity-user",
    r"google-extended",
    r"google-cloudvertexbot",
    r"bytespider",
    r"amazonbot",
    r"cohere-ai",
    r"cohere-training-data-crawler",
    r"diffbot",
    r"youbot",
    r"meta-externalagent",
    r"meta-externalfetcher",
    r"facebookbot",
    r"applebot-extended",
    r"imagesiftbot",
    r"ai2bot",
    r"timpibot",
    r"omgili",
    r"duckassistbot",
    r"mistralai-user",
    r"iaskspider",
    r"img2dataset",
    r"kangaroo bot",
    r"pangubot",
    r"webzio-extended",
)

# Uptime checks, synthetic monitoring and load-balancer health checks.
MONITOR = (
    r"uptimerobot",
    r"pingdom",
    r"statuscake",
    r"site24x7",
    r"datadog/synthetics",
    r"datadogsynthetics",
    r"newrelicpinger",
    r"better ?uptime",
    r"betterstack",
    r"checkly",
    r"googlestackdrivermonitoring",
    r"uptime-kuma",
    r"updown\.io",
    r"hetrixtools",
    r"freshping",
    r"ruxitsynthetic",
    r"catchpoint",
    r"check_http/",
    r"nagios",
    r"^zabbix",
    r"blackbox exporter",
    r"elb-healthchecker",
    r"googlehc/",
    r"kube-probe/",
    r"amazon-route53-health-check",
    r"cloudflare-healthchecks",
    r"uptime\.com",
    r"montastic",
    r"alertsite",
)

# Search engines and SEO tools.
CRAWLER = (
    r"googlebot",
    r"adsbot-google",
    r"mediapartners-google",
    r"storebot-google",
    r"apis-google",
    r"google-inspectiontool",
    r"googleother",
    r"feedfetcher-google",
    r"bingbot",
    r"bingpreview",
    r"msnbot",
    r"adidxbot",
    r"yandex[\w.-]*bot",
    r"yandeximages",
    r"baiduspider",
    r"duckduckbot",
    r"duckduckgo-favicons-bot",
    r"applebot",
    r"sogou[\w ]*spider",
    r"seznambot",
    r"\byeti/",
    r"qwantify",
    r"qwantbot",
    r"exabot",
    r"yahoo! slurp",
    r"coccocbot",
    r"mail\.ru_bot",
    r"mojeekbot",
    r"seekportbot",
    r"petalbot",
    r"ahrefsbot",
    r"ahrefssiteaudit",
    r"semrushbot",
    r"siteauditbot",
    r"mj12bot",
    r"dotbot",
    r"rogerbot",
    r"blexbot",
    r"serpstatbot",
    r"dataforseobot",
    r"barkrowler",
    r"megaindex",
    r"screaming frog",
    r"sitebulb",
    r"ia_archiver",
    r"archive\.org_bot",
    r"360spider",
)

# Browsers driven by programs.
HEADLESS = (
    r"headlesschrome",
    r"phantomjs",
    r"puppeteer",
    r"playwright",
    r"selenium",
    r"webdriver",
    r"electron/",
    r"\bjsdom/",
    r"chrome-lighthouse",
    r"wkhtmlto",
    r"\bsplash\b",
    r"slimerjs",
    r"htmlunit",
)

# HTTP libraries and command-line clients.
HTTP_CLIENT = (
    r"^curl/",
    r"\blibcurl\b",
    r"^wget",
    r"python-requests",
    r"python-httpx",
    r"aiohttp/",
    r"python-urllib",
    r"urllib3",
    r"go-http-client",
    r"okhttp",
    r"^axios/",
    r"node-fetch",
    r"^undici",
    r"^node$",
    r"^got \(",
    r"^java/",
    r"apache-httpclient",
    r"jakarta commons-httpclient",
    r"libwww-perl",
    r"^lwp-",
    r"postmanruntime",
    r"^insomnia/",
    r"^httpie/",
    r"^ruby\b",
    r"^faraday ",
    r"^rest-client/",
    r"^http\.rb/",
    r"guzzlehttp",
    r"powershell/",
    r"^dart/",
    r"^deno/",
    r"^bun/",
    r"^scrapy/",
    r"^dalvik/",  # an Android app's own client; the app's browser would send a browser agent
    r"\bcfnetwork/",  # likewise for an iOS app
    r"^aria2/",
    r"^vert\.x-webclient",
    r"^reqwest",
)

# In order: the first reason whose patterns match names the agent. Matched (on RE2: linear in
# the agent's length) against the lower-cased agent, so the patterns are written lower case.
UA_REASONS: tuple[tuple[str, AnyOf], ...] = tuple(
    (reason, AnyOf(patterns))
    for reason, patterns in (
        ("preview", PREVIEW),
        ("ai_crawler", AI_CRAWLER),
        ("monitor", MONITOR),
        ("crawler", CRAWLER),
        ("headless", HEADLESS),
        ("http_client", HTTP_CLIENT),
    )
)
