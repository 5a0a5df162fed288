package dev.deebert.bench;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the milliseconds go: one run of a contender under libtorch's profiler, each operator's self time
 * (its time minus that of the operators it called) summed by name and divided by the row-layers computed.
 */
final class OpProfile {
    private record Event(String name, long start, long end) {}

    private record Total(String name, int calls, double selfMs) {}

    private OpProfile() {}

    /** Profiles one run of {@code contender}; the raw Chrome trace is kept as {@code trace}. */
    static String markdown(Contender contender, LabeledRows rows, Path trace) throws Exception {
        JniUtils.startProfile(false, false, false);
        long start = System.nanoTime();
        Contender.Outcome outcome;
        try {
            outcome = contender.run(rows);
        } finally {
            JniUtils.stopProfile(trace.toString());
        }
        double wallMs = (System.nanoTime() - start) / 1e6;
        List<Total> totals = selfTimes(trace);
        double opsMs = totals.stream().mapToDouble(Total::selfMs).sum();
        long rowLayers = outcome.layersComputed();
        StringBuilder md = new StringBuilder(String.format(
                "%s %s S=%s, %d rows, %d row-layers, %.0f ms in all (under the profiler)%n%n"
                        + "| operator | calls | self ms | us per row-layer | share |%n|---|---|---|---|---|%n",
                contender.name(), contender.precision(), contender.threshold(), rows.size(), rowLayers, wallMs));
        for (Total t : totals) {
            if (t.selfMs >= 0.005 * wallMs) {
                md.append(row(t.name, String.valueOf(t.calls), t.selfMs, rowLayers, wallMs));
            }
        }
        md.append(row("(other operators)", "", opsMs - totals.stream().filter(t -> t.selfMs >= 0.005 * wallMs)
                .mapToDouble(Total::selfMs).sum(), rowLayers, wallMs));
        md.append(row("(outside libtorch operators: Java, JNI, exit decisions)", "", wallMs - opsMs, rowLayers,
                wallMs));
        return md.toString();
    }

    private static String row(String name, String calls, double ms, long rowLayers, double wallMs) {
        return String.format("| %s | %s | %.1f | %.1f | %.1f%% |%n", name, calls, ms, 1000 * ms / rowLayers,
                100 * ms / wallMs);
    }

    /** Self time per operator name from a Chrome trace, largest first. */
    private static List<Total> selfTimes(Path trace) throws IOException {
        JsonNode root = new ObjectMapper().readTree(Files.readString(trace));
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        Map<String, List<Event>> byThread = new HashMap<>();
        for (JsonNode e : events) {
            if ("X".equals(e.path("ph").asText()) && e.has("dur")) {
                long ts = e.path("ts").asLong();
                byThread.computeIfAbsent(e.path("tid").asText(), k -> new ArrayList<>())
                        .add(new Event(e.path("name").asText(), ts, ts + e.path("dur").asLong()));
            }
        }
        Map<String, double[]> sums = new HashMap<>();  // name -> {calls, self us}
        for (List<Event> thread : byThread.values()) {
            thread.sort(Comparator.comparingLong(Event::start).thenComparing(Event::end, Comparator.reverseOrder()));
            // open events enclosing the current one, innermost last, with the time of their children so far
            Deque<Event> open = new ArrayDeque<>();
            Deque<long[]> childTime = new ArrayDeque<>();
            for (Event e : thread) {
                while (!open.isEmpty() && open.peekLast().end <= e.start) {
                    close(open, childTime, sums);
                }
                open.addLast(e);
                childTime.addLast(new long[1]);
            }
            while (!open.isEmpty()) {
                close(open, childTime, sums);
            }
        }
        return sums.entrySet().stream()
                .map(s -> new Total(s.getKey(), (int) s.getValue()[0], s.getValue()[1] / 1000))
                .sorted(Comparator.comparingDouble(Total::selfMs).reversed()).toList();
    }

    private static void close(Deque<Event> open, Deque<long[]> childTime, Map<String, double[]> sums) {
        Event e = open.removeLast();
        long children = childTime.removeLast()[0];
        long duration = e.end - e.start;
        double[] sum = sums.computeIfAbsent(e.name, k -> new double[2]);
        sum[0]++;
        sum[1] += duration - children;
        if (!childTime.isEmpty()) {
            childTime.peekLast()[0] += duration;
        }
    }
}
