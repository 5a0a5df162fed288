package dev.deebert.tests.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.deebert.job.train.LabelSet;
import dev.deebert.job.train.Quality;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Expected figures from scikit-learn 1.x: accuracy_score and f1_score(average='macro' / pos_label=...). */
class QualityAndLabelsTest {
    @Test
    void threeClassesMatchScikitLearn() {
        Quality q = Quality.of(new int[] {0, 1, 1, 1, 2, 0, 2, 0, 2, 2}, new int[] {0, 0, 1, 1, 2, 2, 2, 0, 1, 2}, 3, -1);
        assertEquals(0.7, q.accuracy(), 1e-12);
        assertEquals(0.6944444444444443, q.macroF1(), 1e-12);
        assertNull(q.positiveF1());
    }

    @Test
    void binaryReportsThePositiveClass() {
        int[] predicted = {0, 1, 0, 0, 1, 1, 1, 1};
        int[] actual = {0, 1, 1, 0, 1, 1, 0, 0};
        Quality q = Quality.of(predicted, actual, 2, 1);
        assertEquals(0.625, q.accuracy(), 1e-12);
        assertEquals(0.6190476190476191, q.macroF1(), 1e-12);
        assertEquals(0.6666666666666666, q.positiveF1(), 1e-12);
        assertEquals(0.5714285714285714, Quality.of(predicted, actual, 2, 0).positiveF1(), 1e-12);
    }

    @Test
    void macroF1SkipsClassesThatNeverOccur() {
        // class 1 is neither predicted nor present: scikit-learn averages over classes 0 and 2 only
        Quality q = Quality.of(new int[] {0, 2, 2, 2}, new int[] {0, 0, 2, 2}, 3, -1);
        assertEquals(0.7333333333333334, q.macroF1(), 1e-12);
    }

    @Test
    void labelsSortNumericallyWhenAllAreIntegersAndSpamIsPositive() {
        assertEquals(List.of("2", "9", "10"), LabelSet.of(List.of("10", "9", "2", "9")).names());
        assertEquals(List.of("10", "9", "x"), LabelSet.of(List.of("10", "9", "x")).names());
        assertEquals(1, LabelSet.of(List.of("spam", "ham")).positiveIndex());
        assertEquals(0, LabelSet.of(List.of("spam", "zzz")).positiveIndex());
        assertEquals(1, LabelSet.of(List.of("0", "1")).positiveIndex());
        assertEquals(-1, LabelSet.of(List.of("a", "b", "c")).positiveIndex());
        assertThrows(IllegalArgumentException.class, () -> LabelSet.of(List.of("only")));
    }
}
