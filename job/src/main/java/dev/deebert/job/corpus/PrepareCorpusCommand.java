package dev.deebert.job.corpus;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code deebert prepare-corpus}: raw mails to train/dev/test JSON lines for fine-tuning and scoring. */
@Command(name = "prepare-corpus", mixinStandardHelpOptions = true,
        description = "Convert a mail corpus (<source>/<group>/<name>.txt, as fetched by submit/fetch-demo-corpus) "
                + "into train.jsonl, dev.jsonl and test.jsonl (80/10/10 by Message-ID) with columns id, text, "
                + "label (spam/ham), group.")
public final class PrepareCorpusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--source", required = true, description = "Corpus directory: one subdirectory per subset "
            + "(spam-1, easy-ham-1, ...) of raw RFC 822 mails named *.txt.")
    Path source;

    @Option(names = "--out", required = true, description = "Output directory (created; its split files are "
            + "overwritten).")
    Path out;

    @Option(names = "--max-chars", defaultValue = "4000", description = "Characters kept of each subject + body "
            + "(default: ${DEFAULT-VALUE}).")
    int maxChars;

    @Override
    public Integer call() throws IOException {
        ConversionReport report = new CorpusConverter(maxChars).convert(source, out);
        PrintWriter err = spec.commandLine().getErr();
        for (String malformed : report.malformed()) {
            err.println("skipped malformed mail " + malformed);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        report.summary().forEach(stdout::println);
        stdout.println("wrote " + out.toAbsolutePath());
        stdout.flush();
        err.flush();
        return 0;
    }
}
