#!/usr/bin/env bash
# spark-submit on YARN, CPU executors. Usage: submit/cluster/yarn.sh <command> [options]
#   e.g. submit/cluster/yarn.sh score --model /shared/models/spam --input hdfs:///corpora/mail \
#        --output /shared/deebert --threshold 0.3
# The model directory must be readable by every executor (shared mount).
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec spark-submit --master yarn --deploy-mode cluster \
  --class dev.deebert.job.DeeBertMain \
  --num-executors "${EXECUTORS:-4}" --executor-cores "${EXECUTOR_CORES:-4}" --executor-memory "${EXECUTOR_MEMORY:-8g}" \
  --conf spark.task.cpus=1 \
  --conf "spark.driver.extraJavaOptions=$DEEBERT_JAVA_OPTS" \
  --conf "spark.executor.extraJavaOptions=$DEEBERT_JAVA_OPTS" \
  "${DELTA_CONF[@]}" \
  "$APP_JAR" "$@"
