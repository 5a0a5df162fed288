package dev.deebert.tests;

import ai.djl.Device;
import dev.deebert.executor.ExecutorModels;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Engines that fail the way a lost device, a device-side assert or a broken native library leaves them: every
 * call fails, whatever the rows, after the driver has checked the model directory and found it sound. In local
 * mode the test JVM is the executor, so closing an engine that {@link ExecutorModels} shares there breaks
 * exactly the engine tasks will use.
 */
public final class BrokenEngines implements AutoCloseable {
    private final SparkSession spark;

    private BrokenEngines(SparkSession spark) {
        this.spark = spark;
    }

    /**
     * A copy of the golden BERT model at {@code dir} whose executor engine for ({@code precision},
     * {@code maxSeqLen}) on the CPU is closed: the first task using it fails, and the engine is built again for
     * the next, as a device that recovers.
     */
    public static Path closedOnceAt(Path dir, Precision precision, int maxSeqLen) throws IOException {
        Path model = Fixtures.copyGoldenBert(dir).toAbsolutePath();
        String sha = ModelDirectory.open(model).weightsSha256();
        ExecutorModels.get(model.toString(), sha, Device.cpu(), precision, maxSeqLen).engine().close();
        return model;
    }

    /**
     * Until closed, every task that jobs submitted from this thread run gets a broken engine, whichever attempt
     * it is and whichever engine it is given, as a device that stays lost.
     */
    public static BrokenEngines forEveryTask(SparkSession spark) {
        spark.sparkContext().setLocalProperty(ExecutorModels.BREAK_ENGINES, "true");
        return new BrokenEngines(spark);
    }

    @Override
    public void close() {
        spark.sparkContext().setLocalProperty(ExecutorModels.BREAK_ENGINES, null);
    }
}
