"""services/geo: country and city from a small .mmdb built here with mmdb-writer."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services.clicks.enrich import enrich
from linkapp.services.visitors import geo
from tests.geo_data import build_mmdb

LONDON = {"country": {"iso_code": "GB", "names": {"en": "United Kingdom"}}, "city": {"names": {"en": "London", "de": "London"}}}
TOKYO = {"country": {"iso_code": "JP", "names": {"en": "Japan"}}, "city": {"names": {"en": "Tokyo", "ja": "東京"}}}
# GeoLite2-Country: a country and no city.
SWEDEN = {"country": {"iso_code": "SE", "names": {"en": "Sweden"}}}
# No English name for the city: the first one given is taken.
MUNICH = {"country": {"iso_code": "DE"}, "city": {"names": {"de": "München"}}}
# Flat shape of some DB-IP and other exports.
BERLIN_FLAT = {"country_code": "de", "city": "Berlin"}
# Recorded for private ranges too, so that skipping them is what keeps them unplaced.
PRIVATE = {"country": {"iso_code": "US"}, "city": {"names": {"en": "Nowhere"}}}


@pytest.fixture(autouse=True)
def fresh_reader():
    geo.reset()
    yield
    geo.reset()


@pytest.fixture
def city_db(tmp_path, monkeypatch):
    path = build_mmdb(
        tmp_path / "city.mmdb",
        {
            "81.2.69.128/25": LONDON,
            "2001:218::/32": TOKYO,
            "89.160.20.0/24": SWEDEN,
            "2.125.160.0/24": MUNICH,
            "5.1.83.0/24": BERLIN_FLAT,
            "10.0.0.0/8": PRIVATE,
            "127.0.0.0/8": PRIVATE,
            "192.168.0.0/16": PRIVATE,
            "fc00::/7": PRIVATE,
        },
    )
    monkeypatch.setattr(settings, "GEOIP_DB_PATH", path)
    return path


@pytest.mark.usefixtures("city_db")
def test_locate_finds_country_and_city():
    assert geo.locate("81.2.69.142") == ("GB", "London")


@pytest.mark.usefixtures("city_db")
def test_locate_finds_ipv6_and_mapped_ipv4():
    assert geo.locate("2001:218:1:2::3") == ("JP", "Tokyo")
    assert geo.locate("::ffff:81.2.69.142") == ("GB", "London")


@pytest.mark.usefixtures("city_db")
def test_locate_with_country_only_record_has_no_city():
    assert geo.locate("89.160.20.112") == ("SE", None)


@pytest.mark.usefixtures("city_db")
def test_locate_without_english_name_takes_the_first_name():
    assert geo.locate("2.125.160.216") == ("DE", "München")


@pytest.mark.usefixtures("city_db")
def test_locate_reads_flat_records():
    assert geo.locate("5.1.83.9") == ("DE", "Berlin")


@pytest.mark.usefixtures("city_db")
@pytest.mark.parametrize("address", ["81.2.69.1", "8.8.8.8", "2a00:1450::1"])
def test_locate_with_unlisted_address_is_nowhere(address):
    assert geo.locate(address) == (None, None)


@pytest.mark.usefixtures("city_db")
@pytest.mark.parametrize(
    "address", ["10.1.2.3", "127.0.0.1", "192.168.1.20", "::1", "fd00::1", "::ffff:10.1.2.3", "169.254.1.1"]
)
def test_locate_with_private_or_loopback_address_is_nowhere(address):
    assert geo.locate(address) == (None, None)


@pytest.mark.usefixtures("city_db")
@pytest.mark.parametrize("address", [None, "", "not-an-ip", "81.2.69"])
def test_locate_with_invalid_address_is_nowhere(address):
    assert geo.locate(address) == (None, None)


def test_locate_without_database_is_nowhere(monkeypatch):
    monkeypatch.setattr(settings, "GEOIP_DB_PATH", None)
    assert geo.locate("81.2.69.142") == (None, None)


def test_locate_with_unreadable_database_is_nowhere_and_warns_once(tmp_path, monkeypatch, caplog):
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"not a database")
    monkeypatch.setattr(settings, "GEOIP_DB_PATH", str(broken))
    with caplog.at_level(logging.WARNING, logger="linkapp.services.visitors.geo"):
        assert geo.locate("81.2.69.142") == (None, None)
        assert geo.locate("81.2.69.142") == (None, None)
    assert len(caplog.records) == 1
    monkeypatch.setattr(settings, "GEOIP_DB_PATH", str(tmp_path / "missing.mmdb"))
    assert geo.locate("81.2.69.142") == (None, None)


def test_locate_reopens_when_the_path_changes(tmp_path, monkeypatch, city_db):
    assert geo.locate("81.2.69.142") == ("GB", "London")
    other = build_mmdb(tmp_path / "other.mmdb", {"81.2.69.0/24": TOKYO})
    monkeypatch.setattr(settings, "GEOIP_DB_PATH", other)
    assert geo.locate("81.2.69.142") == ("JP", "Tokyo")


@pytest.mark.usefixtures("city_db")
def test_enrich_places_the_raw_address_before_anonymizing(monkeypatch):
    monkeypatch.setattr(settings, "ANONYMIZE_IP", True)
    # 81.2.69.0, the stored /24, is outside the London /25: only the raw address finds it.
    visit = Click(link_id=1, clicked_at=datetime(2024, 5, 1, tzinfo=UTC), ip_address="81.2.69.142", user_agent="curl/8")
    row = enrich(visit, salt="s")
    assert (row["country"], row["city"], row["ip_address"]) == ("GB", "London", "81.2.69.0")
