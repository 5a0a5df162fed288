package dev.deebert.job.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Which swept threshold calibrate runs at for a budget, from each threshold's measured drop and the upper bound of
 * that drop (Calibration.choose): sweeps written out by hand, as the sweep table holds them (ascending S, S=0
 * first), so that each rule shows on its own.
 */
class CalibrationChoiceTest {
    private static final StructType SWEEP = new StructType().add("threshold", DataTypes.DoubleType)
            .add("quality_drop", DataTypes.DoubleType).add("expected_saving", DataTypes.DoubleType);

    /** One row per {threshold, quality_drop, expected_saving}. */
    private static List<Row> sweep(double[]... rows) {
        return Arrays.stream(rows).map(r -> (Row) new GenericRowWithSchema(new Object[] {r[0], r[1], r[2]}, SWEEP))
                .toList();
    }

    @Test
    void aThresholdIsTakenOnlyWhenItsDropAndTheDropsBoundAreWithinTheBudget() {
        List<Row> sweep = sweep(new double[] {0, 0, 0}, new double[] {0.1, -0.5, 0.5}, new double[] {0.2, 0.2, 0.6},
                new double[] {0.3, 0.4, 0.7}, new double[] {0.4, 0.9, 0.8});
        double[] bounds = {0, 0.1, 0.45, 0.9, 0.8};
        assertEquals(0, Calibration.choose(sweep, bounds, 0), "S=0.1 gained on these rows, but may lose 0.1");
        assertEquals(2, Calibration.choose(sweep, bounds, 0.5), "S=0.3 lost 0.4 here, but may lose 0.9");
        assertEquals(4, Calibration.choose(sweep, bounds, 1));
        assertEquals(0, Calibration.choose(sweep(new double[] {0, 0, 0}, new double[] {0.1, 0.6, 0.5}),
                new double[] {0, 0.4}, 0.5), "a bound below the drop does not let the drop pass");
    }

    @Test
    void testingStopsAtTheFirstThresholdOutsideTheBudget() {
        List<Row> sweep = sweep(new double[] {0, 0, 0}, new double[] {0.1, 0.3, 0.4}, new double[] {0.2, 0.8, 0.5},
                new double[] {0.3, 0.1, 0.6});
        double[] bounds = {0, 0.4, 1.0, 0.3};
        assertEquals(1, Calibration.choose(sweep, bounds, 0.5), "S=0.3 is within alone, but S=0.2 before it is not");
        assertEquals(3, Calibration.choose(sweep, bounds, 1));
    }

    @Test
    void ofEqualSavingsTheSmallerDropThenTheSmallerThresholdIsTaken() {
        List<Row> sweep = sweep(new double[] {0, 0, 0}, new double[] {0.1, 0.3, 0.5}, new double[] {0.2, 0.1, 0.5},
                new double[] {0.3, 0.1, 0.5});
        assertEquals(2, Calibration.choose(sweep, new double[] {0, 0.4, 0.3, 0.3}, 0.5));
        assertEquals(0, Calibration.choose(sweep, new double[] {0, 0.4, 0.3, 0.3}, 0.35),
                "S=0.1's bound stops the test before its equals");
    }
}
