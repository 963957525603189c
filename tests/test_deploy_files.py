"""The deployment descriptions agree with each other (README "From one machine to a team"): the run queue's limits are
the same in deploy/dagster.yaml and in the Kubernetes values (deploy/k8s/values.yaml, in the Helm chart's spelling); the
Celery run launcher and the Celery workers read the broker and backend from the same settings; the Celery block appended
to deploy/dagster.yaml, as the README says, adds the launcher and the shared logs folder and changes nothing else. What
each description does at run time is proven elsewhere: tests/test_dagster_on_postgres.py (the instance file) and
tests/test_dagster_on_celery.py (the Celery run launcher and a worker); no cluster runs here."""

from pathlib import Path

import yaml

from test_cli import CHECKOUT

DEPLOY = CHECKOUT / "deploy"
RUN_LAUNCHER_YAML = DEPLOY / "celery" / "run_launcher.yaml"
WORKER_YAML = DEPLOY / "celery" / "worker.yaml"


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def celery_instance_text() -> str:
    """$DAGSTER_HOME/dagster.yaml on the machines of a Celery deployment, as README says to write it: the team's
    instance file, then the launcher's block."""
    return (DEPLOY / "dagster.yaml").read_text(encoding="utf-8") + "\n" + RUN_LAUNCHER_YAML.read_text(encoding="utf-8")


def test_the_kubernetes_queue_is_the_instance_files_queue():
    queue = load(DEPLOY / "dagster.yaml")["run_coordinator"]
    assert queue["class"] == "QueuedRunCoordinator"
    k8s = load(DEPLOY / "k8s" / "values.yaml")["dagsterDaemon"]["runCoordinator"]
    assert k8s["enabled"] is True and k8s["type"] == "QueuedRunCoordinator"
    limits = k8s["config"]["queuedRunCoordinator"]
    assert limits["maxConcurrentRuns"] == queue["config"]["max_concurrent_runs"]
    assert limits["tagConcurrencyLimits"] == queue["config"]["tag_concurrency_limits"]


def test_the_kubernetes_code_location_runs_and_webserver_share_the_settings_and_the_volume():
    values = load(DEPLOY / "k8s" / "values.yaml")
    (location,) = values["dagster-user-deployments"]["deployments"]
    assert location["dagsterApiGrpcArgs"] == ["-m", "pipelines.definitions"]  # the module workspace.yaml loads
    runs = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    for key in ("envSecrets", "volumes", "volumeMounts"):
        assert runs[key] == location[key], key
    # The steps' output: on that volume, which the webserver mounts too; the same manager as on Celery VMs.
    webserver = values["dagsterWebserver"]
    assert (webserver["volumes"], webserver["volumeMounts"]) == (location["volumes"], location["volumeMounts"])
    logs = values["computeLogManager"]["config"]["customComputeLogManager"]
    (mount,) = location["volumeMounts"]
    assert logs["config"]["base_dir"].startswith(mount["mountPath"] + "/")
    celery = load(RUN_LAUNCHER_YAML)["compute_logs"]
    assert (logs["module"], logs["class"]) == (celery["module"], celery["class"])


def test_the_celery_launcher_and_workers_read_the_same_settings():
    launcher = load(RUN_LAUNCHER_YAML)["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_celery.launcher", "CeleryRunLauncher")
    worker = load(WORKER_YAML)["execution"]["config"]
    for key in ("broker", "backend"):
        assert launcher["config"][key] == worker[key], key
    assert {launcher["config"][k]["env"] for k in ("broker", "backend")} == {"HOSO_CELERY_BROKER",
                                                                             "HOSO_CELERY_BACKEND"}


def test_the_celery_block_appended_to_the_instance_file_repeats_no_setting():
    """Appended as the README says, the block adds `run_launcher` and `compute_logs` and changes nothing of
    deploy/dagster.yaml (YAML would let a repeated key silently win). tests/test_dagster_on_celery.py runs a daemon on
    the combined file."""
    base, block = load(DEPLOY / "dagster.yaml"), load(RUN_LAUNCHER_YAML)
    assert set(block) == {"run_launcher", "compute_logs"} and not set(block) & set(base)
    assert yaml.safe_load(celery_instance_text()) == base | block
