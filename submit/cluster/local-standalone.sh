#!/usr/bin/env bash
# A real Spark standalone cluster on 127.0.0.1 (one master, N workers, their executors in JVMs of their own),
# built from the Maven-built jars: no Spark distribution needed. For fault tests and for trying the job
# with real executors before a real cluster.
#   submit/cluster/local-standalone.sh start [--workers 2] [--cores-per-worker 1] [--memory 4g] [--port 7077]
#   submit/cluster/local-standalone.sh status | env | stop
# `start` and `env` print the two variables that point submit/deebert at the cluster:
#   eval "$(submit/cluster/local-standalone.sh start)"
#   submit/deebert score --model ... --input ... --output ...
# Environment: DEEBERT_STANDALONE_DIR (SPARK_HOME, pid files, logs, worker dirs; default
#   ${DEEBERT_CACHE:-~/.cache/deebert}/spark-standalone), SPARK_DAEMON_MEMORY (default 512m),
#   SPARK_DAEMON_JAVA_OPTS (extra flags for master and workers), DJL_CACHE_DIR (the launcher's default).
set -euo pipefail
shopt -s nullglob
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${DEEBERT_CACHE:-$HOME/.cache/deebert}
DIR=${DEEBERT_STANDALONE_DIR:-$CACHE/spark-standalone}
SPARK_HOME_DIR=$DIR/spark-home
RUN=$DIR/run
CLASSPATH_FILE=$ROOT/job/target/classpath.txt
DJL_CACHE=${DJL_CACHE_DIR:-$CACHE/djl}
# shellcheck source=../../conf/java17-opens.sh
source "$ROOT/conf/java17-opens.sh"
# shellcheck source=../../conf/engine-jvm.sh
source "$ROOT/conf/engine-jvm.sh"
read -r -a JAVA17_OPENS <<< "$SPARK_JAVA17_OPENS"
read -r -a DAEMON_JAVA_OPTS <<< "${SPARK_DAEMON_JAVA_OPTS:-}"

usage() {
  sed -n '5,6p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
  exit 2
}

COMMAND=${1:-}
[[ -n $COMMAND ]] || usage
shift
WORKERS=2
CORES=1
MEMORY=4g
PORT=7077
while [[ $# -gt 0 ]]; do
  case $1 in
    --workers) WORKERS=$2; shift 2 ;;
    --cores-per-worker) CORES=$2; shift 2 ;;
    --memory) MEMORY=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    *) echo "local-standalone: unknown option $1" >&2; usage ;;
  esac
done

# A pid file outlives its daemon, and the pid may since have gone to any other process: only a JVM running on
# this cluster's jars counts as ours, to report or to kill.
alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $(ps -ww -o args= -p "$pid" 2>/dev/null) == *"$SPARK_HOME_DIR/jars/"* ]]
}

# Quoted for eval: the paths are the user's and may hold spaces or shell syntax.
print_env() {
  printf 'export DEEBERT_MASTER=%q\n' "$(cat "$RUN/master-url")"
  printf 'export DEEBERT_SUBMIT_ARGS=%q\n' "--properties-file $RUN/submit.conf"
}

# Spark's Worker builds each executor's classpath from $SPARK_HOME/jars (launcher's WorkerCommandBuilder);
# SPARK_SCALA_VERSION spares it from probing for a source build's launcher/target/scala-* directories.
make_spark_home() {
  [[ -f $CLASSPATH_FILE ]] || { echo "local-standalone: run mvn -B -q -DskipTests package first" >&2; exit 2; }
  rm -rf "$SPARK_HOME_DIR"
  mkdir -p "$SPARK_HOME_DIR/jars" "$SPARK_HOME_DIR/conf"
  tr ':' '\n' < "$CLASSPATH_FILE" | while read -r jar; do
    [[ -n $jar ]] && ln -s "$jar" "$SPARK_HOME_DIR/jars/$(basename "$jar")"
  done
  echo "Spark 3.5 (jars of $CLASSPATH_FILE)" > "$SPARK_HOME_DIR/RELEASE"
}

# What a driver submitted to this cluster needs on top of the local defaults: executors get the Java 17
# opens, the engine's JVM flags and DJL's offline mode and native cache (the natives come from the pytorch-native jar in jars/).
write_submit_conf() {
  {
    cat "$ROOT/conf/spark-local.conf"
    echo "spark.executor.extraJavaOptions          $SPARK_JAVA17_OPENS $DEEBERT_ENGINE_JVM_OPTS -Dai.djl.offline=true -DDJL_CACHE_DIR=$DJL_CACHE"
    echo "spark.executor.memory                    $MEMORY"
    echo "spark.executorEnv.OMP_NUM_THREADS        $CORES"
  } > "$RUN/submit.conf"
}

daemon() {  # name class args...
  local name=$1 class=$2
  shift 2
  # Spark's default log4j2 config (INFO, stderr) on purpose: the logs are what one reads after a fault.
  SPARK_HOME=$SPARK_HOME_DIR SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1 SPARK_CONF_DIR=$SPARK_HOME_DIR/conf \
    nohup java "${JAVA17_OPENS[@]}" -Xmx"${SPARK_DAEMON_MEMORY:-512m}" "${DAEMON_JAVA_OPTS[@]}" \
      -cp "$SPARK_HOME_DIR/jars/*" "$class" "$@" > "$RUN/$name.log" 2>&1 < /dev/null &
  echo "$!" > "$RUN/$name.pid"
}

wait_for() {  # log pattern what
  for _ in $(seq 1 120); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "local-standalone: $3 did not come up; see $1" >&2
  stop
  exit 1
}

start() {
  if alive "$RUN/master.pid"; then
    echo "local-standalone: already running (pid $(cat "$RUN/master.pid")); stop it first" >&2
    exit 1
  fi
  make_spark_home
  rm -rf "$RUN"
  mkdir -p "$RUN"
  echo "spark://127.0.0.1:$PORT" > "$RUN/master-url"
  write_submit_conf
  daemon master org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$PORT" --webui-port 0
  wait_for "$RUN/master.log" "I have been elected leader" "master"
  for i in $(seq 1 "$WORKERS"); do
    mkdir -p "$RUN/worker-$i"
    daemon "worker-$i" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "$CORES" \
      --memory "$MEMORY" --work-dir "$RUN/worker-$i" --webui-port 0 "spark://127.0.0.1:$PORT"
  done
  for i in $(seq 1 "$WORKERS"); do
    wait_for "$RUN/worker-$i.log" "Successfully registered with master" "worker $i"
  done
  echo "local-standalone: master spark://127.0.0.1:$PORT, $WORKERS workers x $CORES cores, logs in $RUN" >&2
  print_env
}

stop() {
  local pidfile pid
  # Workers first: a worker stopping kills its executors.
  for pidfile in "$RUN"/worker-*.pid "$RUN"/master.pid; do
    if alive "$pidfile"; then
      pid=$(cat "$pidfile")
      kill "$pid"
      for _ in $(seq 1 40); do alive "$pidfile" || break; sleep 0.25; done
      if alive "$pidfile"; then kill -9 "$pid"; fi
    fi
    rm -f "$pidfile"
  done
}

status() {
  local ok=0 pidfile
  [[ -f $RUN/master-url ]] || { echo "local-standalone: not started (no $RUN)"; return 1; }
  for pidfile in "$RUN"/master.pid "$RUN"/worker-*.pid; do
    if alive "$pidfile"; then
      echo "$(basename "$pidfile" .pid): running, pid $(cat "$pidfile")"
    else
      echo "$(basename "$pidfile" .pid): not running"
      ok=1
    fi
  done
  return "$ok"
}

case $COMMAND in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) print_env ;;
  *) usage ;;
esac
