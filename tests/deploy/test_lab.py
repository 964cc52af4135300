"""deploy/lab/lab.sh: its syntax, and the configuration it writes (no root needed)."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "deploy" / "lab" / "lab.sh"
LAB_NET = ipaddress.ip_network("10.77.0.0/24")
IPV4 = re.compile(r"(?<![\d.])(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?![\d.])")


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lab-config")
    subprocess.run(["bash", str(LAB), "config", str(folder)], check=True, capture_output=True)
    return folder


def test_lab_script_parses() -> None:
    subprocess.run(["bash", "-n", str(LAB)], check=True)


def test_every_address_in_the_lab_configuration_is_the_labs_own_or_loopback(
    config: Path,
) -> None:
    files = [p for p in config.iterdir() if p.suffix in (".conf", ".env")]
    assert {p.name for p in files} >= {
        "nginx.conf",
        "nginx-site.conf",
        "disquaire.env",
        "redis.conf",
        "ceph.conf",
        "postgresql-lab.conf",
        "pg_hba-lab.conf",
    }
    for path in files:
        for text in IPV4.findall(path.read_text()):
            address = ipaddress.ip_address(text)
            assert address in LAB_NET or address.is_loopback or text == "10.77.0.0", (
                f"{path.name}: {text}"
            )
        assert "0.0.0.0" not in path.read_text(), path.name  # noqa: S104


def test_balancer_uses_the_operators_site_with_both_app_hosts_and_no_tls(config: Path) -> None:
    site = (config / "nginx-site.conf").read_text()
    operators = (ROOT / "deploy" / "nginx" / "disquaire.conf").read_text()
    # The operators' file, changed only where the lab differs.
    assert "proxy_cache_lock on;" in site and "proxy_cache_lock on;" in operators
    assert "server 10.77.0.11:8000 max_fails=3 fail_timeout=10s;" in site
    assert "server 10.77.0.12:8000 max_fails=3 fail_timeout=10s;" in site
    assert "keepalive 32;" in site
    assert re.findall(r"^\s*listen\s+([^;]+);", site, re.M) == ["10.77.0.10:80"]
    assert "ssl_certificate" not in site
    assert not [line for line in site.splitlines() if line.rstrip().endswith("# tls")]
    assert "allow 10.77.0.0/24;" in site


def test_every_disquaire_host_shares_one_environment_pointing_at_the_lab(config: Path) -> None:
    env = dict(
        line.split("=", 1)
        for line in (config / "disquaire.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["DATABASE_URL"] == "postgres://disquaire@10.77.0.31:5432/disquaire"
    assert env["DISQUAIRE_DATABASE_REPLICA_URL"] == "postgres://disquaire@10.77.0.32:5432/disquaire"
    assert env["DISQUAIRE_CACHE_URL"] == "redis://10.77.0.41:6379/0"
    assert env["DISQUAIRE_STORAGE"] == "s3"
    assert env["DISQUAIRE_S3_ENDPOINT_URL"] == "http://10.77.0.51:7480"
    # Set explicitly: the default list of providers may change.
    assert {"test", "stripe"} <= set(env["DISQUAIRE_PAYMENT_PROVIDERS"].split(","))
    # Stripe's API is the fake that bench/cluster.py runs on the fan host.
    assert env["DISQUAIRE_STRIPE_API_BASE"] == "http://10.77.0.100:12111"
    assert env["DISQUAIRE_STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
    assert env["DISQUAIRE_TRUSTED_PROXIES"] == "10.77.0.10"
    assert len(env["DISQUAIRE_SECRET_KEY"]) >= 40


def test_configuration_written_again_keeps_its_secrets(config: Path) -> None:
    before = (config / "disquaire.env").read_text()
    subprocess.run(["bash", str(LAB), "config", str(config)], check=True, capture_output=True)
    assert (config / "disquaire.env").read_text() == before


def test_ceph_is_a_single_node_cluster_whose_gateway_listens_in_the_lab(config: Path) -> None:
    ceph = (config / "ceph.conf").read_text()
    assert "osd pool default size = 1" in ceph
    assert "osd objectstore = memstore" in ceph
    assert "rgw frontends = beast endpoint=10.77.0.51:7480" in ceph
    # radosgw asks for "secure" monitor connections, which only cephx offers.
    assert "ms mon client mode = crc" in ceph


def test_redis_is_a_cache_without_persistence(config: Path) -> None:
    redis = (config / "redis.conf").read_text()
    assert 'save ""' in redis and "appendonly no" in redis
    assert "maxmemory-policy allkeys-lru" in redis
    assert "bind 10.77.0.41" in redis


@pytest.mark.skipif(
    shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin") is None, reason="nginx not installed"
)
def test_nginx_accepts_the_lab_configuration(tmp_path: Path) -> None:
    subprocess.run(
        ["bash", str(LAB), "config", str(tmp_path)],
        check=True,
        capture_output=True,
        env={"DQLAB_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    for folder in ("lb/temp", "lb/cache", "lb/data/static"):
        (tmp_path / folder).mkdir(parents=True)
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin")
    assert nginx is not None
    done = subprocess.run(
        [nginx, "-t", "-q", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path / "lb")],
        capture_output=True,
        text=True,
    )
    # nginx -t reads the whole configuration, then binds its addresses: outside the lab
    # the balancer's address does not exist, and that must be the only complaint.
    errors = [line for line in done.stderr.splitlines() if "[emerg]" in line]
    assert done.returncode == 0 or (
        len(errors) == 1 and "bind() to 10.77.0.10:80 failed" in errors[0]
    ), done.stderr
