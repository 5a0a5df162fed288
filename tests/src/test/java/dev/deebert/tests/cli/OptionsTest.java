package dev.deebert.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.deebert.job.DeeBertMain;
import dev.deebert.job.InputFormat;
import dev.deebert.job.options.DeprecatedSpellings;
import dev.deebert.job.options.EngineOptions;
import dev.deebert.job.options.InputOptions;
import dev.deebert.model.BatchInputs;
import dev.deebert.model.Batching;
import dev.deebert.model.Precision;
import dev.deebert.tests.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The option groups the commands share, parsed by picocli as DeeBertMain configures it. */
class OptionsTest {
    @Command(name = "sweep")
    static final class Sweep implements Runnable {
        @Mixin
        InputOptions.Table input;

        @Option(names = "--text-col")
        String textCol;

        @Mixin
        EngineOptions.PrecisionOption precision;

        @Mixin
        EngineOptions.BatchingOption batching;

        @Mixin
        EngineOptions.BatchSize batchSize;

        @Override
        public void run() {}
    }

    @Command(name = "deebert", subcommands = Sweep.class)
    static final class Top implements Runnable {
        @Override
        public void run() {}
    }

    private static Sweep parse(String... args) {
        Sweep sweep = new Sweep();
        new CommandLine(sweep).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args);
        return sweep;
    }

    /** Names are taken as given on any device; auto is bf16 on GPUs and the faster one on this CPU. */
    @Test
    void precisionIsNamedOrDecidedByTheDevice() {
        for (Device device : new Device[] {Device.cpu(), Device.gpu()}) {
            assertEquals(Precision.FP32, parse("--input", "x", "--precision", " FP32").precision.on(device));
            assertEquals(Precision.BF16, parse("--input", "x", "--precision", "bf16").precision.on(device));
        }
        assertEquals(Precision.INT8, parse("--input", "x", "--precision", "INT8").precision.on(Device.cpu()));
        IllegalArgumentException gpu = assertThrows(IllegalArgumentException.class,
                () -> parse("--input", "x", "--precision", "int8").precision.on(Device.gpu()));
        assertTrue(gpu.getMessage().contains("precision int8 runs on CPU only"), gpu.getMessage());
        assertEquals(Precision.BF16, parse("--input", "x").precision.on(Device.gpu()), "auto by default");
        Precision onCpu = parse("--input", "x", "--precision", "Auto").precision.on(Device.cpu());
        assertEquals(Precision.fastestOn(Device.cpu()), onCpu);
        System.out.println("auto on this CPU: " + onCpu);
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> parse("--input", "x", "--precision", "fp16"));
        assertTrue(e.getMessage().contains("expected fp32, bf16, int8 or auto, got 'fp16'"), e.getMessage());
    }

    /** Untold, a batch holds the same tokens at any length, so the GEMMs keep their height; told, as told. */
    @Test
    void theDefaultBatchFollowsTheLength() {
        EngineOptions.BatchSize untold = parse("--input", "x").batchSize;
        assertEquals(32, untold.rows(128));
        assertEquals(64, untold.rows(64));
        assertEquals(128, untold.rows(32));
        assertEquals(8, untold.rows(512));
        assertEquals(1, untold.rows(BatchInputs.BATCH_TOKENS * 2), "at least one row");
        assertEquals(16, parse("--input", "x", "--batch-size", "16").batchSize.rows(32));
    }

    /**
     * Names are taken as given on any device; auto is refill on GPUs and on CPU tasks of several cores,
     * compaction on one core.
     */
    @Test
    void batchingIsNamedOrDecidedByTheDeviceAndTheTaskCores() {
        for (Device device : new Device[] {Device.cpu(), Device.gpu()}) {
            for (int cores : new int[] {1, 2}) {
                assertEquals(Batching.REFILL,
                        parse("--input", "x", "--batching", "Refill").batching.on(device, cores));
                assertEquals(Batching.COMPACTION,
                        parse("--input", "x", "--batching", "compaction").batching.on(device, cores));
            }
        }
        assertEquals(Batching.REFILL, parse("--input", "x").batching.on(Device.gpu(), 1), "auto by default");
        assertEquals(Batching.COMPACTION, parse("--input", "x", "--batching", "auto").batching.on(Device.cpu(), 1));
        assertEquals(Batching.REFILL, parse("--input", "x", "--batching", "auto").batching.on(Device.cpu(), 2));
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> parse("--input", "x", "--batching", "fifo"));
        assertTrue(e.getMessage().contains("expected compaction, refill or auto, got 'fifo'"), e.getMessage());
    }

    @Test
    void formatIsNamedInAnyCaseAndJsonlIsJson() {
        assertEquals(InputFormat.JSON, parse("--input", "x", "--format", "jsonl").input.format());
        assertEquals(InputFormat.PARQUET, parse("--input", "x", "--format", "Parquet").input.format());
        assertNull(parse("--input", "x").input.format(), "told from the path by the reader");
        assertEquals(InputFormat.JSON, parse("--input", "x.jsonl").input.formatOrGuess());
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> parse("--input", "x", "--format", "xml"));
        assertTrue(e.getMessage().contains("expected parquet, delta, json (jsonl), csv or text, got 'xml'"),
                e.getMessage());
    }

    /**
     * sweep's old --data still reads its input, in both forms, with one warning line each; a value that reads
     * "--data" stays a value.
     */
    @Test
    void anOldSpellingStillWorksAndWarns() {
        CommandLine cli = new CommandLine(new Top());
        DeprecatedSpellings.install(cli);
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        CommandLine.ParseResult parsed = cli.parseArgs("sweep", "--data", "a.jsonl", "--text-col", "--data");
        Sweep sweep = parsed.subcommand().commandSpec().commandLine().getCommand();
        assertEquals(Path.of("a.jsonl"), sweep.input.path());
        assertEquals("--data", sweep.textCol);
        assertEquals("deebert: --data is deprecated, use --input" + System.lineSeparator(), err.toString());

        CommandLine again = new CommandLine(new Top());
        DeprecatedSpellings.install(again);
        again.setErr(new PrintWriter(new StringWriter(), true));
        Sweep attached = again.parseArgs("sweep", "--data=b.csv").subcommand().commandSpec().commandLine()
                .getCommand();
        assertEquals(Path.of("b.csv"), attached.input.path());
    }

    /** The benchmark lives in this module; the app finds it through its META-INF/services file. */
    @Test
    void theBenchIsACommandOfThisClasspath() {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, DeeBertMain.execute("bench", "--help"));
        } finally {
            System.setOut(stdout);
        }
        String help = captured.toString(StandardCharsets.UTF_8);
        assertTrue(help.startsWith("Usage: deebert bench") && help.contains("--input=PATH"), help);
        assertEquals(2, DeeBertMain.execute("bench", "--model", Fixtures.golden("bert").toString(), "--input",
                "labeled.jsonl", "--min-seconds", "-1"), "refused before Spark starts");
    }
}
