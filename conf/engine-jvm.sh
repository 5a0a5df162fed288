# shellcheck shell=bash disable=SC2034  # sourced: the launchers use it
# Extra flags for every JVM that runs the engine (a local driver, executors), e.g.
# -Ddeebert.onednn.weights=plain; none by default. The engine gives freed tensor memory back to the kernel
# itself once it piles up (GlibcMalloc), where -XX:TrimNativeHeapInterval=30000 did it every 30 s at a cost of
# 3-4% of a scoring task's time (README, Performance: tensor memory).
DEEBERT_ENGINE_JVM_OPTS=${DEEBERT_ENGINE_JVM_OPTS-}
