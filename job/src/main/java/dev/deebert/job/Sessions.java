package dev.deebert.job;

import ai.djl.Device;
import dev.deebert.model.Precision;
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

    /**
     * The precision named by a command's {@code --precision} for the tasks of {@code spark}: {@code auto} is
     * decided here, on the driver, once for the whole run (calibrated thresholds are looked up by it): bf16
     * when tasks get a GPU ({@code spark.task.resource.gpu.amount}), else what this machine's CPU runs fastest.
     */
    public static Precision precision(SparkSession spark, String name) {
        double gpus = Double.parseDouble(spark.conf().get("spark.task.resource.gpu.amount", "0"));
        return Precision.parse(name, gpus > 0 ? Device.gpu() : Device.cpu());
    }
}
