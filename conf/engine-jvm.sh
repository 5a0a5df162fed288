# shellcheck shell=bash disable=SC2034  # sourced: the launchers use it
# Flags for every JVM that runs the engine (a local driver, executors). glibc keeps the tensor memory a task
# thread frees in that thread's malloc arena, so native memory grows for tens of thousands of rows (BGE-small
# int8, local[2]: +0.7-0.85 GB over 60k rows); the JVM returning it every 30 s (JDK 17.0.9+, 21.0.1+) cost
# nothing an interleaved A/B could see, where every 5 s cost ~10% (README, Reliability: soak). Older JDKs skip
# the flag, as Spark's own JVMs already do with any they do not know. Set DEEBERT_ENGINE_JVM_OPTS (even to
# nothing) to replace these.
DEEBERT_ENGINE_JVM_OPTS=${DEEBERT_ENGINE_JVM_OPTS-"-XX:+IgnoreUnrecognizedVMOptions -XX:TrimNativeHeapInterval=30000"}
