"""Group/version, label and annotation keys, field manager: one place for each (pure)."""

GROUP = "regscan.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "Registry"
PLURAL = "registries"
SINGULAR = "registry"
SHORT_NAMES = ["reg"]

FIELD_MANAGER = "regscan-controller"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "regscan"
COMPONENT = "regscan.dev/component"  # discovery | scan | auth
REGISTRY_NAMESPACE = "regscan.dev/registry-namespace"
REGISTRY_NAME = "regscan.dev/registry-name"
REGISTRY_UID = "regscan.dev/registry-uid"
RUN_ID = "regscan.dev/run-id"
RUN_KIND = "regscan.dev/run-kind"  # on a rescan Job (component discovery): "rescan"
RESCAN = "rescan"
SPEC_HASH = "regscan.dev/spec-hash"
SCAN_REQUESTED = "regscan.dev/scan-requested"  # annotation on a Registry: any new value = run now
APPLIED_HASH = "regscan.dev/applied-hash"  # hash of the object as the controller applied it
HANDLED_REQUEST = "regscan.dev/handled-scan-request"  # annotation on the CronJob
