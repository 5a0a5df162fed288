package dev.deebert.job.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Classification quality of one exit on a labelled set.
 *
 * @param positiveF1 F1 of the positive class for a binary task, null otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Quality(@JsonProperty("accuracy") double accuracy, @JsonProperty("macro_f1") double macroF1,
                      @JsonProperty("positive_f1") Double positiveF1) {

    /** {@code predicted[i]} and {@code actual[i]} are label indices in 0..numLabels-1. */
    public static Quality of(int[] predicted, int[] actual, int numLabels, int positiveIndex) {
        if (predicted.length != actual.length || actual.length == 0) {
            throw new IllegalArgumentException("need as many predictions as labels, and at least one");
        }
        long[] truePositives = new long[numLabels];
        long[] predictedCount = new long[numLabels];
        long[] actualCount = new long[numLabels];
        long correct = 0;
        for (int i = 0; i < actual.length; i++) {
            predictedCount[predicted[i]]++;
            actualCount[actual[i]]++;
            if (predicted[i] == actual[i]) {
                truePositives[actual[i]]++;
                correct++;
            }
        }
        // like scikit-learn: the macro average runs over the classes that occur in either list
        double f1Sum = 0;
        int classes = 0;
        for (int c = 0; c < numLabels; c++) {
            if (predictedCount[c] + actualCount[c] > 0) {
                f1Sum += f1(truePositives[c], predictedCount[c], actualCount[c]);
                classes++;
            }
        }
        Double positive = positiveIndex < 0 ? null
                : f1(truePositives[positiveIndex], predictedCount[positiveIndex], actualCount[positiveIndex]);
        return new Quality((double) correct / actual.length, f1Sum / classes, positive);
    }

    /** 2TP / (predicted + actual); 0 when the class is neither predicted nor present (sklearn's zero_division=0). */
    private static double f1(long truePositives, long predicted, long actual) {
        return predicted + actual == 0 ? 0 : 2.0 * truePositives / (predicted + actual);
    }
}
