package dev.deebert.job.score;

import dev.deebert.job.InputFormat;
import dev.deebert.job.RunIds;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Batching;
import dev.deebert.model.LongText;
import dev.deebert.model.Precision;
import dev.deebert.executor.ScoringSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A scoring run as the user asked for it, checked on the driver before anything starts.
 *
 * @param model the model as opened once on the driver: the threshold was looked up for its weights, and
 *     the run scores and stamps exactly those (a model replaced since is refused by the executors)
 * @param format how to read the input, or null to tell from its files' names (see {@link InputFormat#guess})
 * @param idCol input column holding row ids, or null to derive stable ids from the text
 * @param textBCol second text of pair tasks, or null
 * @param keepCols input columns copied to the predictions
 * @param batching how a window's batches share the layers as rows exit (auto already decided)
 * @param partitions number of partitions to score in, or 0 to keep the input's (at least the cluster's
 *     default parallelism)
 * @param maxFailedFraction the largest share of rows that may get an error instead of a prediction (per
 *     micro-batch in an incremental run, as that is what commits); a run over it fails
 * @param incremental how to score only what is new since the last run, or null for a batch run over the
 *     whole input
 * @param audit which rows to score at full depth as well, and what agreement to expect
 * @param longText truncation, or chunks of single texts (not of pairs: which of two texts to chunk, and what
 *     the other should be beside each chunk, has no answer that fits every pair task)
 */
public record ScoreRequest(ModelDirectory model, Path input, InputFormat format, String idCol, String textCol,
                           String textBCol, List<String> keepCols, Path output, double threshold, String runId,
                           int batchSize, Precision precision, Batching batching, int partitions, int maxSeqLen,
                           double maxFailedFraction, Incremental incremental, Audit audit, LongText longText) {
    /**
     * The run's label-free check of its early exit ({@link AuditSample}).
     *
     * @param fraction share of rows to score at full depth as well
     * @param minRows rows to audit at least (all, when the run has fewer)
     * @param expectedAgreement the share of rows whose label calibration found equal to the full model's at
     *     the operating point the run uses, or null for a threshold given as a number
     */
    public record Audit(double fraction, int minRows, Double expectedAgreement) {
        /** No row audited: for runs that check their early exit another way. */
        public static final Audit NONE = new Audit(0, 0, null);

        public Audit {
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new IllegalArgumentException("--audit-fraction must be between 0 and 1, got " + fraction);
            }
            if (minRows < 0) {
                throw new IllegalArgumentException("--audit-min-rows must be >= 0, got " + minRows);
            }
        }
    }

    /**
     * An incremental run: the input is read as a stream from where {@code checkpoint} left off.
     *
     * @param checkpoint Spark streaming checkpoint of this input/output pair (offsets of what was scored)
     * @param rescoreModelChange also score again the rows that earlier incremental runs scored with another
     *     model than the current one
     * @param maxFilesPerTrigger input files per micro-batch, or 0 for no limit
     */
    public record Incremental(Path checkpoint, boolean rescoreModelChange, int maxFilesPerTrigger) {
        public Incremental {
            if (maxFilesPerTrigger < 0) {
                throw new IllegalArgumentException("--max-files-per-trigger must be >= 0, got " + maxFilesPerTrigger);
            }
            if (Files.exists(checkpoint) && !Files.isDirectory(checkpoint)) {
                throw new IllegalArgumentException("--checkpoint " + checkpoint + " is a file, not a directory");
            }
        }
    }

    public ScoreRequest {
        if (!(threshold >= 0) || Double.isInfinite(threshold)) {
            throw new IllegalArgumentException("--threshold must be a finite number >= 0, got " + threshold);
        }
        ScoringSpec.checkBatchSize(batchSize);
        if (!(maxFailedFraction >= 0 && maxFailedFraction <= 1)) {
            throw new IllegalArgumentException("--max-failed-fraction must be between 0 and 1, got "
                    + maxFailedFraction);
        }
        if (partitions < 0) {
            throw new IllegalArgumentException("--partitions must be >= 0, got " + partitions);
        }
        RunIds.check(runId);
        if (!Files.exists(input)) {
            throw new IllegalArgumentException("--input " + input + " does not exist");
        }
        if (!Files.isReadable(input)) {
            throw new IllegalArgumentException("--input " + input + " is not readable");
        }
        if (incremental != null && !Files.isDirectory(input)) {
            throw new IllegalArgumentException("--incremental picks up new files of a directory (or new versions of a"
                    + " Delta table), but --input " + input + " is a single file");
        }
        if (longText.chunked() && textBCol != null) {
            throw new IllegalArgumentException("--long-text chunk splits single texts; pairs (--text-b-col "
                    + textBCol + ") are scored with truncation");
        }
        keepCols = List.copyOf(keepCols);
    }

    public boolean isIncremental() {
        return incremental != null;
    }
}
