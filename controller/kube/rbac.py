"""The controller's least-privilege RBAC, with the reason for every verb (pure).

`python -m controller.kube.rbac > manifests/rbac.yaml`; a test fails if the file drifts.
The verbs are the ones `KubeClient` and the loop use: SSA is a PATCH (and a create
when the object is new), status goes through its subresource only, Jobs are never
watched (the loop polls with list).
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.api import labels as L

SERVICE_ACCOUNT = "regscan-controller"


@dataclass(frozen=True)
class Rule:
    group: str
    resource: str
    verbs: tuple[str, ...]
    why: str


# Cluster-wide: Registries live in any (watched) namespace.
CLUSTER_RULES = [
    Rule(L.GROUP, L.PLURAL, ("list",), "read every Registry each poll"),
    Rule(L.GROUP, f"{L.PLURAL}/status", ("patch",), "publish the summary; spec is never written"),
    Rule("", "secrets", ("get",), "read a Registry's authSecret, by name, in its own namespace"),
    Rule("", "events", ("create",), "run started/finished/failed Events on the Registry"),
]

# In the controller's own namespace only: the objects it creates and deletes.
NAMESPACE_RULES = [
    Rule(
        "batch",
        "cronjobs",
        ("list", "create", "patch", "delete"),
        "one discovery CronJob per Registry: server-side apply, removal with the Registry",
    ),
    Rule(
        "batch",
        "jobs",
        ("list", "create", "patch", "delete"),
        "manual discovery Jobs and one Indexed scan Job per run; status read by list",
    ),
    Rule(
        "",
        "secrets",
        ("list", "create", "patch", "delete"),
        "copies of authSecrets for the Jobs, labelled, removed after the run",
    ),
    Rule(
        "coordination.k8s.io",
        "leases",
        ("get", "create", "update"),
        "leader election between the replicas",
    ),
]


def _rules(rules: list[Rule], indent: str) -> str:
    out = []
    for r in rules:
        out.append(f"{indent}# {r.why}")
        out.append(f'{indent}- apiGroups: ["{r.group}"]')
        out.append(f"{indent}  resources: [{r.resource}]")
        out.append(f"{indent}  verbs: [{', '.join(r.verbs)}]")
    return "\n".join(out)


def render(namespace: str = "regscan-system") -> str:
    return f"""# Generated from controller/kube/rbac.py (python -m controller.kube.rbac): do not edit.
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {SERVICE_ACCOUNT}
  namespace: {namespace}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: regscan-controller
rules:
{_rules(CLUSTER_RULES, "  ")}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: regscan-controller
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: regscan-controller
subjects:
  - kind: ServiceAccount
    name: {SERVICE_ACCOUNT}
    namespace: {namespace}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: regscan-controller
  namespace: {namespace}
rules:
{_rules(NAMESPACE_RULES, "  ")}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: regscan-controller
  namespace: {namespace}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: regscan-controller
subjects:
  - kind: ServiceAccount
    name: {SERVICE_ACCOUNT}
    namespace: {namespace}
"""


if __name__ == "__main__":
    print(render(), end="")
