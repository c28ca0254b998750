"""deploy/helm/rectify, checked offline without a `helm` binary (none installs from the
registries this project uses; docs/decisions/0055): values.yaml against the chart's own
values.schema.json (what `helm install` checks too), every template rendered by the
limited renderer tests/helm_subset.py, each object validated against Kubernetes' schemas
(kubernetes-validate, strict, on the oldest and newest Kubernetes it knows here), and
the chart's promises checked on the objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.helm_subset import RenderError, render

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "rectify"
ROLES = ("serve", "worker", "dispatcher", "notifier", "projections")
SCALED = ("serve", "worker")
KUBERNETES = ("1.29.0", "1.37.0")


def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return loaded


def chart() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHART / "Chart.yaml").read_text())
    return loaded


def values_problems(given: dict[str, Any]) -> list[str]:
    schema = json.loads((CHART / "values.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(given)
    ]


def rendered(given: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every object of the chart, as `helm template` would list them."""
    objects: list[dict[str, Any]] = []
    for template in sorted((CHART / "templates").glob("*.yaml")):
        text = render(template.read_text(), given or values(), chart())
        objects += [o for o in yaml.safe_load_all(text) if o is not None]
    return objects


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def container(workload: dict[str, Any]) -> dict[str, Any]:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    found: dict[str, Any] = containers[0]
    return found


def test_the_chart_is_a_helm_3_application_chart() -> None:
    meta = chart()
    assert (meta["apiVersion"], meta["type"], meta["name"]) == ("v2", "application", "rectify")
    assert "dependencies" not in meta  # installable offline; Temporal is connected to


def test_the_default_values_follow_the_chart_schema() -> None:
    assert values_problems(values()) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda v: v["roles"]["projections"].update(replicas=3), "roles/projections/replicas"),
        (lambda v: v["roles"]["dispatcher"].update(replicas=3), "roles/dispatcher/replicas"),
        (lambda v: v["settings"].update(RECTIFY_JWT_SECRET="x" * 40), "settings"),
        (lambda v: v["settings"].update(RECTIFY_AUDIT_KEY="x" * 40), "settings"),
        (lambda v: v["settings"].update(RECTIFY_AUDIT_KEYS="k1:" + "x" * 44), "settings"),
        (lambda v: v["roles"].update(migrate={"replicas": 1}), "roles"),
        (lambda v: v["roles"]["worker"].pop("resources"), "roles/worker"),
        (lambda v: v["temporal"].update(address="temporal"), "temporal/address"),
        (lambda v: v["secrets"].update(existingSecret="Not A Name"), "secrets/existingSecret"),
        (lambda v: v["roles"]["notifier"].update(autoscaling={"enabled": True}), "roles/notifier"),
    ],
)
def test_values_the_chart_cannot_run_with_are_refused(change: Any, where: str) -> None:
    given = values()
    change(given)
    assert any(problem.startswith(f"{where}:") for problem in values_problems(given))


@pytest.mark.parametrize("version", KUBERNETES)
def test_every_rendered_object_is_valid_kubernetes(version: str) -> None:
    for found in rendered():
        kubernetes_validate.validate(found, version, strict=True)  # raises with the reason


def test_kubernetes_validation_refuses_a_wrong_object() -> None:
    deployment = of_kind(rendered(), "Deployment")["rectify-serve"]
    container(deployment)["livenessProbe"]["httpGet"]["port"] = {"name": "http"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES[-1], strict=True)


def test_one_deployment_per_role_running_that_role_of_the_one_image() -> None:
    deployments = of_kind(rendered(), "Deployment")
    assert sorted(deployments) == sorted(f"rectify-{role}" for role in ROLES)
    for role in ROLES:
        found = deployments[f"rectify-{role}"]
        assert container(found)["args"] == [role]
        assert container(found)["image"] == "registry.example.org/rectify:0.1.0"
        labels = found["spec"]["template"]["metadata"]["labels"]
        assert found["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_every_role_runs_unprivileged_with_resources() -> None:
    objects = rendered()
    for workload in [*of_kind(objects, "Deployment").values(), *of_kind(objects, "Job").values()]:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container(workload)["securityContext"]["allowPrivilegeEscalation"] is False
        resources = container(workload)["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"]


def test_the_api_is_probed_on_healthz_and_the_other_roles_by_the_health_check() -> None:
    deployments = of_kind(rendered(), "Deployment")
    serve = container(deployments["rectify-serve"])
    for probe in ("readinessProbe", "livenessProbe"):
        assert serve[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    for role in ROLES[1:]:
        probe = container(deployments[f"rectify-{role}"])["livenessProbe"]
        assert probe["exec"]["command"] == ["python", "/opt/rectify/healthcheck.py", role]


def test_the_api_and_the_workers_scale_and_keep_one_pod_through_disruptions() -> None:
    objects = rendered()
    deployments = of_kind(objects, "Deployment")
    autoscalers = of_kind(objects, "HorizontalPodAutoscaler")
    budgets = of_kind(objects, "PodDisruptionBudget")
    assert sorted(autoscalers) == sorted(budgets) == [f"rectify-{role}" for role in SCALED]
    for role in SCALED:
        target = autoscalers[f"rectify-{role}"]["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", f"rectify-{role}")
        assert "replicas" not in deployments[f"rectify-{role}"]["spec"]  # the HPA's to set
        selector = budgets[f"rectify-{role}"]["spec"]["selector"]["matchLabels"]
        assert selector == deployments[f"rectify-{role}"]["spec"]["selector"]["matchLabels"]
    for role in ("dispatcher", "notifier", "projections"):
        spec = deployments[f"rectify-{role}"]["spec"]
        assert (spec["replicas"], spec["strategy"]["type"]) == (1, "Recreate")


def test_without_autoscaling_the_replicas_are_set() -> None:
    given = values()
    given["roles"]["worker"]["autoscaling"]["enabled"] = False
    objects = rendered(given)
    assert "rectify-worker" not in of_kind(objects, "HorizontalPodAutoscaler")
    assert of_kind(objects, "Deployment")["rectify-worker"]["spec"]["replicas"] == 2


def test_the_ingress_ends_tls_and_sends_to_the_api_service() -> None:
    objects = rendered()
    service = of_kind(objects, "Service")["rectify-api"]
    api = of_kind(objects, "Deployment")["rectify-serve"]
    assert service["spec"]["selector"] == api["spec"]["selector"]["matchLabels"]
    ingress = of_kind(objects, "Ingress")["rectify"]["spec"]
    assert ingress["tls"] == [{"hosts": ["rectify.example.org"], "secretName": "rectify-tls"}]
    backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "rectify-api", "port": {"name": "http"}}


def test_no_ingress_when_it_is_off() -> None:
    given = values()
    given["ingress"]["enabled"] = False
    assert of_kind(rendered(given), "Ingress") == {}


def test_secrets_come_from_existing_secrets_and_the_audit_key_only_where_needed() -> None:
    objects = rendered()
    assert of_kind(objects, "Secret") == {}  # the chart never holds a secret's value
    workloads = {**of_kind(objects, "Deployment"), **of_kind(objects, "Job")}
    for name, workload in workloads.items():
        found = container(workload)
        assert {"secretRef": {"name": "rectify"}} in found["envFrom"]
        holders = [e for e in found.get("env", []) if e["name"].startswith("RECTIFY_AUDIT_KEY")]
        if name in ("rectify-projections", "rectify-bootstrap"):
            assert holders[0]["valueFrom"]["secretKeyRef"]["name"] == "rectify-audit-key"
        else:
            assert holders == [], f"{name} must not hold the audit key (ADR 0025)"
    settings = of_kind(objects, "ConfigMap")["rectify-settings"]["data"]
    assert not any("SECRET" in key or key.endswith("KEY") for key in settings)


def test_the_bootstrap_job_runs_before_install_and_upgrade() -> None:
    job = of_kind(rendered(), "Job")["rectify-bootstrap"]
    hooks = job["metadata"]["annotations"]
    assert hooks["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in hooks["helm.sh/hook-delete-policy"]
    assert container(job)["args"] == ["audit", "verify"]
    env = {e["name"]: e.get("value") for e in container(job)["env"]}
    config = of_kind(rendered(), "ConfigMap")["rectify-settings"]["data"]
    assert {k: v for k, v in env.items() if k != "RECTIFY_AUDIT_KEYS"} == {
        k: v for k, v in config.items() if k not in ("RECTIFY_HTTP_HOST", "FORWARDED_ALLOW_IPS")
    }  # the same settings as the roles, written out: the ConfigMap does not exist yet


def test_the_api_believes_the_forwarded_client_address_of_the_ingress_only_as_told() -> None:
    given = values()
    given["forwardedAllowIps"] = "10.42.0.0/16"
    config = of_kind(rendered(given), "ConfigMap")["rectify-settings"]["data"]
    assert config["FORWARDED_ALLOW_IPS"] == "10.42.0.0/16"


def test_the_renderer_refuses_what_it_does_not_know() -> None:
    meta = chart()
    with pytest.raises(RenderError, match="function not supported"):
        render("{{ .Values.x | b64enc }}", {"x": "a"}, meta)
    with pytest.raises(RenderError, match="not supported"):
        render('{{ include "rectify.labels" . }}', {}, meta)
    with pytest.raises(RenderError, match="missing value"):
        render("name: {{ .Values.misspelt }}", {}, meta)
    with pytest.raises(RenderError, match="not closed"):
        render("{{ if .Values.x }}a", {"x": True}, meta)


def test_the_renderer_follows_go_templates_trimming_and_ranges() -> None:
    source = "a:\n{{- range $k, $v := .Values.m }}\n  {{ $k }}: {{ $v | quote }}\n{{- end }}\n"
    assert render(source, {"m": {"b": 2, "a": "x"}}, chart()) == 'a:\n  a: "x"\n  b: "2"\n'
