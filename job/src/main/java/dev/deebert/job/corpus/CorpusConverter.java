package dev.deebert.job.corpus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Turns a directory of raw mails into train/dev/test JSON lines of {@link CorpusRecord}. A mail's split
 * follows from its Message-ID, or from its bytes when it has none, so reruns and other machines agree.
 * Mails that cannot be parsed, or carry no text, are counted in the report and skipped.
 */
public final class CorpusConverter {
    private final MailParser parser = new MailParser();
    private final int maxChars;

    public CorpusConverter(int maxChars) {
        if (maxChars < 1) {
            throw new IllegalArgumentException("--max-chars must be at least 1, got " + maxChars);
        }
        this.maxChars = maxChars;
    }

    public ConversionReport convert(Path source, Path outDir) throws IOException {
        var mails = CorpusMail.list(source);
        ConversionReport report = new ConversionReport();
        try (JsonLinesSplits out = JsonLinesSplits.create(outDir)) {
            for (CorpusMail mail : mails) {
                byte[] raw = Files.readAllBytes(mail.file());
                ParsedMail parsed;
                try {
                    parsed = parser.parse(raw);
                } catch (MalformedMailException e) {
                    report.recordMalformed(mail.id(), e.getMessage());
                    continue;
                }
                String text = CorpusText.of(parsed.subject(), parsed.body(), maxChars);
                if (text.isEmpty()) {
                    report.recordEmpty(mail.id());
                    continue;
                }
                Split split = Split.of(parsed.messageId().orElseGet(() -> contentKey(raw)));
                out.write(split, new CorpusRecord(mail.id(), text, mail.label().column(), mail.group()));
                report.recordKept(split, mail.label());
            }
        }
        return report;
    }

    /** The split key of a mail without Message-ID: its exact bytes, so identical copies share a split. */
    private static String contentKey(byte[] raw) {
        return "sha256:" + HexFormat.of().formatHex(Split.sha256(raw));
    }
}
