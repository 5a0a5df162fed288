# Shared by the cluster templates: the app jar and the JVM flags every driver and executor needs.
# Build the jar with `mvn -B -q -DskipTests package` (add -Pcuda for GPU executors).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
APP_JAR=${DEEBERT_APP_JAR:-$ROOT/job/target/deebert-spark-app.jar}
source "$ROOT/conf/java17-opens.sh"
# Natives come from the app jar; executors must never try to download them.
DEEBERT_JAVA_OPTS="$SPARK_JAVA17_OPENS -Dai.djl.offline=true -DDJL_CACHE_DIR=${DJL_CACHE_DIR:-/tmp/djl-cache}"
DELTA_CONF=(--conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension
            --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog)
