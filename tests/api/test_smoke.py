from tests.factories import create_link, register, short_path


async def test_register_create_and_follow_link(client):
    user = await register(client)
    link = await create_link(client, user, url="HTTPS://Example.COM:443/a?b=1")
    assert link["url"] == "https://example.com/a?b=1"
    response = await client.get(short_path(link), headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"})
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/a?b=1"
