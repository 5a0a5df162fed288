package dev.deebert.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * The one way into DJL's PyTorch engine: getting the engine is what extracts and loads libtorch, so the
 * native cache it loads from is checked first ({@link NativeCache#verify()}), and glibc's malloc is set up
 * for tensors ({@link GlibcMalloc}). A cache that fails the check throws {@link NativeCacheException}: one line
 * from the command on the driver, a failed task on an executor.
 */
public final class Engines {
    public static final String PYTORCH = "PyTorch";

    private Engines() {}

    /** The PyTorch engine, loaded from a native cache that only this user can write. */
    public static Engine pytorch() {
        NativeCache.verify();
        GlibcMalloc.tune();
        return Engine.getEngine(PYTORCH);
    }

    /**
     * Gives the memory that freed tensors left in glibc's arenas back to the kernel once it has piled up
     * ({@link GlibcMalloc#trimIfGrown}); for callers that run the engine in a loop, between its steps.
     */
    public static void trimFreedMemory() {
        GlibcMalloc.trimIfGrown();
    }

    /** A root NDManager of the PyTorch engine on {@code device}. */
    public static NDManager newManager(Device device) {
        return pytorch().newBaseManager(device);
    }
}
