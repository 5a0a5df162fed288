package dev.deebert.tests.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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

/** Ids do not depend on the order or partitioning in which the rows arrive. */
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
        Set<String> inOrder = idsOf(spark.createDataFrame(rows, schema).coalesce(1), null);
        Set<String> otherOrder = idsOf(spark.createDataFrame(reversed, schema).repartition(4), null);
        assertEquals(60, inOrder.size());
        assertEquals(inOrder, otherOrder);
    }

    @Test
    void givenIdsAreKeptAndNullOnesDerivedWithoutRankingEveryRow() {
        SparkSession spark = SparkTestSession.get();
        StructType schema = new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType)
                .add("source", DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            rows.add(RowFactory.create(i % 10 == 0 ? null : "given-" + i, "same text " + i % 3, "source-" + i));
        }
        List<Row> reversed = new ArrayList<>(rows);
        Collections.reverse(reversed);
        Dataset<Row> inOrder = spark.createDataFrame(rows, schema).coalesce(1);
        Set<String> ids = idsOf(inOrder, "id");
        assertEquals(ids, idsOf(spark.createDataFrame(reversed, schema).repartition(4), "id"));
        assertEquals(40, ids.stream().map(s -> s.substring(s.indexOf(" -> ") + 4)).distinct().count());
        for (int i = 0; i < 40; i++) {
            String source = "source-" + i + " -> ";
            String id = ids.stream().filter(s -> s.startsWith(source)).findAny().orElseThrow().substring(source.length());
            assertEquals(i % 10 != 0, id.equals("given-" + i), id);
        }
        // the ids of an input with an id column need no shuffle of its rows (a rank over identical texts would)
        String plan = inOrder.select(RowIds.of("id", InputColumns.named("text"), functions.lit(null).cast("string"),
                inOrder)).queryExecution().sparkPlan().toString();
        assertFalse(plan.contains("Window") || plan.contains("Exchange"), plan);
    }

    /** "source -> id" for every row, ids from {@code idCol} (null: derived). */
    private static Set<String> idsOf(Dataset<Row> input, String idCol) {
        return input.select(functions.concat_ws(" -> ", InputColumns.named("source"),
                        RowIds.of(idCol, InputColumns.named("text"), functions.lit(null).cast("string"), input)))
                .collectAsList().stream().map(r -> r.getString(0)).collect(Collectors.toCollection(TreeSet::new));
    }
}
