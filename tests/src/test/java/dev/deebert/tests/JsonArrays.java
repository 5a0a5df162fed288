package dev.deebert.tests;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.stream.StreamSupport;

/** Numeric JSON arrays of the fixtures' expected values as Java arrays. */
public final class JsonArrays {
    private JsonArrays() {}

    public static long[] longs(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
    }

    public static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) array.get(i).asDouble();
        }
        return values;
    }
}
