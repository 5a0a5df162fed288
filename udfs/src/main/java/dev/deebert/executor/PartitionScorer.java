package dev.deebert.executor;

import dev.deebert.model.ChunkedPrediction;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.Prediction;
import dev.deebert.model.TokenizedText;
import dev.deebert.tables.Catalog;
import dev.deebert.tables.NamedRow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Scores one partition with the executor's shared model: reads a window of rows, tokenizes them (into chunks
 * with {@link ScoringSpec#longText}), runs its length-sorted batches through one pass of the batched early exit
 * ({@link ScoringSpec#batching}), and emits one prediction row per input row (in input order) followed by one
 * row carrying the partition's stats. A row
 * that cannot be scored gets its error recorded instead of a prediction; it never fails the task. A failing
 * model does (a batch whose rows all fail alone too). Rows the driver marked for the run's audit
 * ({@link Catalog#AUDIT_SAMPLE}) are scored at full depth as well, and their full-depth label recorded.
 *
 * <p>Input rows follow {@link Catalog#INPUT}, with {@link Catalog#KEPT} when the run keeps columns; output
 * rows follow {@link Catalog#scorerOutput}.
 */
public final class PartitionScorer implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    /**
     * Fault injection for the exactly-once tests: a Spark local property naming a partition whose first
     * attempt fails after it has produced its rows.
     */
    public static final String FAIL_FIRST_ATTEMPT_OF_PARTITION = "deebert.faults.failFirstAttemptOfPartition";

    private final ScoringSpec spec;
    /** The audit's policy: no early exit. */
    private final ExitPolicy fullDepth;
    private final StructType predictions;
    private final StructType output;

    /** @param predictions the run's predictions schema ({@link Catalog#predictions}) */
    public PartitionScorer(ScoringSpec spec, StructType predictions) {
        this.spec = spec;
        this.predictions = predictions;
        this.output = Catalog.scorerOutput(predictions);
        this.fullDepth = ExitPolicy.uniform(0, spec.numLayers());
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        TaskContext task = TaskContext.get();
        ExecutorModels.Loaded model = ExecutorModels.forTask(spec, task);
        return new Output(input, model, task, model.engine().device().toString());
    }

    private final class Output extends WindowedOutput<Row> {
        private final Iterator<Row> input;
        private final ExecutorModels.Loaded model;
        private final TaskContext task;
        private final String device;
        private final PartitionStats stats;
        private boolean statsEmitted;

        Output(Iterator<Row> input, ExecutorModels.Loaded model, TaskContext task, String device) {
            this.input = input;
            this.model = model;
            this.task = task;
            this.device = device;
            this.stats = new PartitionStats(spec);
        }

        @Override
        protected boolean fill(Queue<Row> ready) {
            if (input.hasNext()) {
                scoreWindow(ready);
            } else if (!statsEmitted) {
                failIfInjected();
                ready.add(new NamedRow(output).set(Catalog.STATS, stats.toRow(task, device)).toRow());
                statsEmitted = true;
            } else {
                return false;
            }
            return true;
        }

        /**
         * Scores a window of rows as one set of chunks (a row scored with truncation is one chunk): every row's
         * chunks go through the same length-sorted batches, then each row's chunk predictions are aggregated
         * back into its prediction. A row with a chunk that failed gets that chunk's error.
         */
        private void scoreWindow(Queue<Row> ready) {
            List<Row> rows = new ArrayList<>(spec.windowRows());
            while (rows.size() < spec.windowRows() && input.hasNext()) {
                rows.add(input.next());
            }
            String[] errors = new String[rows.size()];
            List<TokenizedText> chunks = new ArrayList<>(rows.size());
            // the window's chunk positions of row r: firstChunk[r] until firstChunk[r + 1]
            int[] firstChunk = new int[rows.size() + 1];
            long start = System.nanoTime();
            for (int i = 0; i < rows.size(); i++) {
                try {
                    chunks.addAll(tokenize(rows.get(i)));
                } catch (RuntimeException e) {
                    errors[i] = describe(e);
                }
                firstChunk[i + 1] = chunks.size();
            }
            stats.addTokenizeNanos(System.nanoTime() - start);

            TokenizedText[] tokens = chunks.toArray(TokenizedText[]::new);
            Prediction[] chunkPredictions = new Prediction[tokens.length];
            String[] chunkErrors = new String[tokens.length];
            start = System.nanoTime();
            classify(spec.batchesByLength(tokens), tokens, chunkPredictions, chunkErrors);
            stats.addModelNanos(System.nanoTime() - start);

            ChunkedPrediction[] predictions = new ChunkedPrediction[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                if (errors[i] == null) {
                    errors[i] = Arrays.stream(chunkErrors, firstChunk[i], firstChunk[i + 1]).filter(Objects::nonNull)
                            .findFirst().orElse(null);
                }
                List<Prediction> scored = Arrays.asList(chunkPredictions).subList(firstChunk[i], firstChunk[i + 1]);
                if (errors[i] == null && !scored.contains(null)) {
                    predictions[i] = spec.longText().aggregate().of(scored);
                }
            }

            start = System.nanoTime();
            int[] fullLabels = audit(rows, firstChunk, tokens, chunkPredictions, predictions);
            stats.addAuditNanos(System.nanoTime() - start);

            for (int i = 0; i < rows.size(); i++) {
                ready.add(predictionRow(rows.get(i), predictions[i], errors[i], fullLabels[i]));
            }
        }

        /**
         * The full model's label of each scored row marked for the audit, -1 for the others: the aggregate of its
         * chunks at full depth. A chunk that left after the last layer already has its full-depth prediction;
         * the others run again with no early exit. These rows were just scored, so a failure here is the
         * model's and fails the task.
         *
         * @param firstChunk the chunk positions of row r: firstChunk[r] until firstChunk[r + 1]
         */
        private int[] audit(List<Row> rows, int[] firstChunk, TokenizedText[] tokens, Prediction[] chunkPredictions,
                            ChunkedPrediction[] predictions) {
            int[] fullLabels = new int[rows.size()];
            Arrays.fill(fullLabels, -1);
            if (rows.isEmpty() || rows.get(0).schema().getFieldIndex(Catalog.AUDIT_SAMPLE).isEmpty()) {
                return fullLabels;
            }
            boolean[] audited = new boolean[rows.size()];
            TokenizedText[] again = new TokenizedText[tokens.length];
            for (int i = 0; i < rows.size(); i++) {
                audited[i] = predictions[i] != null && rows.get(i).<Boolean>getAs(Catalog.AUDIT_SAMPLE);
                if (audited[i]) {
                    for (int c = firstChunk[i]; c < firstChunk[i + 1]; c++) {
                        if (chunkPredictions[c].exitLayer() < spec.numLayers()) {
                            again[c] = tokens[c];
                        }
                    }
                }
            }
            Prediction[] full = run(spec.batchesByLength(again), again, fullDepth);
            for (int i = 0; i < rows.size(); i++) {
                if (audited[i]) {
                    List<Prediction> fullChunks = new ArrayList<>();
                    int layers = 0;
                    for (int c = firstChunk[i]; c < firstChunk[i + 1]; c++) {
                        fullChunks.add(full[c] != null ? full[c] : chunkPredictions[c]);
                        layers += full[c] != null ? spec.numLayers() : 0;
                    }
                    fullLabels[i] = spec.longText().aggregate().of(fullChunks).labelIndex();
                    stats.audited(fullLabels[i] == predictions[i].labelIndex(), layers);
                }
            }
            return fullLabels;
        }

        /**
         * Runs a window's batches through one pass of the engine; if the pass fails, each batch alone, and if a
         * batch fails as a whole, each of its rows alone, so one bad row cannot take others down (the engine's
         * rows are the window's chunks: one per input row unless long texts are chunked). When
         * every row fails alone as well, the failure is not the rows' (a broken engine, a lost or asserted
         * device, memory that never frees): recording it as each row's error would pass off an unscored batch
         * as scored, so it fails the task instead and Spark retries it. A batch of one row cannot tell the two
         * apart; its failure stays the row's, and the run's failed-row share catches an engine that fails them
         * all.
         */
        private void classify(List<int[]> batches, TokenizedText[] tokens, Prediction[] predictions,
                              String[] errors) {
            try {
                Prediction[] out = run(batches, tokens, spec.policy());
                for (int[] batch : batches) {
                    for (int row : batch) {
                        predictions[row] = out[row];
                    }
                }
            } catch (RuntimeException failure) {
                if (batches.size() > 1) {
                    for (int[] batch : batches) {
                        classify(List.of(batch), tokens, predictions, errors);
                    }
                    return;
                }
                int[] batch = batches.get(0);
                if (batch.length == 1) {
                    errors[batch[0]] = describe(failure);
                    return;
                }
                for (int row : batch) {
                    classify(List.of(new int[] {row}), tokens, predictions, errors);
                }
                if (Arrays.stream(batch).allMatch(row -> predictions[row] == null)) {
                    throw new IllegalStateException("a batch of " + batch.length + " rows failed, and each of its"
                            + " rows failed alone too, so the model, not the rows, is failing: "
                            + describe(failure), failure);
                }
            }
        }

        /** {@code batches} of {@code tokens} through one pass of the engine: the prediction of each row in them. */
        private Prediction[] run(List<int[]> batches, TokenizedText[] tokens, ExitPolicy policy) {
            Prediction[] predictions = new Prediction[tokens.length];
            if (batches.isEmpty()) {
                return predictions;
            }
            List<Prediction> out = model.engine().classify(batches.stream()
                    .map(batch -> Arrays.stream(batch).mapToObj(i -> tokens[i]).toList()).toList(), policy,
                    spec.batching());
            int at = 0;
            for (int[] batch : batches) {
                for (int row : batch) {
                    predictions[row] = out.get(at++);
                }
            }
            return predictions;
        }

        private List<TokenizedText> tokenize(Row row) {
            return spec.chunks(model.tokenizer(), row.getAs("text"), row.getAs("text_b"));
        }

        /** @param fullLabel the full model's label index for an audited row, else -1 */
        private Row predictionRow(Row in, ChunkedPrediction p, String error, int fullLabel) {
            NamedRow prediction = new NamedRow(predictions)
                    .set("run_id", spec.runId())
                    .set("id", in.getAs("id"))
                    .set("model_sha256", spec.modelSha256())
                    .set("threshold", spec.threshold())
                    .set("max_seq_len", spec.maxSeqLen())
                    .set("precision", spec.precision().toString());
            if (p == null) {
                stats.failed();
                prediction.set("error", error == null ? "not scored" : error);
            } else {
                Prediction decider = p.decider();
                stats.scored(p.numTokens(), decider.exitLayer(), p.layersComputed(), p.numChunks());
                float[] probabilities = p.probabilities();
                prediction.set("label", spec.labels().get(p.labelIndex())).set("label_index", p.labelIndex())
                        .set("confidence", probabilities[p.labelIndex()]).set("probabilities", probabilities)
                        .set("entropy", decider.entropy()).set("exit_layer", decider.exitLayer())
                        .set("num_tokens", p.numTokens()).set("truncated", p.truncated())
                        .set("num_chunks", p.numChunks()).set("layers_computed", p.layersComputed())
                        .set("audit_label", fullLabel < 0 ? null : spec.labels().get(fullLabel));
            }
            if (!spec.passThrough().isEmpty()) {
                prediction.setAll(in.getStruct(in.fieldIndex(Catalog.KEPT)));
            }
            return new NamedRow(output).set(Catalog.PREDICTION, prediction.toRow()).toRow();
        }

        private void failIfInjected() {
            String partition = task.getLocalProperty(FAIL_FIRST_ATTEMPT_OF_PARTITION);
            if (partition != null && Integer.parseInt(partition) == task.partitionId() && task.attemptNumber() == 0) {
                throw new IllegalStateException("injected failure of partition " + partition + ", attempt 0");
            }
        }
    }

    private static String describe(RuntimeException e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
