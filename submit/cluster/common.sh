# shellcheck shell=bash disable=SC2034  # sourced by the templates, which use what it sets
# Shared by the cluster templates: the app jar and the JVM flags every driver and executor needs.
# Build the jar with `mvn -B -q -DskipTests package` (add -Pcuda for GPU executors).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
APP_JAR=${DEEBERT_APP_JAR:-$ROOT/job/target/deebert-spark-app.jar}
# shellcheck source=../../conf/java17-opens.sh
source "$ROOT/conf/java17-opens.sh"
# shellcheck source=../../conf/engine-jvm.sh
source "$ROOT/conf/engine-jvm.sh"
# Natives come from the app jar; executors must never try to download them. DJL unpacks libtorch into its
# cache dir and loads it from there, so that dir is the user's own: DJL's default ~/.djl.ai of the user each
# JVM runs as (on YARN, where a home is not writable, the container's private tmp dir), or DJL_CACHE_DIR when
# set. Never a dir other users can write (such as one in /tmp): they could plant a libtorch.so that runs as
# the next job, and users of two DJL versions would break each other's runs.
DEEBERT_JAVA_OPTS="$SPARK_JAVA17_OPENS $DEEBERT_ENGINE_JVM_OPTS -Dai.djl.offline=true${DJL_CACHE_DIR:+ -DDJL_CACHE_DIR=$DJL_CACHE_DIR}"
DELTA_CONF=(--conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension
            --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog)
