package dev.deebert.model;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * glibc malloc settings for tensor memory, set once per JVM before libtorch allocates its first tensor.
 *
 * <p>Why: libtorch takes every operator's output from malloc, a few MiB each (a [32 x 64, 1536] float32
 * activation is 12 MiB), and frees it an operator later. A thread other than the process's first allocates from
 * an arena of 64 MiB heaps, and glibc unmaps a heap whenever all of it is free again, so a batch whose tensors
 * outgrow one heap maps a fresh one, faults and zeroes its pages, and unmaps it, layer after layer. On a
 * 2-core AMD EPYC VM, the int8 engine on two threads unmapped 1874 heaps in 3000 rows and spent half its time
 * in the kernel (5.7 million page faults); with these settings 75 and 0.54 million, and ran 2.2x as fast
 * (README, Performance: tensor memory).
 *
 * <p>The settings: a top pad of a whole heap (64 MiB), which keeps glibc from unmapping or shrinking a heap
 * (it keeps that much free at the top); and, as setting the pad stops glibc's own adjustment of its
 * thresholds, the values that adjustment would reach: buffers up to 32 MiB from the heap (its ceiling) and
 * twice that before the main heap's top is given back. Set through {@code mallopt}, in the process, so that
 * every executor gets them whatever launched it (YARN, Kubernetes, a user's pipeline); an environment that
 * sets glibc's malloc parameters itself ({@code GLIBC_TUNABLES}, {@code MALLOC_TOP_PAD_}, ...) is left as it
 * is, and so is a C library other than glibc.
 *
 * <p>Kept heaps hold what a thread freed, and over tens of thousands of rows the arenas of several task threads
 * grow (BGE-small int8, local[2]: +0.7-0.85 GB over 60k rows). {@link #trimIfGrown} gives the free pages back to
 * the kernel between batches once the process has grown by {@link #GROWTH} past the size it settled at after
 * the last trim. Each trim costs the page faults of the next batches, which take the
 * pages back (on the Zen 5 VM up to 45k faults and 0.4 s); the JVM's timed trim every 30 s
 * ({@code -XX:TrimNativeHeapInterval=30000}, which the launchers set before) paid that whether memory had grown
 * or not: 3-4% of a scoring task's time (README, Performance: tensor memory).
 */
final class GlibcMalloc {
    /** glibc's HEAP_MAX_SIZE on 64-bit: the size of an arena's heaps. */
    private static final int HEAP_SIZE = 64 << 20;
    private static final int MMAP_THRESHOLD = HEAP_SIZE / 2;
    /** mallopt's parameter numbers, from glibc's malloc.h. */
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_TOP_PAD = -2;
    private static final int M_MMAP_THRESHOLD = -3;
    /** How far the process's resident memory may grow past its settled size before a trim. */
    static final long GROWTH = 256L << 20;
    /** The least time between two trims, and how long after a trim (or tuning) the process's size settles. */
    static final long TRIM_INTERVAL_NANOS = 60_000_000_000L;
    private static final Path STATM = Path.of("/proc/self/statm");
    private static boolean done;
    /** Null where the C library is not glibc, or not yet tuned. */
    private static volatile LibC libc;
    private static long pageSize;
    /** System.nanoTime() of the last trim, or of tuning. */
    private static long trimmedAt;
    /** Resident bytes a minute after the last trim (or tuning), once the batches took their pages back; -1 before. */
    private static long settled = -1;

    /** The glibc functions this needs; JNA binds them on first call. */
    interface LibC extends Library {
        /** Only glibc has it: the test for glibc. */
        String gnu_get_libc_version();

        int mallopt(int param, int value);

        int getpagesize();

        /** Returns free memory of every arena to the kernel, all but {@code pad} bytes at the main heap's top. */
        int malloc_trim(long pad);
    }

    private GlibcMalloc() {}

    static synchronized void tune() {
        if (done) {
            return;
        }
        done = true;
        LibC glibc;
        String version;
        try {
            glibc = Native.load("c", LibC.class);
            version = glibc.gnu_get_libc_version();
        } catch (UnsatisfiedLinkError e) {
            return;  // not glibc (macOS, musl): its allocator has no such settings
        }
        pageSize = glibc.getpagesize();
        trimmedAt = System.nanoTime();
        libc = glibc;
        String set = settingsSetBy(System.getenv());
        if (set != null) {
            LoggerFactory.getLogger(GlibcMalloc.class).info("malloc settings left as {} sets them", set);
            return;
        }
        if (glibc.mallopt(M_TOP_PAD, HEAP_SIZE) != 1 || glibc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1
                || glibc.mallopt(M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD) != 1) {
            LoggerFactory.getLogger(GlibcMalloc.class).warn("glibc {} refused a malloc setting: tensor memory may be"
                    + " mapped afresh at every layer", version);
            return;
        }
        LoggerFactory.getLogger(GlibcMalloc.class).info("glibc {} malloc: heaps kept (top pad {} MiB), tensor"
                + " buffers up to {} MiB from them, free pages given back past {} MiB of growth, at most every {} s",
                version, HEAP_SIZE >> 20, MMAP_THRESHOLD >> 20, GROWTH >> 20, TRIM_INTERVAL_NANOS / 1_000_000_000L);
    }

    /**
     * Gives glibc's free pages back to the kernel once the process's resident memory has grown by {@link #GROWTH}
     * past its settled size: the size first seen {@link #TRIM_INTERVAL_NANOS} or more after the last trim (or
     * tuning), when the batches have taken back the pages they use. So the working set's swing between batches
     * (~800 MiB in local[2] scoring) is not given back to be faulted in again, and what piles up beyond it is.
     * Called between batches, when a thread's tensors are freed. Returns the resident bytes given back, 0 where
     * nothing was trimmed. Costs a clock read, and a read of {@code /proc/self/statm} from a minute on.
     */
    static long trimIfGrown() {
        return libc == null ? 0 : trimIfGrown(System.nanoTime() - TRIM_INTERVAL_NANOS);
    }

    /** As {@link #trimIfGrown()}, for a last trim at or before {@code dueAfter} (System.nanoTime()). */
    static synchronized long trimIfGrown(long dueAfter) {
        if (libc == null || trimmedAt - dueAfter > 0) {
            return 0;
        }
        long resident = residentBytes();
        if (settled < 0) {
            settled = resident;
        }
        if (resident - settled < GROWTH) {
            return 0;
        }
        libc.malloc_trim(0);
        trimmedAt = System.nanoTime();
        settled = -1;
        long trimmedTo = residentBytes();
        // debug: once a minute at INFO crowded the commands' own progress lines
        LoggerFactory.getLogger(GlibcMalloc.class).debug("freed tensor memory given back: resident {} -> {} MiB",
                resident >> 20, trimmedTo >> 20);
        return resident - trimmedTo;
    }

    /** The process's resident memory (Linux; 0 where it cannot be read, which never trims). */
    private static long residentBytes() {
        try {
            String[] pages = Files.readString(STATM).trim().split(" ");
            return Long.parseLong(pages[1]) * pageSize;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The environment variable that sets one of these malloc parameters, or null. */
    private static String settingsSetBy(Map<String, String> env) {
        for (String name : new String[] {"MALLOC_TOP_PAD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}) {
            if (env.containsKey(name)) {
                return name;
            }
        }
        String tunables = env.getOrDefault("GLIBC_TUNABLES", "");
        return tunables.contains("glibc.malloc.top_pad") || tunables.contains("glibc.malloc.mmap_threshold")
                || tunables.contains("glibc.malloc.trim_threshold") ? "GLIBC_TUNABLES" : null;
    }
}
