package dev.deebert.executor;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import java.nio.file.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;
import org.apache.spark.util.TaskFailureListener;
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
 *
 * <p>A task that fails retires the model it used: the next task builds a fresh one, and the retired one is
 * closed once the last task using it ends. Spark cannot tell us whether the engine or the input failed the task,
 * and the two costs are lopsided: a needless rebuild takes seconds, while a kept broken engine (a lost or
 * asserted device, a closed native handle) fails every retry Spark makes on this executor.
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

    /**
     * Fault injection for the failure-accounting tests: a Spark local property that, set to {@code true}, closes
     * the engine each task is given, so every attempt of every task fails the way a broken device makes it.
     */
    public static final String BREAK_ENGINES = "deebert.faults.breakEngines";

    /** A shared model and the tasks using it, so that a retired model is closed only when none is left. */
    private static final class Shared {
        final Loaded model;
        int tasks;
        boolean retired;

        Shared(Loaded model) {
            this.model = model;
        }
    }

    private record Key(String modelDir, String modelSha256, String device, Precision precision, int maxSeqLen) {}

    private static final Map<Key, Shared> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "deebert-models-close"));
    }

    private ExecutorModels() {}

    public static Loaded get(String modelDir, String modelSha256, Device device, Precision precision, int maxSeqLen) {
        return shared(new Key(modelDir, modelSha256, device.toString(), precision, maxSeqLen), device).model;
    }

    private static Shared shared(Key wanted, Device device) {
        return MODELS.computeIfAbsent(wanted, key -> {
            ModelDirectory model = ModelDirectory.open(Path.of(key.modelDir()));
            DeeBertTokenizer tokenizer = model.tokenizer(key.maxSeqLen());
            try {
                Loaded loaded = new Loaded(tokenizer,
                        DeeBertEngine.load(model, key.modelSha256(), device, key.precision()));
                int builds = LOADS.incrementAndGet();
                LoggerFactory.getLogger(ExecutorModels.class).info("model build {} in this JVM: {} on {} ({})",
                        builds, key.modelDir(), key.device(), key.precision());
                return new Shared(loaded);
            } catch (RuntimeException e) {
                tokenizer.close();
                throw e;
            }
        });
    }

    /**
     * The executor's shared model for a task: on the GPU Spark assigned the task (spark.task.resource.gpu.amount),
     * else the CPU, with PyTorch's intra-op threads (a per-thread setting) at the task's cores. The task holds
     * it until it ends; if it fails, the model is retired.
     */
    public static Loaded forTask(ScoringSpec spec, TaskContext task) {
        ResourceInformation gpu = task.resources().get("gpu").getOrElse(() -> null);
        Device device = gpu == null || gpu.addresses().length == 0 ? Device.cpu()
                : Device.gpu(Integer.parseInt(gpu.addresses()[0].trim()));
        Key key = new Key(spec.modelDir(), spec.modelSha256(), device.toString(), spec.precision(), spec.maxSeqLen());
        Shared model;
        synchronized (ExecutorModels.class) {
            model = shared(key, device);
            model.tasks++;
        }
        task.addTaskFailureListener((TaskFailureListener) (context, error) -> retire(key, model));
        task.addTaskCompletionListener((TaskCompletionListener) context -> release(model));
        if (Boolean.parseBoolean(task.getLocalProperty(BREAK_ENGINES))) {
            model.model.engine().close();
        }
        // After shared(): on a fresh executor JVM, loading the model is what loads PyTorch's native library.
        JniUtils.setNumThreads(Math.max(1, task.cpus()));
        return model.model;
    }

    private static synchronized void retire(Key key, Shared model) {
        if (MODELS.remove(key, model)) {
            model.retired = true;
            LoggerFactory.getLogger(ExecutorModels.class).warn("a task using {} on {} failed: the next task"
                    + " builds the model again", key.modelDir(), key.device());
        }
    }

    private static synchronized void release(Shared model) {
        if (--model.tasks == 0 && model.retired) {
            model.model.close();
        }
    }

    /** How many models this JVM has built (the soak test checks it stays at one). */
    public static int loads() {
        return LOADS.get();
    }

    static void closeAll() {
        MODELS.values().forEach(shared -> shared.model.close());
        MODELS.clear();
    }
}
