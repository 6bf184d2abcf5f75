"""Small GeoIP databases for tests, written with mmdb-writer in the GeoLite2-City shape."""

from __future__ import annotations

from mmdb_writer import MMDBWriter
from netaddr import IPSet


def city(country: str, name: str) -> dict:
    return {"country": {"iso_code": country}, "city": {"names": {"en": name}}}


# Public networks (documentation ranges count as private and are never placed), for the
# browser tests' visitors. Only written into a test database: nothing is sent to them.
SAMPLE_NETWORKS = {
    "23.0.0.0/16": city("US", "New York"),
    "5.9.0.0/16": city("DE", "Berlin"),
    "1.0.16.0/20": city("JP", "Tokyo"),
}


def build_mmdb(path, networks: dict[str, dict]) -> str:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City", languages=["en"], description="test")
    for network, record in networks.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return str(path)
