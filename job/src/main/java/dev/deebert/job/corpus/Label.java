package dev.deebert.job.corpus;

import java.util.Locale;

/** The class of a mail, taken from the name of the corpus subset it comes from. */
public enum Label {
    SPAM, HAM;

    /** {@code spam-1} and {@code spam-2} hold spam; {@code easy-ham-1}, {@code hard-ham-1} etc. hold ham. */
    public static Label ofGroup(String group) {
        String name = group.toLowerCase(Locale.ROOT);
        if (name.startsWith("spam")) {
            return SPAM;
        }
        if (name.contains("ham")) {
            return HAM;
        }
        throw new IllegalArgumentException("corpus subset '" + group + "' is neither spam nor ham: its name must "
                + "start with 'spam' or contain 'ham'");
    }

    /** The value of the {@code label} column. */
    public String column() {
        return name().toLowerCase(Locale.ROOT);
    }
}
