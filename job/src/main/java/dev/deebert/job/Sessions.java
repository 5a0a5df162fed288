package dev.deebert.job;

import ai.djl.Device;
import org.apache.spark.sql.SparkSession;

/** The Spark session of a command: whatever spark-submit configured, with Delta Lake switched on. */
public final class Sessions {
    private Sessions() {}

    public static SparkSession getOrCreate(String appName) {
        SparkSession.Builder builder = SparkSession.builder().appName(appName)
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
        if (System.getProperty("spark.master") == null) {
            builder.master("local[*,4]");  // local mode retries a failed task only when told to (here: 4 tries)
        }
        return builder.getOrCreate();
    }

    /** The device each task of {@code spark} runs its model on: a GPU when tasks are given one. */
    public static Device taskDevice(SparkSession spark) {
        double gpus = Double.parseDouble(spark.conf().get("spark.task.resource.gpu.amount", "0"));
        return gpus > 0 ? Device.gpu() : Device.cpu();
    }

    /** The cores each task of {@code spark} holds: the engine's intra-op threads in the task. */
    public static int taskCpus(SparkSession spark) {
        return Integer.parseInt(spark.conf().get("spark.task.cpus", "1"));
    }
}
