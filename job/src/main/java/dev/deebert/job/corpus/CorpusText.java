package dev.deebert.job.corpus;

import java.util.regex.Pattern;

/** The {@code text} column: subject and body, whitespace runs collapsed, capped at a number of characters. */
final class CorpusText {
    /** Unicode-aware, so that no-break spaces from HTML ({@code &nbsp;}) collapse too. */
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    private CorpusText() {
    }

    /** Subject and body on two lines (the line break marks where the subject ends), or "" when both are blank. */
    static String of(String subject, String body, int maxChars) {
        String s = normalise(subject);
        String b = normalise(body);
        String text = s.isEmpty() || b.isEmpty() ? s + b : s + "\n" + b;
        return cap(text, maxChars);
    }

    private static String normalise(String text) {
        return WHITESPACE.matcher(text).replaceAll(" ").strip();
    }

    /** Cuts at most maxChars chars without splitting a surrogate pair. */
    private static String cap(String text, int maxChars) {
        if (text.length() <= maxChars) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return text.substring(0, end).stripTrailing();
    }
}
