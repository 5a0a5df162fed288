package dev.deebert.bench;

import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.TokenizedText;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * The benchmark's rows, tokenized once and sorted by length (as the scoring job batches them), with their
 * gold label index. Every contender sees exactly these batches.
 */
record LabeledRows(List<TokenizedText> tokens, int[] labels) {
    static LabeledRows of(List<Row> rows, String textCol, String labelCol, DeeBertConfig config,
                          DeeBertTokenizer tokenizer) {
        record Item(TokenizedText tokens, int label) {}
        List<Item> items = new ArrayList<>();
        for (Row row : rows) {
            String label = String.valueOf(row.<Object>getAs(labelCol));
            Integer index = config.label2id().get(label);
            if (index == null) {
                throw new IllegalArgumentException("label '" + label + "' is not one of the model's "
                        + config.label2id().keySet());
            }
            String text = row.getAs(textCol);
            items.add(new Item(tokenizer.encode(text == null ? "" : text, null), index));
        }
        items.sort(Comparator.comparingInt(i -> i.tokens().numTokens()));
        return new LabeledRows(items.stream().map(Item::tokens).toList(),
                items.stream().mapToInt(Item::label).toArray());
    }

    /** {@code n} rows spread evenly over the length-sorted rows, so short and long rows are both represented. */
    LabeledRows spread(int n) {
        int count = Math.min(n, size());
        List<TokenizedText> picked = new ArrayList<>(count);
        int[] pickedLabels = new int[count];
        for (int i = 0; i < count; i++) {
            int at = (int) ((long) i * size() / count);
            picked.add(tokens.get(at));
            pickedLabels[i] = labels[at];
        }
        return new LabeledRows(picked, pickedLabels);
    }

    int size() {
        return labels.length;
    }

    List<List<TokenizedText>> batches(int batchSize) {
        List<List<TokenizedText>> batches = new ArrayList<>();
        for (int from = 0; from < tokens.size(); from += batchSize) {
            batches.add(tokens.subList(from, Math.min(tokens.size(), from + batchSize)));
        }
        return batches;
    }

    double accuracy(int[] predicted) {
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += predicted[i] == labels[i] ? 1 : 0;
        }
        return (double) correct / labels.length;
    }
}
