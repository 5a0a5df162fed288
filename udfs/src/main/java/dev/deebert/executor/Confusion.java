package dev.deebert.executor;

/**
 * A confusion matrix and the quality figures the paper reports from it.
 *
 * @param counts rows by true label (first index) and predicted label (second) [C][C]
 */
public record Confusion(long[][] counts) {

    public long rows() {
        long n = 0;
        for (long[] row : counts) {
            for (long c : row) {
                n += c;
            }
        }
        return n;
    }

    public double accuracy() {
        long right = 0;
        for (int c = 0; c < counts.length; c++) {
            right += counts[c][c];
        }
        return (double) right / rows();
    }

    /**
     * Unweighted mean of the per-label F1 over the labels that occur as truth or as prediction (as
     * scikit-learn's {@code f1_score(average="macro")} does without an explicit label list).
     */
    public double macroF1() {
        double sum = 0;
        int present = 0;
        for (int c = 0; c < counts.length; c++) {
            if (truth(c) + predicted(c) > 0) {
                sum += f1(c);
                present++;
            }
        }
        return present == 0 ? Double.NaN : sum / present;
    }

    /** F1 of one label; 0 when it is never predicted or never true. */
    public double f1(int label) {
        long tp = counts[label][label];
        long denominator = truth(label) + predicted(label);
        return denominator == 0 ? 0 : 2.0 * tp / denominator;
    }

    private long truth(int label) {
        long n = 0;
        for (long c : counts[label]) {
            n += c;
        }
        return n;
    }

    private long predicted(int label) {
        long n = 0;
        for (long[] row : counts) {
            n += row[label];
        }
        return n;
    }
}
