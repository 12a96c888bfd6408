"""deploy/k8s, checked without a cluster: every YAML parses; each service of
deploy/local/services.tsv has a Deployment (probes on /readyz and /healthz, resources, secrets
by reference), a Service, an HPA on CPU and a PodDisruptionBudget with matching selectors; the
kustomizations list every file; and the resources validate strictly against the Kubernetes
JSON Schemas that the `kubernetes-validate` package ships (no download; custom kinds such as
ServiceMonitor are checked by their structure). Every workload has its own ServiceAccount without
an API token. The production overlay is rendered with `kubectl kustomize` when kubectl is on
PATH: the Ingress, the NetworkPolicies (evaluated by hand: which policies select each pod, which
peers and ports they admit), the ServiceMonitors and the mail settings are checked on it."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from parkgrid.contracts.topics import TOPICS
from parkgrid.settings import KitSettings

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy/k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays/production"
MONITORING = K8S / "components/monitoring"
KUBERNETES_VERSION = "1.33.0"  # the oldest minor still supported upstream when this was written

Resource = dict[str, Any]

# Custom resources: the Kubernetes JSON Schemas do not know them, so they are checked by hand.
CUSTOM_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}


def listed_services() -> list[tuple[str, int]]:
    rows = []
    for line in (REPO / "deploy/local/services.tsv").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, port, _app = line.split("\t")
            rows.append((name, int(port)))
    return rows


SERVICES = listed_services()


def documents(path: Path) -> list[Resource]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def manifests(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.name != "kustomization.yaml")


@functools.cache
def base_resources() -> list[Resource]:
    """Parsed once; tests read it and never change it (copy first, as the schema test does)."""
    return [d for p in manifests(BASE) for d in documents(p)]


def find(resources: list[Resource], kind: str, name: str) -> Resource:
    matches = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def container(deployment: Resource) -> Resource:
    [only] = deployment["spec"]["template"]["spec"]["containers"]
    result: Resource = only
    return result


def cpu(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory(quantity: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return int(quantity[: -len(suffix)]) * factor
    return int(quantity)


def kit_env_names() -> set[str]:
    return {str(f.validation_alias) for f in KitSettings.model_fields.values() if f.validation_alias}


def env_names_read() -> set[str]:
    """Every variable the code reads: pydantic settings aliases and os.environ look-ups."""
    pattern = re.compile(r'(?:validation_alias=|os\.environ\.get\(|os\.environ\[)"([A-Z][A-Z0-9_]+)"')
    sources = [*(REPO / "shared/src").rglob("*.py"), *(REPO / "services").glob("*/src/**/*.py")]
    return {name for path in sources for name in pattern.findall(path.read_text())}


# ------------------------------------------------------------------ files and kustomizations


@pytest.mark.parametrize("path", sorted(K8S.rglob("*.yaml")), ids=lambda p: str(p.relative_to(K8S)))
def test_every_yaml_parses_into_named_resources(path: Path) -> None:
    docs = documents(path)
    assert docs
    for doc in docs:
        assert doc.get("apiVersion"), path
        assert doc.get("kind"), path
        if doc["kind"] not in {"Kustomization", "Component"}:
            assert doc["metadata"]["name"], path


@pytest.mark.parametrize("directory", [BASE, OVERLAY, MONITORING], ids=["base", "production", "monitoring"])
def test_kustomization_references_exist(directory: Path) -> None:
    [kustomization] = documents(directory / "kustomization.yaml")
    referenced = [
        *kustomization.get("resources", []),
        *kustomization.get("components", []),
        *(p["path"] for p in kustomization.get("patches", [])),
    ]
    for reference in referenced:
        assert (directory / reference).exists(), f"{directory.name}: {reference} does not exist"
    listed = {(directory / r).resolve() for r in referenced}
    for path in manifests(directory):
        assert path.resolve() in listed, f"{path.name} is not in {directory.name}/kustomization.yaml"


def test_base_lists_one_file_per_service() -> None:
    [kustomization] = documents(BASE / "kustomization.yaml")
    for name, _ in SERVICES:
        assert f"{name}.yaml" in kustomization["resources"]


def test_overlay_builds_on_base_and_replaces_every_image() -> None:
    [kustomization] = documents(OVERLAY / "kustomization.yaml")
    assert "../../base" in kustomization["resources"]
    images = {i["name"] for i in kustomization["images"]}
    used = {
        c["image"]
        for r in base_resources()
        if r["kind"] in {"Deployment", "Job"}
        for c in r["spec"]["template"]["spec"]["containers"]
    }
    assert used <= images, f"images the overlay does not pin: {sorted(used - images)}"
    assert all(i.get("newTag") and i["newTag"] != "latest" for i in kustomization["images"])


# ------------------------------------------------------------------ one service


@pytest.mark.parametrize(("name", "port"), SERVICES)
def test_service_file_holds_deployment_service_hpa_and_pdb(name: str, port: int) -> None:
    kinds = sorted(d["kind"] for d in documents(BASE / f"{name}.yaml"))
    assert kinds == ["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"]


@pytest.mark.parametrize(("name", "port"), SERVICES)
def test_probes_on_the_runtime_endpoints(name: str, port: int) -> None:
    c = container(find(base_resources(), "Deployment", name))
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"http": port}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz", "liveness must not kill a slow start"


@pytest.mark.parametrize(("name", "port"), SERVICES)
def test_resources_requested_and_limited(name: str, port: int) -> None:
    resources = container(find(base_resources(), "Deployment", name))["resources"]
    for key in ("cpu", "memory"):
        assert key in resources["requests"]
        assert key in resources["limits"]
    assert cpu(resources["requests"]["cpu"]) <= cpu(resources["limits"]["cpu"])
    assert memory(resources["requests"]["memory"]) <= memory(resources["limits"]["memory"])
    assert memory(resources["requests"]["memory"]) >= 128 * 2**20, "a service idles at ~90 MB resident (measured)"


@pytest.mark.parametrize(("name", "port"), SERVICES)
def test_environment_config_map_and_secrets(name: str, port: int) -> None:
    resources = base_resources()
    c = container(find(resources, "Deployment", name))
    env = {e["name"]: e for e in c["env"]}
    assert env["PARKGRID_SERVICE_NAME"]["value"] == name
    assert env["UVICORN_PORT"]["value"] == str(port)
    assert env["MONGODB_URI"]["valueFrom"]["secretKeyRef"] == {"name": "parkgrid-secrets", "key": "mongodb-uri"}
    assert env["PARKGRID_JWT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "parkgrid-secrets"
    assert "value" not in env["MONGODB_URI"]
    assert "value" not in env["PARKGRID_JWT_SECRET"]
    # POD_NAME: the downward API, for $(POD_NAME) in another variable.
    assert set(env) - {"UVICORN_PORT", "POD_NAME"} <= env_names_read()
    ports = dict(SERVICES)
    for variable in env.values():
        match = re.fullmatch(r"http://([a-z]+):(\d+)", variable.get("value", ""))
        if variable["name"].endswith("_URL") and match:
            assert ports.get(match.group(1)) == int(match.group(2)), variable
    [source] = c["envFrom"]
    find(resources, "ConfigMap", source["configMapRef"]["name"])


def test_tickets_are_signed_with_a_required_key_of_their_own() -> None:
    """PARKGRID_TICKET_KEY from the Secret, not optional: the image is production, where community
    refuses to start without it (tests/security/test_security_production_secrets.py)."""
    env = {e["name"]: e for e in container(find(base_resources(), "Deployment", "community"))["env"]}
    assert env["PARKGRID_TICKET_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "parkgrid-secrets", "key": "ticket-key"}


def test_webhook_secrets_are_sealed_with_a_required_key_of_their_own() -> None:
    """INSIGHTS_WEBHOOK_SEALING_KEY from the Secret, not optional: the image is production, where
    insights refuses to start without it (tests/security/test_security_production_secrets.py)."""
    env = {e["name"]: e for e in container(find(base_resources(), "Deployment", "insights"))["env"]}
    sealing = env["INSIGHTS_WEBHOOK_SEALING_KEY"]["valueFrom"]["secretKeyRef"]
    assert sealing == {"name": "parkgrid-secrets", "key": "webhook-sealing-key"}


@pytest.mark.parametrize(("name", "port"), SERVICES)
def test_selectors_match(name: str, port: int) -> None:
    resources = base_resources()
    deployment = find(resources, "Deployment", name)
    selector = deployment["spec"]["selector"]["matchLabels"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()
    service = find(resources, "Service", name)
    assert service["spec"]["selector"] == selector
    assert service["spec"]["ports"][0]["port"] == port
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert find(resources, "PodDisruptionBudget", name)["spec"]["selector"]["matchLabels"] == selector
    target = find(resources, "HorizontalPodAutoscaler", name)["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", name)


@pytest.mark.parametrize(("name", "port"), SERVICES)
def test_autoscaling_on_cpu_and_disruption_budget(name: str, port: int) -> None:
    resources = base_resources()
    hpa = find(resources, "HorizontalPodAutoscaler", name)["spec"]
    assert 2 <= hpa["minReplicas"] <= hpa["maxReplicas"]
    [metric] = hpa["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    pdb = find(resources, "PodDisruptionBudget", name)["spec"]
    # With at least 2 replicas, one may go at a time: a drain never takes the service down.
    assert pdb.get("maxUnavailable") == 1 or pdb.get("minAvailable", 0) < hpa["minReplicas"]
    assert find(resources, "Deployment", name)["spec"]["replicas"] == hpa["minReplicas"]


@pytest.mark.parametrize(("name", "port"), SERVICES)
def test_pods_run_unprivileged(name: str, port: int) -> None:
    deployment = find(base_resources(), "Deployment", name)
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    c = container(deployment)["securityContext"]
    assert c["allowPrivilegeEscalation"] is False
    assert c["capabilities"]["drop"] == ["ALL"]


def pod_templates(resources: list[Resource]) -> dict[str, Resource]:
    """Every workload's pod template, by workload name: the Deployments and the topics Job."""
    return {r["metadata"]["name"]: r["spec"]["template"] for r in resources if r["kind"] in {"Deployment", "Job"}}


def test_every_workload_has_its_own_service_account_without_an_api_token() -> None:
    resources = base_resources()
    templates = pod_templates(resources)
    assert set(templates) == {name for name, _ in SERVICES} | {"parkgrid-topics"}
    accounts = [r for r in resources if r["kind"] == "ServiceAccount"]
    assert sorted(a["metadata"]["name"] for a in accounts) == sorted(templates), "one ServiceAccount per workload"
    for account in accounts:
        assert account["automountServiceAccountToken"] is False, account["metadata"]["name"]
    for name, template in templates.items():
        pod = template["spec"]
        assert pod["serviceAccountName"] == name, name
        # The pod's own setting overrides the account's: both must say no.
        assert pod["automountServiceAccountToken"] is False, name


def test_config_map_holds_only_settings_the_kit_reads_and_no_secret() -> None:
    for directory in (BASE, OVERLAY):
        config = find([d for p in manifests(directory) for d in documents(p)], "ConfigMap", "parkgrid-config")
        assert set(config["data"]) <= kit_env_names()
        assert not {"MONGODB_URI", "PARKGRID_JWT_SECRET"} & set(config["data"]), "secrets belong in the Secret"


def test_topics_job_runs_before_anything_needs_replicated_topics() -> None:
    job = find(base_resources(), "Job", "parkgrid-topics")
    c = job["spec"]["template"]["spec"]["containers"][0]
    assert c["args"][:2] == ["topics", "--ensure"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"OnFailure", "Never"}


# ------------------------------------------------------------------ schema validation


def validate(resource: Resource) -> None:
    """Strictly against the Kubernetes schemas; a custom resource is skipped (no schema), and
    checked structurally by its own test."""
    if (resource["apiVersion"], resource["kind"]) in CUSTOM_KINDS:
        return
    kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def whole_manifests() -> list[Path]:
    """Every manifest but the patches: a patch is partial (the rendered overlay is validated below)."""
    found = []
    for directory in (BASE, OVERLAY, MONITORING):
        [kustomization] = documents(directory / "kustomization.yaml")
        patches = {p["path"] for p in kustomization.get("patches", [])}
        found += [path for path in manifests(directory) if path.name not in patches]
    return found


@pytest.mark.parametrize("path", whole_manifests(), ids=lambda p: str(p.relative_to(K8S)))
def test_manifests_validate_against_kubernetes_schemas(path: Path) -> None:
    for resource in documents(path):
        validate(resource)


def test_custom_kinds_are_the_only_ones_without_a_schema() -> None:
    """The skip in validate() is for kinds the schemas really lack, and only for them."""
    [monitor, *_] = documents(MONITORING / "service-monitors.yaml")
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(monitor, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_catches_a_misspelt_field() -> None:
    deployment = find(base_resources(), "Deployment", SERVICES[0][0])
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    container(broken)["readinesProbe"] = container(broken).pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


@pytest.fixture(scope="module")
def rendered() -> list[Resource]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH (it renders the overlay: kubectl kustomize)")
    out = subprocess.run(
        [kubectl, "kustomize", str(OVERLAY)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d is not None]


def test_rendered_overlay_validates_and_is_complete(rendered: list[Resource]) -> None:
    for resource in rendered:
        validate(resource)
    for name, _ in SERVICES:
        for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
            assert find(rendered, kind, name)["metadata"]["namespace"] == "parkgrid"


def test_rendered_overlay_points_at_external_infrastructure(rendered: list[Resource]) -> None:
    config = find(rendered, "ConfigMap", "parkgrid-config")["data"]
    brokers = config["KAFKA_BOOTSTRAP_SERVERS"].split(",")
    assert len(brokers) >= 3
    assert config["KAFKA_REPLICATION_FACTOR"] == "3"
    assert config["PARKGRID_JWKS_URL"].startswith("https://")
    for resource in rendered:
        if resource["kind"] in {"Deployment", "Job"}:
            for c in resource["spec"]["template"]["spec"]["containers"]:
                assert c["image"].startswith("registry.example.org/"), c["image"]
                assert ":" in c["image"], c["image"]


def test_only_the_web_app_is_exposed_over_tls(rendered: list[Resource]) -> None:
    [ingress] = [r for r in rendered if r["kind"] == "Ingress"]
    spec = ingress["spec"]
    [rule] = spec["rules"]
    [tls] = spec["tls"]
    assert tls["hosts"] == [rule["host"]], "the certificate must cover the host served"
    assert tls["secretName"]
    [path] = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/", "Prefix")
    backend = path["backend"]["service"]
    assert backend["name"] == "frontdesk"
    service_ports = {p["name"]: p["port"] for p in find(rendered, "Service", "frontdesk")["spec"]["ports"]}
    assert backend["port"].get("name") == "http"
    assert "http" in service_ports
    assert "defaultBackend" not in spec
    for service in (r for r in rendered if r["kind"] == "Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]["name"]


def test_overlay_includes_the_monitoring_component() -> None:
    [kustomization] = documents(OVERLAY / "kustomization.yaml")
    assert "../../components/monitoring" in kustomization["components"]
    [component] = documents(MONITORING / "kustomization.yaml")
    assert component["kind"] == "Component"


def test_every_service_is_scraped_by_a_service_monitor(rendered: list[Resource]) -> None:
    monitors = [r for r in rendered if r["kind"] == "ServiceMonitor"]
    services = [r for r in rendered if r["kind"] == "Service"]
    assert sorted(m["metadata"]["name"] for m in monitors) == sorted(name for name, _ in SERVICES)
    for monitor in monitors:
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["metadata"]["namespace"] == "parkgrid"
        spec = monitor["spec"]
        assert set(spec["selector"]) == {"matchLabels"}
        selected = [s for s in services if spec["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()]
        assert [s["metadata"]["name"] for s in selected] == [monitor["metadata"]["name"]]
        [endpoint] = spec["endpoints"]
        assert endpoint["port"] == "http"
        assert endpoint["port"] in {p["name"] for p in selected[0]["spec"]["ports"]}
        assert endpoint["path"] == "/metrics"


def overlay_variables() -> set[str]:
    """Every variable the production overlay sets: its ConfigMap's keys and its patches' env."""
    names: set[str] = set()
    for resource in (d for p in manifests(OVERLAY) for d in documents(p)):
        if resource["kind"] == "ConfigMap":
            names |= set(resource["data"])
        if resource["kind"] in {"Deployment", "Job"}:
            for c in resource["spec"]["template"]["spec"]["containers"]:
                names |= {e["name"] for e in c.get("env", [])}
    return names


def test_overlay_sets_only_variables_the_code_reads() -> None:
    names = overlay_variables()
    assert {"INSIGHTS_SMTP_HOST", "INSIGHTS_SMTP_PORT", "INSIGHTS_MAIL_FROM"} <= names
    assert names <= env_names_read(), f"set but never read: {sorted(names - env_names_read())}"


def test_insights_mails_through_the_parks_relay(rendered: list[Resource]) -> None:
    env = container(find(rendered, "Deployment", "insights"))["env"]
    names = [e["name"] for e in env]
    assert len(names) == len(set(names)), "the patch replaces the base's variables, it does not repeat them"
    values = {e["name"]: e.get("value") for e in env}
    assert values["INSIGHTS_SMTP_HOST"] not in {None, "", "smtp", "127.0.0.1"}, "the compose name is no relay here"
    assert 1 <= int(values["INSIGHTS_SMTP_PORT"]) <= 65535
    assert re.fullmatch(r".*<[^@<>\s]+@[^@<>\s]+>", values["INSIGHTS_MAIL_FROM"] or "")
    if values.get("INSIGHTS_SMTP_USER"):  # a login travels only over TLS, its password from a Secret
        assert values["INSIGHTS_SMTP_SECURITY"] in {"starttls", "tls"}
        password = next(e for e in env if e["name"] == "INSIGHTS_SMTP_PASSWORD")
        assert "value" not in password
        assert password["valueFrom"]["secretKeyRef"]["key"] == "smtp-password"


def test_the_web_app_signs_in_with_the_issuer_the_apis_trust(rendered: list[Resource]) -> None:
    env = {e["name"]: e for e in container(find(rendered, "Deployment", "frontdesk"))["env"]}
    config = find(rendered, "ConfigMap", "parkgrid-config")["data"]
    issuer = env["PARKGRID_OIDC_ISSUER"]["value"]
    assert issuer == config["PARKGRID_JWT_ISSUER"], "the web app's tokens must be the ones the APIs accept"
    assert issuer.startswith("https://")
    assert env["PARKGRID_OIDC_CLIENT_ID"]["value"]
    assert "value" not in env["PARKGRID_OIDC_CLIENT_SECRET"]
    assert env["PARKGRID_OIDC_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "parkgrid-oidc",
        "key": "client-secret",
    }
    [ingress] = [r for r in rendered if r["kind"] == "Ingress"]
    host = ingress["spec"]["rules"][0]["host"]
    assert env["PARKGRID_OIDC_REDIRECT_URL"]["value"] == f"https://{host}/sign-in/oidc/callback"
    assert env["PARKGRID_ENV"]["value"] == "production", "no demo sign-in in production"


# ------------------------------------------------------------------ network policies

NAMESPACE = "parkgrid"
MONGODB_PORT = 27017  # the port of the Secret's mongodb-uri (not in git; the overlay's header shows it)
PROMETHEUS = ({"kubernetes.io/metadata.name": "monitoring"}, {"app.kubernetes.io/name": "prometheus"})
INGRESS_CONTROLLER = {"kubernetes.io/metadata.name": "ingress-nginx"}
KUBE_DNS = ({"kubernetes.io/metadata.name": "kube-system"}, {"k8s-app": "kube-dns"})
# Which policies select each workload's pods: the shared ones, plus its own.
SHARED_POLICIES = {"parkgrid-default-deny", "parkgrid-dns", "parkgrid-kafka"}
SERVICE_POLICIES = SHARED_POLICIES | {"parkgrid-mongodb", "parkgrid-oidc"}


def selects(selector: Resource, labels: dict[str, str]) -> bool:
    """A label selector's verdict (matchLabels and matchExpressions), as the API server computes it."""
    if not spec_items(selector.get("matchLabels")) <= labels.items():
        return False
    for e in selector.get("matchExpressions", []):
        present, value = e["key"] in labels, labels.get(e["key"])
        verdict = {
            "In": present and value in e.get("values", []),
            "NotIn": not present or value not in e.get("values", []),
            "Exists": present,
            "DoesNotExist": not present,
        }[e["operator"]]
        if not verdict:
            return False
    return True


def spec_items(mapping: dict[str, str] | None) -> Any:
    return (mapping or {}).items()


def network_policies(rendered: list[Resource]) -> list[Resource]:
    return [r for r in rendered if r["kind"] == "NetworkPolicy"]


def policies_of(rendered: list[Resource], labels: dict[str, str]) -> list[Resource]:
    return [p for p in network_policies(rendered) if selects(p["spec"]["podSelector"], labels)]


def peer_is(
    peer: Resource, *, namespace: dict[str, str] | None = None, pod: dict[str, str] | None = None, cidr: str = ""
) -> bool:
    """Does `peer` admit the pod with labels `pod` in the namespace with labels `namespace`
    (None: this namespace), or, with `cidr`, the addresses of that ipBlock?"""
    if cidr:
        return "ipBlock" in peer and peer["ipBlock"]["cidr"] == cidr
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer:
        if namespace is None or not selects(peer["namespaceSelector"], namespace):
            return False
    elif namespace is not None and namespace != {"kubernetes.io/metadata.name": NAMESPACE}:
        return False
    return "podSelector" not in peer or selects(peer["podSelector"], pod or {})


def allows(rule: Resource, port: int, protocol: str = "TCP") -> bool:
    return any(p.get("protocol", "TCP") == protocol and p["port"] == port for p in rule.get("ports", []))


def egress_peers(rendered: list[Resource], labels: dict[str, str], port: int, protocol: str = "TCP") -> list[Resource]:
    return [
        peer
        for policy in policies_of(rendered, labels)
        if "Egress" in policy["spec"]["policyTypes"]
        for rule in policy["spec"].get("egress", [])
        if allows(rule, port, protocol)
        for peer in rule["to"]
    ]


def ingress_peers(rendered: list[Resource], labels: dict[str, str], port: int) -> list[Resource]:
    return [
        peer
        for policy in policies_of(rendered, labels)
        if "Ingress" in policy["spec"]["policyTypes"]
        for rule in policy["spec"].get("ingress", [])
        if allows(rule, port)
        for peer in rule["from"]
    ]


def workloads(rendered: list[Resource]) -> dict[str, dict[str, str]]:
    """Each workload's pod labels, by name."""
    return {name: template["metadata"]["labels"] for name, template in pod_templates(rendered).items()}


def port_of(url: str) -> int:
    match = re.fullmatch(r"[a-z]+://[^/:]+:(\d+)(?:/.*)?", url)
    if match:
        return int(match.group(1))
    return {"https": 443, "http": 80}[url.split("://")[0]]


def test_a_default_deny_covers_every_pod_in_both_directions(rendered: list[Resource]) -> None:
    deny = find(rendered, "NetworkPolicy", "parkgrid-default-deny")["spec"]
    assert deny["podSelector"] == {}
    assert sorted(deny["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny
    assert "egress" not in deny


def test_every_workload_is_selected_by_exactly_its_policies(rendered: list[Resource]) -> None:
    found = workloads(rendered)
    assert set(found) == {name for name, _ in SERVICES} | {"parkgrid-topics"}
    for name, labels in found.items():
        expected = SHARED_POLICIES if name == "parkgrid-topics" else SERVICE_POLICIES | {name}
        assert {p["metadata"]["name"] for p in policies_of(rendered, labels)} == expected, name


def test_every_workload_reaches_dns_and_kafka(rendered: list[Resource]) -> None:
    config = find(rendered, "ConfigMap", "parkgrid-config")["data"]
    kafka_ports = {int(address.rsplit(":", 1)[1]) for address in config["KAFKA_BOOTSTRAP_SERVERS"].split(",")}
    kafka = find(rendered, "NetworkPolicy", "parkgrid-kafka")["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"]
    for name, labels in workloads(rendered).items():
        for protocol in ("UDP", "TCP"):
            namespace, pod = KUBE_DNS
            assert any(peer_is(p, namespace=namespace, pod=pod) for p in egress_peers(rendered, labels, 53, protocol))
        for port in kafka_ports:
            assert any(peer_is(p, cidr=kafka) for p in egress_peers(rendered, labels, port)), (name, port)


def test_every_service_reaches_its_store_and_the_oidc_issuer(rendered: list[Resource]) -> None:
    issuer_port = port_of(find(rendered, "ConfigMap", "parkgrid-config")["data"]["PARKGRID_JWKS_URL"])
    for name, _ in SERVICES:
        labels = workloads(rendered)[name]
        assert any("ipBlock" in p for p in egress_peers(rendered, labels, MONGODB_PORT)), name
        assert any("ipBlock" in p for p in egress_peers(rendered, labels, issuer_port)), name
    job = workloads(rendered)["parkgrid-topics"]
    assert not egress_peers(rendered, job, MONGODB_PORT), "the topics Job has no business with the store"


def test_the_web_app_reaches_every_api_it_calls(rendered: list[Resource]) -> None:
    env = {e["name"]: e.get("value", "") for e in container(find(rendered, "Deployment", "frontdesk"))["env"]}
    urls = {name: value for name, value in env.items() if re.fullmatch(r"FRONTDESK_[A-Z]+_URL", name)}
    assert len(urls) == len(SERVICES) - 1, urls  # every API but its own (insights: the dashboard)
    frontdesk = workloads(rendered)["frontdesk"]
    for url in urls.values():
        host, port = re.fullmatch(r"http://([a-z]+):(\d+)", url).groups()  # type: ignore[union-attr]
        [service_port] = find(rendered, "Service", host)["spec"]["ports"]
        assert (service_port["port"], service_port["targetPort"]) == (int(port), "http"), url
        api = workloads(rendered)[host]
        assert any(peer_is(p, pod=api) for p in egress_peers(rendered, frontdesk, int(port))), url
        assert any(peer_is(p, pod=frontdesk) for p in ingress_peers(rendered, api, int(port))), url


def test_insights_reaches_the_smtp_relay(rendered: list[Resource]) -> None:
    env = {e["name"]: e.get("value") for e in container(find(rendered, "Deployment", "insights"))["env"]}
    insights = workloads(rendered)["insights"]
    assert any("ipBlock" in p for p in egress_peers(rendered, insights, int(env["INSIGHTS_SMTP_PORT"])))


def test_only_the_web_app_calls_pods_in_the_namespace(rendered: list[Resource]) -> None:
    """The services talk over Kafka: no egress to another pod of the namespace, except the web app's."""
    for policy in network_policies(rendered):
        for rule in policy["spec"].get("egress", []):
            for peer in rule["to"]:
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "frontdesk"}}


def test_nothing_admits_ingress_from_everywhere(rendered: list[Resource]) -> None:
    for policy in network_policies(rendered):
        for rule in policy["spec"].get("ingress", []):
            name = policy["metadata"]["name"]
            assert rule.get("from"), f"{name}: an ingress rule without `from` admits every source"
            assert rule.get("ports"), f"{name}: an ingress rule without `ports` admits every port"
            for peer in rule["from"]:
                assert "ipBlock" not in peer, f"{name}: ingress by address"
                assert peer, f"{name}: an empty peer admits every pod of the namespace"
                if "namespaceSelector" in peer:
                    assert peer["namespaceSelector"], f"{name}: an empty namespaceSelector admits every namespace"


def test_each_workload_admits_only_its_callers_on_its_port(rendered: list[Resource]) -> None:
    ports = dict(SERVICES)
    found = workloads(rendered)
    callers = {name: {"frontdesk", "prometheus"} for name, _ in SERVICES}
    callers["frontdesk"] = {"ingress controller", "prometheus"}
    sources: dict[str, Callable[[Resource], bool]] = {
        "frontdesk": lambda peer: peer_is(peer, pod=found["frontdesk"]),
        "prometheus": lambda peer: peer_is(peer, namespace=PROMETHEUS[0], pod=PROMETHEUS[1]),
        "ingress controller": lambda peer: peer_is(peer, namespace=INGRESS_CONTROLLER, pod={}),
    }
    for name, labels in found.items():
        rules = [
            rule
            for policy in policies_of(rendered, labels)
            if "Ingress" in policy["spec"]["policyTypes"]
            for rule in policy["spec"].get("ingress", [])
        ]
        if name == "parkgrid-topics":
            assert not rules, "nothing calls the Job"
            continue
        for rule in rules:
            assert [p["port"] for p in rule["ports"]] == [ports[name]], name
        admitted = {
            source
            for source, admits in sources.items()
            if any(admits(p) for p in ingress_peers(rendered, labels, ports[name]))
        }
        assert admitted == callers[name], name
        for peer in ingress_peers(rendered, labels, ports[name]):
            assert any(admits(peer) for admits in sources.values()), (name, peer)


def test_bookings_consumers_never_outnumber_partitions(rendered: list[Resource]) -> None:
    partitions = next(t.partitions for t in TOPICS if t.name == "bookings.booking")
    assert find(rendered, "HorizontalPodAutoscaler", "bookings")["spec"]["maxReplicas"] <= partitions
