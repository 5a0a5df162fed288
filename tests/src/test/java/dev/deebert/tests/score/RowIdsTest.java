package dev.deebert.tests.score;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.deebert.job.InputColumns;
import dev.deebert.job.RowIds;
import dev.deebert.tests.SparkTestSession;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Derived ids of identical texts do not depend on the order or partitioning in which the rows arrive. */
class RowIdsTest {
    @Test
    void identicalTextsGetTheSameIdsInAnyOrder() {
        SparkSession spark = SparkTestSession.get();
        StructType schema = new StructType().add("text", DataTypes.StringType).add("source", DataTypes.StringType)
                .add("tags", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            rows.add(RowFactory.create("same text " + i % 3, "source-" + i,
                    scala.collection.immutable.Map$.MODULE$.<String, String>empty()
                            .updated("k", "v" + i % 5)));
        }
        List<Row> reversed = new ArrayList<>(rows);
        Collections.reverse(reversed);
        Set<String> inOrder = idsOf(spark.createDataFrame(rows, schema).coalesce(1));
        Set<String> otherOrder = idsOf(spark.createDataFrame(reversed, schema).repartition(4));
        assertEquals(60, inOrder.size());
        assertEquals(inOrder, otherOrder);
    }

    /** "source -> id" for every row. */
    private static Set<String> idsOf(Dataset<Row> input) {
        return input.select(functions.concat_ws(" -> ", InputColumns.named("source"),
                        RowIds.of(null, InputColumns.named("text"), functions.lit(null).cast("string"), input)))
                .collectAsList().stream().map(r -> r.getString(0)).collect(Collectors.toCollection(TreeSet::new));
    }
}
