#!/usr/bin/env bash
# spark-submit on YARN with one GPU per executor and per task (build the jar with -Pcuda).
# Each task scores on the GPU Spark assigned it (TaskContext resources "gpu").
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec spark-submit --master yarn --deploy-mode cluster \
  --class dev.deebert.job.DeeBertMain \
  --num-executors "${EXECUTORS:-2}" --executor-cores "${EXECUTOR_CORES:-4}" --executor-memory "${EXECUTOR_MEMORY:-16g}" \
  --conf spark.executor.resource.gpu.amount=1 \
  --conf spark.task.resource.gpu.amount=1 \
  --conf spark.executor.resource.gpu.discoveryScript=./getGpusResources.sh \
  --files "$ROOT/submit/cluster/getGpusResources.sh" \
  --conf "spark.driver.extraJavaOptions=$DEEBERT_JAVA_OPTS" \
  --conf "spark.executor.extraJavaOptions=$DEEBERT_JAVA_OPTS" \
  "${DELTA_CONF[@]}" \
  "$APP_JAR" "$@"
