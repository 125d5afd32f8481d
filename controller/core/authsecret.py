"""Whether the Secrets a Registry names can be used, and the copies the Jobs mount (pure).

Two Secrets, both read from the Registry's own namespace: `spec.authSecret` (the
registry's dockerconfigjson; the discovery CronJob mounts a standing copy, each run's scan
Job a per-run copy) and `spec.scanner.authSecret` (a harbor scanner's token: a per-run
copy for the scan Job). Per-run copies carry the run label and go when the run is
summarized.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.core import builders, naming, reasons
from controller.core.observed import Decision, Observed, RegistryObs
from controller.settings import Settings
from job_images.credentials import DOCKERCONFIGJSON_KEY, DOCKERCONFIGJSON_TYPE
from regscan.common.jobs import SCANNER_TOKEN_KEY
from regscan.common.registry import RegistrySpec

Problem = tuple[str, str, str]  # spec field, message, condition reason


@dataclass(frozen=True)
class AuthDecision:
    """`problem` when a named Secret is unusable; otherwise the dockerconfigjson to copy
    (None: the Registry needs no credentials) and the scanner token (None: none)."""

    docker_config_json: str | None = None
    scanner_token: str | None = None
    problem: Problem | None = None

    @property
    def needed(self) -> bool:
        return self.docker_config_json is not None


def _value(
    reg: RegistryObs, observed: Observed, field: str, name: str, type_: str | None, key: str
) -> tuple[str | None, Problem | None]:
    """Secret `name`'s value at `key`, or the problem naming `field`."""
    found = observed.auth.get((reg.namespace, name))
    if found is None:
        message = f"Secret {name} not found in namespace {reg.namespace}"
        return None, (field, message, reasons.AUTH_SECRET_NOT_FOUND)
    value = found.data.get(key, "").strip()
    if (type_ is not None and found.type != type_) or not value:
        need = f"be of type {type_} with key {key}" if type_ else f"have a non-empty key {key}"
        message = f"Secret {name} must {need}"
        return None, (field, message, reasons.AUTH_SECRET_INVALID)
    return found.data[key], None


def auth_decision(reg: RegistryObs, spec: RegistrySpec, observed: Observed) -> AuthDecision:
    config = token = None
    if spec.authSecret:
        config, problem = _value(
            reg,
            observed,
            "spec.authSecret",
            spec.authSecret,
            DOCKERCONFIGJSON_TYPE,
            DOCKERCONFIGJSON_KEY,
        )
        if problem:
            return AuthDecision(problem=problem)
    if spec.scanner.authSecret:
        field = "spec.scanner.authSecret"
        token, problem = _value(
            reg, observed, field, spec.scanner.authSecret, None, SCANNER_TOKEN_KEY
        )
        if problem:
            return AuthDecision(problem=problem)
    return AuthDecision(docker_config_json=config, scanner_token=token)


def registry_copy_name(reg: RegistryObs) -> str:
    return naming.dns_name("rs-auth", reg.namespace, reg.name)


def registry_copy(reg: RegistryObs, auth: AuthDecision, settings: Settings) -> Decision:
    """The Registry's copy in the controller's namespace (the discovery CronJob mounts it)."""
    if auth.docker_config_json is None:
        return Decision()
    secret = builders.secret_copy(
        reg.namespace,
        reg.name,
        registry_copy_name(reg),
        DOCKERCONFIGJSON_TYPE,
        {DOCKERCONFIGJSON_KEY: auth.docker_config_json},
        settings,
    )
    return Decision(apply=(secret,))


@dataclass(frozen=True)
class RunCopies:
    """The per-run Secret copies a scan Job mounts (names; None: not needed)."""

    registry: str | None
    scanner: str | None
    decision: Decision


def run_copies(reg: RegistryObs, auth: AuthDecision, run: str, settings: Settings) -> RunCopies:
    """Per-run copies the scan Job mounts (deleted when the run is summarized)."""
    registry = scanner = None
    apply = []
    if auth.docker_config_json is not None:
        registry = naming.auth_secret_name(run)
        data = {DOCKERCONFIGJSON_KEY: auth.docker_config_json}
        apply.append(
            builders.secret_copy(
                reg.namespace, reg.name, registry, DOCKERCONFIGJSON_TYPE, data, settings, run
            )
        )
    if auth.scanner_token is not None:
        scanner = naming.scanner_secret_name(run)
        data = {SCANNER_TOKEN_KEY: auth.scanner_token}
        apply.append(
            builders.secret_copy(reg.namespace, reg.name, scanner, "Opaque", data, settings, run)
        )
    return RunCopies(registry, scanner, Decision(apply=tuple(apply)))
