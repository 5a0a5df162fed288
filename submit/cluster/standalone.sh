#!/usr/bin/env bash
# spark-submit to a Spark standalone master (MASTER=spark://host:7077). Set GPUS=1 for GPU workers.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
GPU_CONF=()
if [[ ${GPUS:-0} -gt 0 ]]; then
  GPU_CONF=(--conf spark.executor.resource.gpu.amount="$GPUS" --conf spark.task.resource.gpu.amount=1
            --conf spark.executor.resource.gpu.discoveryScript="$ROOT/submit/cluster/getGpusResources.sh")
fi
exec spark-submit --master "${MASTER:?set MASTER=spark://host:7077}" \
  --class dev.deebert.job.DeeBertMain \
  --total-executor-cores "${TOTAL_CORES:-8}" --executor-cores "${EXECUTOR_CORES:-4}" \
  --executor-memory "${EXECUTOR_MEMORY:-8g}" \
  --conf "spark.driver.extraJavaOptions=$DEEBERT_JAVA_OPTS" \
  --conf "spark.executor.extraJavaOptions=$DEEBERT_JAVA_OPTS" \
  "${GPU_CONF[@]}" "${DELTA_CONF[@]}" \
  "$APP_JAR" "$@"
