package dev.deebert.tests;

import org.apache.spark.sql.SparkSession;

/** One local[2] Spark session with Delta for the whole test JVM; a failed task gets one retry. */
public final class SparkTestSession {
    private SparkTestSession() {}

    public static synchronized SparkSession get() {
        return SparkSession.builder()
                .master("local[2,2]")
                .appName("deebert-tests")
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.default.parallelism", "2")
                .config("spark.databricks.delta.snapshotPartitions", "2")
                .getOrCreate();
    }
}
