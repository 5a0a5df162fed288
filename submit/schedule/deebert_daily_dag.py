"""Daily incremental DeeBERT scoring on Spark (YARN or Kubernetes), for Apache Airflow 2.

Every run scores only the rows that arrived since the previous run (``deebert score --incremental``): the
Spark checkpoint remembers what was read and the Delta writes are idempotent per micro-batch, so a failed or
killed run is completed exactly once by its retry or by the next day's run. Hence ``catchup=False`` (one run
picks up any backlog) and ``max_active_runs=1`` (one writer per checkpoint).

The checkpoint, the output tables and the model live on storage that the driver and every executor mount at
the same path (``SHARED``): an NFS/CephFS mount on the YARN nodes, or a ReadWriteMany volume claim on
Kubernetes. Requires ``apache-airflow-providers-apache-spark`` and a Spark connection per cluster
(``spark_yarn``: host ``yarn``; ``spark_k8s``: host ``k8s://https://<api-server>``).

Airflow Variables (all optional): ``deebert_cluster`` (``yarn`` or ``k8s``, default ``yarn``),
``deebert_model`` (model directory), ``deebert_threshold`` (entropy threshold S), ``deebert_rescore``
(``true`` to rescore rows of an older model after a model upgrade).
"""

from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.models import Variable
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

SHARED = "/mnt/shared/deebert"
APP_JAR = f"{SHARED}/jars/deebert-spark-app.jar"
CLUSTER = Variable.get("deebert_cluster", default_var="yarn")

# Spark 3.5 on Java 17 needs these opens (conf/java17-opens.sh); DJL must not download anything, and unpacks
# libtorch into its per-user default cache, never a shared dir (why: submit/cluster/common.sh).
JAVA_OPTS = " ".join(
    [f"--add-opens=java.base/{p}=ALL-UNNAMED" for p in (
        "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util",
        "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch", "sun.nio.cs",
        "sun.security.action", "sun.util.calendar")]
    + ["-Djdk.reflect.useDirectMethodHandle=false", "-Dai.djl.offline=true"]
)

COMMON_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.driver.extraJavaOptions": JAVA_OPTS,
    "spark.executor.extraJavaOptions": JAVA_OPTS,
    # One model per executor JVM, shared by its task threads: few fat executors beat many thin ones.
    "spark.executor.cores": "8",
    "spark.executor.memory": "16g",
    "spark.task.cpus": "2",
}

CLUSTER_CONF = {
    "yarn": {
        "spark.submit.deployMode": "cluster",
        "spark.yarn.maxAppAttempts": "1",  # Airflow retries instead; the retry resumes from the checkpoint
        "spark.dynamicAllocation.enabled": "true",
        "spark.dynamicAllocation.maxExecutors": "16",
    },
    "k8s": {
        "spark.submit.deployMode": "cluster",
        "spark.kubernetes.namespace": "deebert",
        "spark.kubernetes.container.image": "registry.example.com/deebert-spark:0.1.0",
        "spark.kubernetes.authenticate.driver.serviceAccountName": "deebert-spark",
        "spark.executor.instances": "4",
        # The shared volume (ReadWriteMany) at the same path in the driver and every executor pod.
        **{
            f"spark.kubernetes.{role}.volumes.persistentVolumeClaim.deebert-shared.{key}": value
            for role in ("driver", "executor")
            for key, value in (("options.claimName", "deebert-shared"), ("mount.path", SHARED),
                               ("mount.readOnly", "false"))
        },
    },
}[CLUSTER]

score_args = [
    "score",
    "--incremental",
    "--checkpoint", f"{SHARED}/checkpoints/emails",
    "--input", f"{SHARED}/input/emails",
    "--id-col", "message_id",
    "--text-col", "body",
    "--model", Variable.get("deebert_model", default_var=f"{SHARED}/models/current"),
    "--threshold", Variable.get("deebert_threshold", default_var="0.3"),
    "--output", f"{SHARED}/output",
    "--max-files-per-trigger", "64",
]
if Variable.get("deebert_rescore", default_var="false").lower() == "true":
    score_args.append("--rescore-model-change")

with DAG(
    dag_id="deebert_daily_score",
    description="Score the rows that arrived since yesterday with DeeBERT early exit",
    schedule="15 2 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["deebert", "spark"],
) as dag:
    SparkSubmitOperator(
        task_id="score_new_rows",
        conn_id=f"spark_{CLUSTER}",
        application=APP_JAR if CLUSTER == "yarn" else "local:///opt/deebert/deebert-spark-app.jar",
        java_class="dev.deebert.job.DeeBertMain",
        name="deebert-score-daily",
        application_args=score_args,
        conf={**COMMON_CONF, **CLUSTER_CONF},
        execution_timeout=timedelta(hours=6),
    )
