package dev.deebert.model;

import com.sun.jna.Library;
import com.sun.jna.Native;
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
 * (README, Performance: tensor memory). The JVM's periodic malloc_trim ({@code conf/engine-jvm.sh}) still returns
 * the pages that stay free.
 *
 * <p>The settings: a top pad of a whole heap (64 MiB), which keeps glibc from unmapping or shrinking a heap
 * (it keeps that much free at the top); and, as setting the pad stops glibc's own adjustment of its
 * thresholds, the values that adjustment would reach: buffers up to 32 MiB from the heap (its ceiling) and
 * twice that before the main heap's top is given back. Set through {@code mallopt}, in the process, so that
 * every executor gets them whatever launched it (YARN, Kubernetes, a user's pipeline); an environment that
 * sets glibc's malloc parameters itself ({@code GLIBC_TUNABLES}, {@code MALLOC_TOP_PAD_}, ...) is left as it
 * is, and so is a C library other than glibc.
 */
final class GlibcMalloc {
    /** glibc's HEAP_MAX_SIZE on 64-bit: the size of an arena's heaps. */
    private static final int HEAP_SIZE = 64 << 20;
    private static final int MMAP_THRESHOLD = HEAP_SIZE / 2;
    /** mallopt's parameter numbers, from glibc's malloc.h. */
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_TOP_PAD = -2;
    private static final int M_MMAP_THRESHOLD = -3;
    private static boolean done;

    /** The glibc functions this needs; JNA binds them on first call. */
    interface LibC extends Library {
        /** Only glibc has it: the test for glibc. */
        String gnu_get_libc_version();

        int mallopt(int param, int value);
    }

    private GlibcMalloc() {}

    static synchronized void tune() {
        if (done) {
            return;
        }
        done = true;
        String set = settingsSetBy(System.getenv());
        if (set != null) {
            LoggerFactory.getLogger(GlibcMalloc.class).info("malloc settings left as {} sets them", set);
            return;
        }
        LibC libc;
        String version;
        try {
            libc = Native.load("c", LibC.class);
            version = libc.gnu_get_libc_version();
        } catch (UnsatisfiedLinkError e) {
            return;  // not glibc (macOS, musl): its allocator has no such settings
        }
        if (libc.mallopt(M_TOP_PAD, HEAP_SIZE) != 1 || libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1
                || libc.mallopt(M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD) != 1) {
            LoggerFactory.getLogger(GlibcMalloc.class).warn("glibc {} refused a malloc setting: tensor memory may be"
                    + " mapped afresh at every layer", version);
            return;
        }
        LoggerFactory.getLogger(GlibcMalloc.class).info("glibc {} malloc: heaps kept (top pad {} MiB), tensor"
                + " buffers up to {} MiB from them", version, HEAP_SIZE >> 20, MMAP_THRESHOLD >> 20);
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
