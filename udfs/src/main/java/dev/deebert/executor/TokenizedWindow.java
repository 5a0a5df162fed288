package dev.deebert.executor;

import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.TokenizedText;
import dev.deebert.tables.Catalog;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * A window of labeled input rows ({@link Catalog#INPUT} then {@link Catalog#LABEL_INDEX}),
 * tokenized the way the scorer tokenizes and split into length-sorted batches, so that the sweep's passes
 * see the batches scoring sees.
 */
final class TokenizedWindow {
    final List<Row> rows;
    final TokenizedText[] tokens;
    /** Row positions of each batch: rows sorted by token count, cut every batchSize rows. */
    final List<int[]> batches;

    private TokenizedWindow(List<Row> rows, TokenizedText[] tokens, List<int[]> batches) {
        this.rows = rows;
        this.tokens = tokens;
        this.batches = batches;
    }

    /**
     * Reads up to {@link ScoringSpec#windowRows} rows. Unlike scoring, a row that cannot be tokenized fails
     * the task: quality figures over a silently shrunken data set would mislead.
     */
    static TokenizedWindow read(Iterator<Row> input, ScoringSpec spec, DeeBertTokenizer tokenizer) {
        List<Row> rows = new ArrayList<>(spec.windowRows());
        while (rows.size() < spec.windowRows() && input.hasNext()) {
            rows.add(input.next());
        }
        TokenizedText[] tokens = new TokenizedText[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            String text = rows.get(i).getAs("text");
            if (text == null) {
                throw new IllegalArgumentException("row " + rows.get(i).getAs("id") + " has no text");
            }
            tokens[i] = spec.encode(tokenizer, text, null);
        }
        return new TokenizedWindow(rows, tokens, spec.batchesByLength(tokens));
    }

    List<TokenizedText> tokens(int[] batch) {
        return Arrays.stream(batch).mapToObj(i -> tokens[i]).toList();
    }
}
