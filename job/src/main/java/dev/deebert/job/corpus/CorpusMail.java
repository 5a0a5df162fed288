package dev.deebert.job.corpus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A raw mail of a corpus laid out as {@code <source>/<group>/<name>.txt}, one RFC 822 mail per file, as in the
 * SpamAssassin corpus fetched by {@code submit/fetch-demo-corpus}. The package's {@code .json} twins of the
 * files are not read: their text is the mail decoded as UTF-8, which loses the bytes of other charsets.
 */
record CorpusMail(String id, String group, Label label, Path file) {
    private static final String SUFFIX = ".txt";

    /** Every mail under the source, in a fixed order (group, then file name); fails on a group of no known label. */
    static List<CorpusMail> list(Path source) throws IOException {
        if (!Files.isDirectory(source)) {
            throw new IllegalArgumentException("corpus source " + source + " is not a directory");
        }
        List<CorpusMail> mails = new ArrayList<>();
        for (Path groupDir : sorted(source)) {
            String group = groupDir.getFileName().toString();
            if (!Files.isDirectory(groupDir) || group.startsWith(".")) {
                continue;
            }
            Label label = Label.ofGroup(group);
            for (Path file : sorted(groupDir)) {
                String name = file.getFileName().toString();
                if (Files.isRegularFile(file) && name.endsWith(SUFFIX)) {
                    String stem = name.substring(0, name.length() - SUFFIX.length());
                    mails.add(new CorpusMail(group + "/" + stem, group, label, file));
                }
            }
        }
        if (mails.isEmpty()) {
            throw new IllegalArgumentException("no mails under " + source + ": expected <group>/<name>" + SUFFIX
                    + " files, e.g. spam-1/00001.txt");
        }
        return mails;
    }

    private static List<Path> sorted(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.sorted().toList();
        }
    }
}
