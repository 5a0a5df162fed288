package dev.deebert.job.analysis;

import dev.deebert.job.Sessions;
import dev.deebert.job.options.OutputOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code deebert report}: one HTML file of the scoring runs under an output root and of the sweeps there and under
 * the sweep roots named beside it; Parquet exports.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write a self-contained HTML report of the scoring runs under --output and the sweeps under"
                + " --output and --sweep-input, and/or export the tables under --output as Parquet.")
public final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions.DeltaRoot output;

    @Option(names = "--sweep-input", split = ",", paramLabel = "ROOT", description = "Root of a sweep's Delta"
            + " tables (sweep's --output) to draw the calibration curves from, beside any sweeps under --output;"
            + " repeatable.")
    List<Path> sweepInputs = List.of();

    @Option(names = "--run-id", split = ",", description = "Runs to report on, scoring and sweep (default: all).")
    List<String> runIds = List.of();

    @Option(names = "--html", description = "The HTML file to write.")
    Path html;

    @Option(names = "--export", description = "Directory for Parquet snapshots of every Delta table under --output.")
    Path export;

    @Override
    public Integer call() throws IOException {
        if (html == null && export == null) {
            throw new IllegalArgumentException("nothing to do: pass --html FILE and/or --export DIR");
        }
        Path root = output.root();
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("--output " + root + " is not a directory");
        }
        SparkSession spark = Sessions.getOrCreate("deebert report");
        PrintWriter out = spec.commandLine().getOut();
        if (html != null) {
            String page = new Report(spark, root, sweepInputs, runIds).html();
            Path parent = html.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.writeString(html, page, StandardCharsets.UTF_8);
            out.printf("wrote %s (%d KiB)%n", html, page.length() / 1024);
        }
        if (export != null) {
            out.printf("exported %s to %s%n", TableExport.export(spark, root.toAbsolutePath(), export), export);
        }
        out.flush();
        return 0;
    }
}
