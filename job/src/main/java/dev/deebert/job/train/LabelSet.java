package dev.deebert.job.train;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * The labels of a data set in a stable order: numerically when every label is an integer (so "10" comes
 * after "9"), otherwise lexicographically. The position in this order is the label index of the model.
 */
public record LabelSet(List<String> names) {
    /** The label whose F1 is reported for a binary task when present. */
    public static final String DEFAULT_POSITIVE = "spam";

    public LabelSet {
        names = List.copyOf(names);
        if (names.size() < 2) {
            throw new IllegalArgumentException("training needs at least 2 distinct labels, found " + names);
        }
    }

    public static LabelSet of(Collection<String> rawLabels) {
        TreeSet<String> distinct = new TreeSet<>(rawLabels);
        boolean numeric = distinct.stream().allMatch(LabelSet::isInteger);
        List<String> sorted = new ArrayList<>(distinct);
        if (numeric) {
            sorted.sort(Comparator.comparing(java.math.BigInteger::new));
        }
        return new LabelSet(sorted);
    }

    private static boolean isInteger(String label) {
        return label.matches("[+-]?\\d+");
    }

    public int size() {
        return names.size();
    }

    public int indexOf(String label) {
        int index = names.indexOf(label);
        if (index < 0) {
            throw new IllegalArgumentException("label '" + label + "' is not one of the training labels " + names);
        }
        return index;
    }

    /** For a binary task: the index of {@code spam} if present, else 1; -1 when there are more classes. */
    public int positiveIndex() {
        if (names.size() != 2) {
            return -1;
        }
        int spam = names.indexOf(DEFAULT_POSITIVE);
        return spam >= 0 ? spam : 1;
    }
}
