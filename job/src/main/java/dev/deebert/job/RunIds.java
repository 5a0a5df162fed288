package dev.deebert.job;

import java.util.regex.Pattern;

/** Run ids end up in Delta predicates ({@code run_id = '...'}): only plain characters are allowed. */
public final class RunIds {
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    private RunIds() {}

    public static String check(String runId) {
        if (runId == null || !RUN_ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("--run-id '" + runId + "' must be 1-128 letters, digits, '.', '_', ':'"
                    + " or '-', starting with a letter or digit");
        }
        return runId;
    }
}
