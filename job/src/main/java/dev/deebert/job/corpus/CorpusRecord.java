package dev.deebert.job.corpus;

/**
 * One row of the prepared corpus.
 *
 * @param id    stable, unique: {@code <group>/<file name without .txt>}
 * @param text  subject and body, see {@link CorpusText}
 * @param label {@code spam} or {@code ham}
 * @param group the corpus subset the mail comes from, e.g. {@code easy-ham-1}
 */
public record CorpusRecord(String id, String text, String label, String group) {
}
