"""Whether a Registry's `authSecret` can be used, and the copies the Jobs mount (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from controller.core import builders, naming, reasons
from controller.core.observed import Decision, Observed, RegistryObs
from controller.settings import Settings
from job_images.credentials import DOCKERCONFIGJSON_TYPE
from regscan.common.registry import RegistrySpec


@dataclass(frozen=True)
class AuthDecision:
    """`problem` (field, message, condition reason) when the Secret is unusable; otherwise
    the dockerconfigjson to copy (None: the Registry needs no credentials).
    """

    docker_config_json: str | None = None
    problem: tuple[str, str, str] | None = None

    @property
    def needed(self) -> bool:
        return self.docker_config_json is not None


def auth_decision(reg: RegistryObs, spec: RegistrySpec, observed: Observed) -> AuthDecision:
    if not spec.authSecret:
        return AuthDecision()
    found = observed.auth.get((reg.namespace, spec.authSecret))
    if found is None:
        message = f"Secret {spec.authSecret} not found in namespace {reg.namespace}"
        return AuthDecision(problem=("spec.authSecret", message, reasons.AUTH_SECRET_NOT_FOUND))
    if found.type != DOCKERCONFIGJSON_TYPE or not found.docker_config_json:
        message = (
            f"Secret {spec.authSecret} must be of type {DOCKERCONFIGJSON_TYPE} "
            "with key .dockerconfigjson"
        )
        return AuthDecision(problem=("spec.authSecret", message, reasons.AUTH_SECRET_INVALID))
    return AuthDecision(docker_config_json=found.docker_config_json)


def registry_copy_name(reg: RegistryObs) -> str:
    return naming.dns_name("rs-auth", reg.namespace, reg.name)


def registry_copy(reg: RegistryObs, auth: AuthDecision, settings: Settings) -> Decision:
    """The Registry's copy in the controller's namespace (the discovery CronJob mounts it)."""
    if auth.docker_config_json is None:
        return Decision()
    secret = builders.auth_secret_copy(
        reg.namespace, reg.name, registry_copy_name(reg), auth.docker_config_json, settings
    )
    return Decision(apply=(secret,))


def run_copy(
    reg: RegistryObs, auth: AuthDecision, run: str, settings: Settings
) -> tuple[str | None, Decision]:
    """A per-run copy the scan Job mounts (deleted when the run is summarized)."""
    if auth.docker_config_json is None:
        return None, Decision()
    name = naming.auth_secret_name(run)
    secret = builders.auth_secret_copy(
        reg.namespace, reg.name, name, auth.docker_config_json, settings, run
    )
    return name, Decision(apply=(secret,))
