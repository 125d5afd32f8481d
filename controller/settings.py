"""Controller settings from the environment, prefix REGSCAN_ (pure pydantic-settings).

Every setting has a default and a description; `settings_help()` renders them for
`regscan controller --help` and `python -m controller --help`, so the help is this model.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "REGSCAN_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    namespace: str = Field(
        default="regscan-system",
        description="namespace of the controller's CronJobs, Jobs and Lease",
    )
    job_image: str = Field(default="regscan:dev", description="container image the Jobs run")
    s3_endpoint: str = Field(
        default="http://minio.regscan-system.svc:9000",
        description="S3 endpoint of the result store (credentials from AWS_ACCESS_KEY_ID/"
        "AWS_SECRET_ACCESS_KEY)",
    )
    s3_bucket: str = Field(default="regscan", description="S3 bucket of the result store")
    s3_secret: str = Field(
        default="regscan-s3",
        description="Secret (keys accessKey, secretKey) the Jobs get S3 keys from",
    )
    poll_seconds: float = Field(
        default=10.0, gt=0, description="seconds between two reconcile ticks"
    )
    watch_namespaces: str = Field(
        default="",
        description="comma-separated namespaces whose Registries are watched; empty = all",
    )
    trivy_db_repository: str | None = Field(
        default=None,
        description="vulnerability-DB mirror (HOST/REPO[:TAG]); unset = Trivy's default",
    )
    job_ttl_seconds: int = Field(
        default=86400, description="ttlSecondsAfterFinished of finished Jobs"
    )
    cronjob_history: int = Field(default=3, description="successful/failed Job history of CronJobs")
    rescan_after_hours: float = Field(
        default=24.0,
        description="digests whose report used a DB older than this are queued again "
        "(0 = never); a Job re-uses a report still current for the scanner and DB",
    )
    db_check_seconds: float = Field(
        default=900.0,
        description="how often each DB mirror is asked for its DB's digest (one HEAD); a new "
        "digest starts a rescan run of each Registry whose reports used another DB (0 = never)",
    )
    metrics_port: int = Field(
        default=8080, ge=0, le=65535, description="port of /metrics, /healthz, /readyz; 0 = off"
    )
    lease_seconds: int = Field(default=30, ge=1, description="leader-election Lease duration")
    kubeconfig: str | None = Field(
        default=None,
        description="kubeconfig file; unset = in-cluster, else $KUBECONFIG/~/.kube/config",
    )

    def watched(self) -> list[str]:
        return [n.strip() for n in self.watch_namespaces.split(",") if n.strip()]


def settings_help() -> str:
    """One line per setting: `REGSCAN_NAME (default: X)` and what it means."""
    lines = [
        "Runs the Kubernetes controller: reconciles Registry resources into CronJobs and "
        "Jobs and publishes their status. It uses the kubeconfig (REGSCAN_KUBECONFIG, "
        "in-cluster, or $KUBECONFIG/~/.kube/config). Settings, from the environment:",
        "",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "unset" if default is None else (repr(default) if default == "" else default)
        lines.append(f"  {PREFIX}{name.upper()} (default: {shown})")
        lines.append(f"      {field.description}")
    return "\n".join(lines)
