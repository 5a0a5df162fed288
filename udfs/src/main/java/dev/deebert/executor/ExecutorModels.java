package dev.deebert.executor;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import java.nio.file.Path;
import org.apache.spark.TaskContext;
import org.slf4j.LoggerFactory;
import org.apache.spark.resource.ResourceInformation;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One model per executor JVM: the task threads of an executor share the weights of each (model dir, weights
 * hash, device, precision), built on first use and closed when the JVM exits. The hash is the run's, taken on
 * the driver and stamped on every row: the weights are loaded only if the bytes read hash to it, so a model
 * replaced since the driver checked it fails the task instead of being scored under the old hash (and the
 * executors of one run never score with different models). Being part of the key, it also makes long-lived
 * executors load a replaced model again for the runs that ask for it.
 */
public final class ExecutorModels {
    /** A model ready to score: its tokenizer and its engine. Both are safe to share between threads. */
    public record Loaded(DeeBertTokenizer tokenizer, DeeBertEngine engine) implements AutoCloseable {
        @Override
        public void close() {
            engine.close();
            tokenizer.close();
        }
    }

    private record Key(String modelDir, String modelSha256, String device, Precision precision, int maxSeqLen) {}

    private static final Map<Key, Loaded> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "deebert-models-close"));
    }

    private ExecutorModels() {}

    public static Loaded get(String modelDir, String modelSha256, Device device, Precision precision, int maxSeqLen) {
        return MODELS.computeIfAbsent(new Key(modelDir, modelSha256, device.toString(), precision, maxSeqLen), key -> {
            ModelDirectory model = ModelDirectory.open(Path.of(modelDir));
            DeeBertTokenizer tokenizer = model.tokenizer(maxSeqLen);
            try {
                Loaded loaded = new Loaded(tokenizer, DeeBertEngine.load(model, key.modelSha256(), device, precision));
                int builds = LOADS.incrementAndGet();
                LoggerFactory.getLogger(ExecutorModels.class).info("model build {} in this JVM: {} on {} ({})",
                        builds, key.modelDir(), key.device(), key.precision());
                return loaded;
            } catch (RuntimeException e) {
                tokenizer.close();
                throw e;
            }
        });
    }

    /**
     * The executor's shared model for a task: on the GPU Spark assigned the task (spark.task.resource.gpu.amount),
     * else the CPU, with PyTorch's intra-op threads (a per-thread setting) at the task's cores.
     */
    public static Loaded forTask(ScoringSpec spec, TaskContext task) {
        ResourceInformation gpu = task.resources().get("gpu").getOrElse(() -> null);
        Device device = gpu == null || gpu.addresses().length == 0 ? Device.cpu()
                : Device.gpu(Integer.parseInt(gpu.addresses()[0].trim()));
        // After get(): on a fresh executor JVM, loading the model is what loads PyTorch's native library.
        Loaded model = get(spec.modelDir(), spec.modelSha256(), device, spec.precision(), spec.maxSeqLen());
        JniUtils.setNumThreads(Math.max(1, task.cpus()));
        return model;
    }

    /** How many models this JVM has built (the soak test checks it stays at one). */
    public static int loads() {
        return LOADS.get();
    }

    static void closeAll() {
        MODELS.values().forEach(Loaded::close);
        MODELS.clear();
    }
}
