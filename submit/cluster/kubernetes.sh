#!/usr/bin/env bash
# spark-submit on Kubernetes. IMAGE must hold a Spark 3.5 (Scala 2.12) runtime; the app jar is served
# from APP_JAR_URL (e.g. s3a:// or local:///opt/deebert/deebert-spark-app.jar baked into the image).
# Set GPUS=1 for GPU executors (jar built with -Pcuda, nodes with the NVIDIA device plugin).
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
GPU_CONF=()
if [[ ${GPUS:-0} -gt 0 ]]; then
  GPU_CONF=(--conf spark.executor.resource.gpu.amount="$GPUS" --conf spark.task.resource.gpu.amount=1
            --conf spark.executor.resource.gpu.vendor=nvidia.com
            --conf spark.executor.resource.gpu.discoveryScript=/opt/deebert/getGpusResources.sh)
fi
exec spark-submit --master "k8s://${K8S_API:?set K8S_API to the API server, e.g. https://host:6443}" \
  --deploy-mode cluster --name deebert \
  --class dev.deebert.job.DeeBertMain \
  --conf spark.kubernetes.container.image="${IMAGE:?set IMAGE}" \
  --conf spark.executor.instances="${EXECUTORS:-4}" --conf spark.executor.cores="${EXECUTOR_CORES:-4}" \
  --conf spark.executor.memory="${EXECUTOR_MEMORY:-8g}" \
  --conf "spark.driver.extraJavaOptions=$DEEBERT_JAVA_OPTS" \
  --conf "spark.executor.extraJavaOptions=$DEEBERT_JAVA_OPTS" \
  "${GPU_CONF[@]}" "${DELTA_CONF[@]}" \
  "${APP_JAR_URL:-local:///opt/deebert/deebert-spark-app.jar}" "$@"
