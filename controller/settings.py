"""Controller settings from the environment, prefix REGSCAN_ (pure pydantic-settings)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGSCAN_", extra="ignore")

    namespace: str = "regscan-system"
    job_image: str = "regscan:dev"
    s3_endpoint: str = "http://minio.regscan-system.svc:9000"
    s3_bucket: str = "regscan"
    s3_secret: str = Field(default="regscan-s3", description="Secret with accessKey, secretKey")
    poll_seconds: float = 10.0
    watch_namespaces: str = ""  # comma-separated; empty = all
    trivy_db_repository: str | None = None
    job_ttl_seconds: int = 86400
    cronjob_history: int = 3
    # digests whose report used a DB older than this are queued again (0: never); the
    # Job re-uses the stored report when its scanner and DB are still current
    rescan_after_hours: float = 24.0
    # how often the DB mirror is asked for its DB's digest (one HEAD per mirror); a new
    # digest starts a rescan run of each Registry whose reports used another DB (0: never)
    db_check_seconds: float = 900.0
    metrics_port: int = 8080  # /metrics, /healthz, /readyz; 0 = off
    lease_seconds: int = 30
    kubeconfig: str | None = None  # default: in-cluster, else $KUBECONFIG / ~/.kube/config

    def watched(self) -> list[str]:
        return [n.strip() for n in self.watch_namespaces.split(",") if n.strip()]
