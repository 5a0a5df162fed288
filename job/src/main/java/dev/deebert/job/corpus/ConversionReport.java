package dev.deebert.job.corpus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** What a conversion kept (per split and label) and what it skipped (malformed or textless mails, by id). */
public final class ConversionReport {
    private final Map<Split, Map<Label, Integer>> kept = new EnumMap<>(Split.class);
    private final List<String> malformed = new ArrayList<>();
    private final List<String> empty = new ArrayList<>();

    void recordKept(Split split, Label label) {
        kept.computeIfAbsent(split, s -> new EnumMap<>(Label.class)).merge(label, 1, Integer::sum);
    }

    void recordMalformed(String id, String reason) {
        malformed.add(id + ": " + reason);
    }

    void recordEmpty(String id) {
        empty.add(id);
    }

    public int kept(Split split, Label label) {
        return kept.getOrDefault(split, Map.of()).getOrDefault(label, 0);
    }

    public int keptTotal() {
        return kept.values().stream().flatMap(m -> m.values().stream()).mapToInt(Integer::intValue).sum();
    }

    /** "id: reason" of each mail that could not be parsed. */
    public List<String> malformed() {
        return Collections.unmodifiableList(malformed);
    }

    /** Ids of the mails with neither subject nor body text. */
    public List<String> empty() {
        return Collections.unmodifiableList(empty);
    }

    /** One line per split with its counts per label, then the skipped counts. */
    public List<String> summary() {
        List<String> lines = new ArrayList<>();
        for (Split split : Split.values()) {
            StringBuilder line = new StringBuilder(split.fileStem());
            int total = 0;
            for (Label label : Label.values()) {
                int n = kept(split, label);
                total += n;
                line.append(' ').append(label.column()).append('=').append(n);
            }
            lines.add(line.append(" total=").append(total).toString());
        }
        lines.add("kept=" + keptTotal() + " malformed=" + malformed.size() + " empty=" + empty.size());
        return lines;
    }
}
