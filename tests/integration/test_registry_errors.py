"""Connection problems against real registries: each named with its cause and fix, exit 1,
one line, no traceback; causes that cannot heal (TLS, DNS, 4xx) are not retried."""

from __future__ import annotations

import pytest

from job_images.discovery.client import RegistryClient
from job_images.discovery.options import ClientOptions
from regscan.common.errors import RegistryError
from tests.bench import servers
from tests.bench.catalog import SampleCatalog
from tests.bench.faults import FaultProxy, Rule
from tests.integration.helpers import regscan


def _discover(url: str, *extra: str) -> tuple[int, str]:
    out = regscan("discover", "--registry", url, "--retries", "2", "--timeout", "3", *extra)
    assert "Traceback" not in out.stderr
    return out.returncode, out.stderr.strip()


def test_tls_registry_errors(registry_tls: servers.Registry) -> None:
    http_url = registry_tls.url.replace("https://", "http://")
    code, err = _discover(registry_tls.url)
    assert code == 1 and len(err.splitlines()) == 1
    assert "TLS verification failed: " in err and "pass --ca-file PEM or --insecure" in err
    assert "attempts" not in err  # not retried
    code, err = _discover(http_url)
    assert code == 1 and f"the registry speaks TLS; use https://{registry_tls.host}" in err
    # a CA file that verifies: the next problem is the missing credentials (401), per endpoint
    code, err = _discover(registry_tls.url, "--ca-file", str(registry_tls.ca_file))
    assert code == 1 and "API check (GET /v2/): unauthorized" in err and "HTTP 401" in err


@pytest.mark.parametrize("url", ["https://{host}", "{host}"])
def test_tls_spoken_to_a_plain_http_registry(url: str, registry: servers.Registry) -> None:
    code, err = _discover(url.format(host=registry.host))  # no scheme means https
    assert code == 1
    assert f"plain HTTP, not TLS; use http://{registry.host}" in err
    assert "attempts" not in err


def test_refused_is_retried_then_named() -> None:
    port = servers.free_port()
    code, err = _discover(f"http://127.0.0.1:{port}")
    assert code == 1
    assert f"connection refused by 127.0.0.1:{port}" in err and "(after 3 attempts)" in err


def test_unresolvable_host_is_not_retried() -> None:
    code, err = _discover("https://no-such-registry.invalid")
    assert code == 1 and "cannot resolve host name 'no-such-registry.invalid'" in err
    assert "attempts" not in err


def test_timeout_names_the_option(proxy: FaultProxy) -> None:
    proxy.add(Rule(path=r"^/v2/$", status=0, delay=3))
    client = RegistryClient(proxy.url, None, ClientOptions(timeout=0.5, retries=1, backoff=0.01))
    with pytest.raises(RegistryError, match=r"no answer within 0.5 s \(--timeout\)"):
        client.ping()
    assert client.request_counts()["ping"] == 2  # a timeout is retried


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        (r"/_catalog", 401, "repository catalog (GET /v2/_catalog): catalog unavailable (unau"),
        (r"/_catalog", 403, "catalog unavailable (forbidden): this registry does not list"),
        (r"/_catalog", 404, "catalog unavailable (not found)"),
        (r"/_catalog", 403, "name repositories explicitly, without wildcards (--repository NAME"),
        (r"/_catalog", 429, "rate limited, retries exhausted"),
        (r"^/v2/$", 403, "API check (GET /v2/): forbidden"),
    ],
)
def test_http_errors_per_endpoint(
    proxy: FaultProxy, samples: SampleCatalog, path: str, status: int, fragment: str
) -> None:
    rule = proxy.add(Rule(path=path, status=status, headers={"Retry-After": "0"}))
    code, err = _discover(proxy.url)
    assert code == 1 and fragment in err and f"(HTTP {status})" in err, err
    assert rule.hits == (3 if status == 429 else 1)  # only 429 is retried


def test_missing_repository_and_tag(registry: servers.Registry, samples: SampleCatalog) -> None:
    code, err = _discover(registry.url, "--repository", "nope/x")
    assert code == 1 and "tag list (GET /v2/nope/x/tags/list): not found: no such repository" in err
