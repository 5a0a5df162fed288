package dev.deebert.tests;

import ai.djl.Device;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.executor.ExecutorModels;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Model directories whose engine fails the way a lost device, a device-side assert or a broken native
 * library leaves it: every call fails, whatever the rows. In local mode the test JVM is the executor, so
 * closing the engine that {@link ExecutorModels} shares there breaks exactly the engine tasks will use,
 * after the driver has checked the directory and found it sound.
 */
public final class BrokenEngines {
    private BrokenEngines() {}

    /**
     * A copy of the golden BERT model at {@code dir} whose executor engine for ({@code precision},
     * {@code maxSeqLen}) on the CPU is closed. Another path to the same files (a symbolic link) gets a
     * fresh engine, as a new executor would.
     */
    public static Path closedAt(Path dir, Precision precision, int maxSeqLen) throws IOException {
        Path model = Fixtures.copyGoldenBert(dir).toAbsolutePath();
        String sha = ModelDirectory.open(model).weightsSha256();
        ExecutorModels.get(model.toString(), sha, Device.cpu(), precision, maxSeqLen).engine().close();
        return model;
    }
}
