"""How the registry client talks: timeouts, retries, TLS, concurrency (pure data)."""

from __future__ import annotations

from dataclasses import dataclass

from job_images.discovery.retries import RetryPolicy


@dataclass(frozen=True)
class ClientOptions:
    timeout: float = 30.0
    retries: int = 4  # extra attempts after the first
    backoff: float = 0.25
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    concurrency: int = 8
    ca_file: str | None = None
    insecure: bool = False
    page_size: int = 1000

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.retries, self.backoff, self.max_backoff, self.max_retry_after)
