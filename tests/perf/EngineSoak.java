import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.executor.ScoringSpec;
import dev.deebert.model.Batching;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.model.TokenizedText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's memory without Spark: THREADS threads share one engine (one intra-op thread each, as local[N]'s
 * tasks do) and classify a labeled JSONL file's texts over and over, batches of 32 by length in windows of 16
 * as the scoring job runs them, while the process prints its RSS every 15 s. Tells a leak of ours from what
 * the allocator keeps: submit/soak measures the whole job, this the engine alone. Run it with the heap
 * committed and touched up front, so that RSS moves only with native memory:
 *
 *   java -Xms2g -Xmx2g -XX:+AlwaysPreTouch -Dai.djl.offline=true \
 *     -cp "$(cat job/target/classpath.txt):job/target/deebert-spark-app.jar" tests/perf/EngineSoak.java \
 *     MODEL_DIR INPUT.jsonl PRECISION THREADS ROWS THRESHOLD MAX_SEQ_LEN
 *
 * e.g. MODEL_DIR ~/.cache/deebert/corpus/test.jsonl int8 2 50000 0.4 64. Add -XX:TrimNativeHeapInterval=30000 or
 * MALLOC_ARENA_MAX=1 to compare allocator settings.
 */
public class EngineSoak {
    private static final int BATCH = 32;

    public static void main(String[] args) throws Exception {
        ModelDirectory dir = ModelDirectory.open(Path.of(args[0])).verify();
        Path input = Path.of(args[1]);
        Precision precision = Precision.valueOf(args[2].toUpperCase());
        int threads = Integer.parseInt(args[3]);
        long rows = Long.parseLong(args[4]);
        double threshold = Double.parseDouble(args[5]);
        int maxSeqLen = Integer.parseInt(args[6]);

        List<TokenizedText> texts = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (DeeBertTokenizer tokenizer = dir.tokenizer(maxSeqLen)) {
            for (String line : Files.readAllLines(input)) {
                texts.add(tokenizer.encode(json.readTree(line).path("text").asText(), null));
            }
        }
        texts.sort(Comparator.comparingInt(TokenizedText::numTokens));
        List<List<TokenizedText>> batches = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += BATCH) {
            batches.add(texts.subList(from, Math.min(texts.size(), from + BATCH)));
        }

        try (DeeBertEngine engine = DeeBertEngine.load(dir, Device.cpu(), precision)) {
            ExitPolicy policy = ExitPolicy.uniform(threshold, engine.config().numHiddenLayers());
            AtomicLong done = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> workers = new ArrayList<>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                workers.add(pool.submit(() -> {
                    JniUtils.setNumThreads(1);  // a per-thread setting
                    while (done.get() < rows) {
                        for (int from = 0; from < batches.size(); from += ScoringSpec.WINDOW_BATCHES) {
                            int to = Math.min(batches.size(), from + ScoringSpec.WINDOW_BATCHES);
                            engine.classify(batches.subList(from, to), policy, Batching.COMPACTION);
                        }
                        done.addAndGet(texts.size());
                    }
                    return null;
                }));
            }
            pool.shutdown();
            while (!pool.awaitTermination(15, TimeUnit.SECONDS)) {
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("%.0f s: %d rows, %.1f rows/s, RSS %d MiB%n", seconds, done.get(),
                        done.get() / seconds, rssKib() / 1024);
            }
            for (Future<?> worker : workers) {
                worker.get();  // rethrows a worker's failure
            }
        }
    }

    private static long rssKib() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
    }
}
