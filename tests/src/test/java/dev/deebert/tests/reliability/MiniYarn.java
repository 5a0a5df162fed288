package dev.deebert.tests.reliability;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptReport;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.YarnException;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A real YARN cluster in this JVM (Hadoop's MiniYARNCluster: a ResourceManager and a NodeManager whose
 * containers are JVMs of their own), configured as Spark's own YARN suite configures it (BaseYarnClusterSuite),
 * and a Spark installation for it as an edge node has one: {@code bin/spark-submit}, {@code jars/} (Spark and
 * Hadoop's client, which every node has: {@code spark.yarn.jars=local:...}), {@code conf/spark-defaults.conf},
 * and the cluster's address in {@code HADOOP_CONF_DIR}.
 */
final class MiniYarn implements AutoCloseable {
    /** What the app jar brings: the application's own dependencies (Maven groups). */
    private static final List<String> APP_DEPENDENCIES = List.of("/ai/djl/", "/io/delta/", "/info/picocli/",
            "/org/apache/james/", "/org/jfree/", "/com/google/protobuf/", "/dev/langchain4j/");
    private static final Pattern APPLICATION = Pattern.compile("Submitted application (application_\\d+_\\d+)");

    private final MiniYARNCluster cluster;
    private final YarnClient client;
    private final Path sparkHome;
    private final Path hadoopConf;

    private MiniYarn(MiniYARNCluster cluster, YarnClient client, Path sparkHome, Path hadoopConf) {
        this.cluster = cluster;
        this.client = client;
        this.sparkHome = sparkHome;
        this.hadoopConf = hadoopConf;
    }

    /** A cluster whose NodeManager offers {@code memoryMb}; a failed application gets {@code maxAttempts}. */
    static MiniYarn start(Path dir, int memoryMb, int maxAttempts) throws IOException, InterruptedException {
        YarnConfiguration conf = new YarnConfiguration();
        // As BaseYarnClusterSuite: no disk check (a full disk would hang the test), and the capacity scheduler's
        // queue, whose capacity-scheduler.xml hadoop-client-minicluster lacks.
        conf.set("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100.0");
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
        conf.setFloat("yarn.scheduler.capacity.root.default.user-limit-factor", 1);
        conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
        conf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
        conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
        conf.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
        conf.setInt("yarn.scheduler.capacity.node-locality-delay", -1);
        conf.set(YarnConfiguration.RM_HOSTNAME, "127.0.0.1");
        conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, memoryMb);
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 256);
        conf.setInt(YarnConfiguration.RM_AM_MAX_ATTEMPTS, maxAttempts);
        // MiniYARNCluster keeps its state (NodeManager local and log dirs) under test.build.data.
        System.setProperty("test.build.data", dir.resolve("yarn").toString());

        MiniYARNCluster cluster = new MiniYARNCluster("deebert", 1, 1, 1);
        cluster.init(conf);
        cluster.start();
        // start() may return before the ResourceManager has its port (BaseYarnClusterSuite waits for it too).
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (cluster.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0")) {
            if (System.nanoTime() > deadline) {
                cluster.stop();
                throw new IllegalStateException("the ResourceManager got no port");
            }
            Thread.sleep(100);
        }
        YarnClient client = YarnClient.createYarnClient();
        client.init(cluster.getConfig());
        client.start();

        Path hadoopConf = Files.createDirectories(dir.resolve("hadoop-conf"));
        try (OutputStream out = Files.newOutputStream(hadoopConf.resolve("yarn-site.xml"))) {
            cluster.getConfig().writeXml(out);
        }
        return new MiniYarn(cluster, client, sparkInstallation(dir.resolve("spark")), hadoopConf);
    }

    private static Path sparkInstallation(Path home) throws IOException {
        Path jars = Files.createDirectories(home.resolve("jars"));
        for (Path jar : sparkJars()) {
            Files.createSymbolicLink(jars.resolve(jar.getFileName()), jar);
        }
        String javaHome = System.getProperty("java.home");
        Path conf = Files.createDirectories(home.resolve("conf"));
        // The nodes' Java (yarn-env.sh names it on a real cluster), the staging dir off the user's home, and
        // shuffle partitions for one executor core (as conf/spark-local.conf), not Delta's writes in 200 tasks.
        Files.writeString(conf.resolve("spark-defaults.conf"), String.join("\n",
                "spark.yarn.jars                   local:" + jars + "/*",
                "spark.yarn.stagingDir             " + Files.createDirectories(home.resolve("staging")).toUri(),
                "spark.yarn.appMasterEnv.JAVA_HOME " + javaHome,
                "spark.executorEnv.JAVA_HOME       " + javaHome,
                "spark.sql.shuffle.partitions      8", ""));
        Path submit = Files.createDirectories(home.resolve("bin")).resolve("spark-submit");
        // What spark-class runs: SparkSubmit on the installation's jars, the Hadoop configuration first.
        Files.writeString(submit, String.join("\n", "#!/usr/bin/env bash",
                "source " + Launcher.ROOT.resolve("conf/java17-opens.sh"),
                "read -r -a opens <<< \"$SPARK_JAVA17_OPENS\"",
                "exec " + javaHome + "/bin/java \"${opens[@]}\" -cp \"$HADOOP_CONF_DIR:$SPARK_HOME/jars/*\" "
                        + "org.apache.spark.deploy.SparkSubmit \"$@\"", ""));
        Files.setPosixFilePermissions(submit, PosixFilePermissions.fromString("rwxr-xr-x"));
        return home;
    }

    /**
     * Spark as submit/deebert runs it (job/target/classpath.txt) less what the app jar brings, plus what a Spark
     * 3.5 distribution has for YARN besides: Spark's YARN module and Hadoop's web proxy filter.
     */
    private static List<Path> sparkJars() throws IOException {
        String root = Launcher.ROOT.toString();
        Stream<String> spark = Arrays.stream(Files.readString(Launcher.ROOT.resolve("job/target/classpath.txt"))
                .trim().split(File.pathSeparator))
                .filter(jar -> !jar.startsWith(root) && APP_DEPENDENCIES.stream().noneMatch(jar::contains));
        Stream<String> yarn = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(jar -> jar.contains("/spark-yarn_") || jar.contains("/hadoop-yarn-server-web-proxy/"));
        return Stream.concat(spark, yarn).map(Path::of).toList();
    }

    /** The environment that points {@code spark-submit} (and so submit/cluster/yarn.sh) at this cluster. */
    Map<String, String> submitEnv() {
        return Map.of("PATH", sparkHome.resolve("bin") + ":" + System.getenv("PATH"),
                "SPARK_HOME", sparkHome.toString(), "HADOOP_CONF_DIR", hadoopConf.toString());
    }

    /** The application that spark-submit's log says it submitted. */
    static ApplicationId submitted(Path log) throws IOException {
        Matcher m = APPLICATION.matcher(Files.readString(log));
        if (!m.find()) {
            throw new IllegalStateException("no application submitted:\n" + Launcher.tail(log));
        }
        return ApplicationId.fromString(m.group(1));
    }

    ApplicationReport report(ApplicationId app) throws IOException, YarnException {
        return client.getApplicationReport(app);
    }

    List<ApplicationAttemptReport> attempts(ApplicationId app) throws IOException, YarnException {
        return client.getApplicationAttempts(app);
    }

    /** A log file ({@code stderr}, {@code stdout}) of an attempt's ApplicationMaster: in cluster mode, the driver. */
    String driverLog(ApplicationAttemptReport attempt, String name) throws IOException {
        String container = attempt.getAMContainerId().toString();
        try (Stream<Path> files = Files.walk(cluster.getTestWorkDir().toPath())) {
            Path log = files.filter(p -> p.getFileName().toString().equals(name)
                    && p.getParent().getFileName().toString().equals(container)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no " + name + " of " + container));
            return Files.readString(log);
        }
    }

    @Override
    public void close() {
        client.stop();
        cluster.stop();
    }
}
