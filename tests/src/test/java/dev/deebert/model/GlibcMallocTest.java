package dev.deebert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Once the engine is loaded, glibc serves tensor buffers of a few MiB from its heaps, where freed ones are
 * reused, rather than mapping each afresh (GlibcMalloc): glibc's own count of mapped bytes shows which way a
 * live tensor's buffer came. That heaps outlive their tensors shows in speed and page faults, not in a count
 * a test can read without the timing of other threads' allocations (README, Performance: tensor memory).
 * What freed tensors leave in the heaps goes back to the kernel once it piles up past the working set.
 */
class GlibcMallocTest {
    private static final long MIB = 1 << 20;

    /** glibc's mallinfo2 (2.33+); hblkhd: bytes in buffers mapped on their own. */
    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost"})
    public static class MallInfo2 extends Structure implements Structure.ByValue {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;
    }

    interface LibC extends Library {
        MallInfo2 mallinfo2();
    }

    @Test
    void buffersUpTo32MiBComeFromTheHeaps() {
        LibC libc = glibc();
        try (NDManager manager = Engines.newManager(Device.cpu())) {
            long mapped = libc.mallinfo2().hblkhd;
            // float32: 4 bytes per element
            try (NDArray activation = manager.ones(new Shape(24 * MIB / 4))) {
                long grew = libc.mallinfo2().hblkhd - mapped;
                assertTrue(grew < 24 * MIB, "a 24 MiB tensor was mapped on its own (" + grew / MIB + " MiB)");
            }
            // beyond 32 MiB a buffer is mapped on its own, so the count above can see one
            try (NDArray large = manager.ones(new Shape(48 * MIB / 4))) {
                long grew = libc.mallinfo2().hblkhd - mapped;
                assertTrue(grew >= 48 * MIB, "a 48 MiB tensor came from a heap (" + grew / MIB + " MiB mapped)");
            }
        }
    }

    @Test
    void memoryThatPiledUpPastTheSettledSizeGoesBackAndTheWorkingSetsSwingStays() {
        glibc();
        try (NDManager manager = Engines.newManager(Device.cpu())) {
            // whatever earlier tests left: trimmed or not, the size settles at the second call
            GlibcMalloc.trimIfGrown(System.nanoTime());
            GlibcMalloc.trimIfGrown(System.nanoTime());
            churn(manager);
            long gaveBack = GlibcMalloc.trimIfGrown(System.nanoTime());
            assertTrue(gaveBack >= GlibcMalloc.GROWTH, "512 MiB freed, " + gaveBack / MIB + " MiB given back");
            churn(manager);
            assertEquals(0, GlibcMalloc.trimIfGrown(), "trimmed again within " + GlibcMalloc.TRIM_INTERVAL_NANOS
                    / 1_000_000_000L + " s");
            // the batches took their pages back: the size settles there, and the same batches again add nothing
            assertEquals(0, GlibcMalloc.trimIfGrown(System.nanoTime()));
            churn(manager);
            assertEquals(0, GlibcMalloc.trimIfGrown(System.nanoTime()), "the working set's own pages given back");
        }
    }

    /** 512 MiB in 16 MiB tensors, written and freed: the heaps keep the pages. */
    private static void churn(NDManager manager) {
        List<NDArray> tensors = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            tensors.add(manager.ones(new Shape(16 * MIB / 4)));
        }
        tensors.forEach(NDArray::close);
    }

    private static LibC glibc() {
        try {
            LibC libc = Native.load("c", LibC.class);
            libc.mallinfo2();
            return libc;
        } catch (UnsatisfiedLinkError e) {
            assumeTrue(false, "not glibc 2.33+: " + e.getMessage());
            throw e;
        }
    }
}
