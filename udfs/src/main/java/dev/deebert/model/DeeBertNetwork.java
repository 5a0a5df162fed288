package dev.deebert.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * DeeBERT's forward pass. {@link #encode} runs the embeddings, then the encoder layers one at a time; after
 * each layer an {@link Observer} sees the states of the rows still running, may read the exit there
 * ({@link #exitLogits}) and says which rows go on. Rows that leave are dropped from the batch, so later
 * layers compute only rows still running; given several batches, the rows that go on wait in one queue per
 * layer, where {@link Batching} says whether each batch shrinks on its own or full batches are pooled from
 * several. It follows Hugging Face's modeling_bert.py and the reference's
 * modeling_highway_bert.py; tensor names come from {@link TensorNames}.
 *
 * <p>Shapes: B rows (those still running), L tokens (the longest running row), H hidden, A heads, D = H / A
 * head size, I intermediate, C labels, N layers. Exits: after layer l < N ramp l, after layer N the final
 * head.
 *
 * <p>The same code serves inference (dropout off, optionally bfloat16 GEMMs, each layer's temporaries freed
 * as the layer finishes) and training (dropout on, float32, nothing freed before the backward pass, gradients
 * flowing back through the fused weights into the named parameters). Inference on CPU runs its GEMMs on
 * oneDNN with bias and GELU fused (weights packed where that pays on the CPU), and attention in one libtorch call
 * ({@link LibTorchOps}); training keeps to DJL's differentiable ops.
 */
public final class DeeBertNetwork {
    /** Sees the states after each encoder layer and says which rows go on. */
    @FunctionalInterface
    public interface Observer {
        /**
         * After encoder layer {@code layer} (1..N). {@code hidden} [B, L, H] holds the running rows; row i is
         * row {@code rows[i]} of the input, numbered across its batches in order. In inference what is made here
         * is freed when the layer finishes; a tensor kept longer is taken out of the layer's scope with
         * {@link NDScope#unregister}. The answer after layer N is ignored: no layer follows.
         */
        Remaining afterLayer(int layer, int[] rows, NDArray hidden);
    }

    /** Every row runs every layer. */
    public static final Observer EVERY_LAYER = (layer, rows, hidden) -> Remaining.ALL;

    /** The rows of the running batch that go on to the next layer. */
    public static final class Remaining {
        public static final Remaining ALL = new Remaining(null);
        public static final Remaining NONE = new Remaining(new long[0]);

        /** Positions in the running batch, ascending; null for all. */
        private final long[] positions;

        private Remaining(long[] positions) {
            this.positions = positions;
        }

        /** {@code positions} (ascending) of a running batch of {@code batchSize} rows. */
        public static Remaining of(long[] positions, int batchSize) {
            if (positions.length == batchSize) {
                return ALL;
            }
            return positions.length == 0 ? NONE : new Remaining(positions);
        }
    }

    private record Embeddings(NDArray word, NDArray position, NDArray tokenType, NDArray normWeight,
                              NDArray normBias) {}

    /**
     * A Linear layer in the compute precision; {@code onednn}: run by oneDNN's fused GEMM, on the weight from
     * {@link LibTorchOps#linearWeight}; {@code int8}: its int8 form (then {@code weight} is null, the bias
     * float32), else null.
     */
    private record Dense(NDArray weight, NDArray bias, boolean onednn, Int8 int8) {}

    /**
     * A Linear at int8: fbgemm's packed int8 weight, and the input columns kept in float32 ({@code outliers}
     * [k] int64) with their weights ({@code outlierWeight} [k, out] float32); k is often 0.
     */
    private record Int8(IValue packed, NDArray outliers, NDArray outlierWeight) {}

    /** Query, key and value are one [3H, H] GEMM; the query rows carry the 1/sqrt(D) score scale. */
    private record Layer(Dense qkv, Dense attentionOut, NDArray attentionNormWeight, NDArray attentionNormBias,
                         Dense intermediate, Dense output, NDArray outputNormWeight, NDArray outputNormBias) {}

    /** A ramp or the final head: pooler (dense + tanh on the first token), dropout, classifier. Float32. */
    private record Exit(NDArray poolerWeight, NDArray poolerBias, NDArray classifierWeight,
                        NDArray classifierBias) {}

    /**
     * Rows running together, or waiting together for a layer: states [B, L, H] (L at least the longest row),
     * each row's token count and its number in the input.
     */
    private record Running(NDArray hidden, int[] lengths, int[] rows) {}

    /** What a layer run leaves: its output [B, L, H], and the rows that go on (null when none does). */
    private record Ran(NDArray hidden, Running next) {}

    /** Rows waiting for one layer, in the chunks they came in, oldest first. */
    private static final class Waiting {
        private final ArrayDeque<Running> chunks = new ArrayDeque<>();
        private int rows;

        void add(Running chunk) {
            chunks.add(chunk);
            rows += chunk.rows().length;
        }

        /** Up to {@code n} of the oldest rows, as the chunks they came in; the last may be split. */
        List<Running> take(int n) {
            List<Running> taken = new ArrayList<>();
            for (int got = 0; got < n && !chunks.isEmpty(); ) {
                Running chunk = chunks.poll();
                int size = chunk.rows().length;
                if (got + size > n) {
                    int cut = n - got;
                    // row ranges of a contiguous [B, L, H]: contiguous views
                    chunks.addFirst(new Running(chunk.hidden().get(cut + ":"),
                            Arrays.copyOfRange(chunk.lengths(), cut, size), Arrays.copyOfRange(chunk.rows(), cut, size)));
                    Running head = new Running(chunk.hidden().get(":" + cut), Arrays.copyOf(chunk.lengths(), cut),
                            Arrays.copyOf(chunk.rows(), cut));
                    chunk.hidden().close();
                    chunk = head;
                    size = cut;
                }
                taken.add(chunk);
                got += size;
            }
            rows -= taken.stream().mapToInt(c -> c.rows().length).sum();
            return taken;
        }
    }

    /**
     * int8 keeps a Linear's input feature in float32 when its largest |value| on the probe passes this:
     * LLM.int8()'s threshold. BERT-family encoders carry a few such features (|x| up to ~35 where the others
     * stay under ~2) at fixed positions whatever the text, and per-token scales set by them leave the other
     * features a few of the 127 levels, which moved the demo model's ramp entropies by up to 0.35.
     */
    private static final float OUTLIER_INPUT = 6f;
    /** At most this many float32 columns per Linear, the largest: the side GEMM stays small. */
    private static final int MAX_OUTLIERS = 32;
    /** The probe: rows of random token ids, enough for every outlier feature to show. */
    private static final int PROBE_ROWS = 8;
    private static final int PROBE_TOKENS = 64;
    private static final long PROBE_SEED = 20200412L;

    private final DeeBertConfig config;
    /** Null in training and in int8's outlier probe: every op stays in DJL (where gradients flow). */
    private final LibTorchOps torch;
    private final boolean bf16;
    private final boolean training;
    private final float hiddenDropout;
    private final float attentionDropout;
    private final Embeddings embeddings;
    private final List<Layer> layers;
    /** The exit after layer l at l - 1: ramps, then the final head. */
    private final List<Exit> exits;
    /** Only while probing for int8's outliers: each Linear's largest |input| per column [in], in run order. */
    private List<float[]> inputMaxima;

    private DeeBertNetwork(DeeBertConfig config, LibTorchOps torch, boolean bf16, boolean training,
                           Embeddings embeddings, List<Layer> layers, List<Exit> exits) {
        this.config = config;
        this.torch = torch;
        this.bf16 = bf16;
        this.training = training;
        this.hiddenDropout = training ? (float) config.hiddenDropoutProb() : 0f;
        this.attentionDropout = training ? (float) config.attentionProbsDropoutProb() : 0f;
        this.embeddings = embeddings;
        this.layers = layers;
        this.exits = exits;
    }

    /**
     * For inference: dropout off, GEMMs in {@code precision}, on oneDNN's fused GEMM when on CPU (int8: fbgemm's,
     * CPU only).
     */
    public static DeeBertNetwork forInference(DeeBertWeights weights, Precision precision, NDManager owner) {
        if (precision == Precision.INT8 && !Device.Type.CPU.equals(owner.getDevice().getDeviceType())) {
            throw new IllegalArgumentException("--precision int8 runs on CPU only (libtorch's dynamic int8 GEMMs "
                    + "have no GPU kernels); on " + owner.getDevice() + " use fp32 or bf16");
        }
        LibTorchOps torch = LibTorchOps.get();
        Iterator<long[]> outliers = precision == Precision.INT8 ? outlierColumns(weights, owner).iterator() : null;
        return bind(weights, torch, precision == Precision.BF16, outliers, false, owner);
    }

    /**
     * For int8: each Linear's input columns to keep in float32, in the order the layers make and run them.
     * Found once, on a probe of random token ids through the float32 network on DJL's ops (no weights packed
     * for a network used once): the features whose largest |value| passes {@link #OUTLIER_INPUT}, at most
     * {@link #MAX_OUTLIERS}. A fixed set per Linear keeps a row's result independent of the rows batched with it.
     */
    private static List<long[]> outlierColumns(DeeBertWeights weights, NDManager owner) {
        DeeBertConfig c = weights.config();
        try (NDManager probe = owner.newSubManager()) {
            DeeBertNetwork fp32 = bind(weights, null, false, null, false, probe);
            fp32.inputMaxima = new ArrayList<>();
            Random random = new Random(PROBE_SEED);
            int tokens = Math.min(PROBE_TOKENS, BatchInputs.maxTokens(c));
            List<TokenizedText> rows = Stream.generate(() -> new TokenizedText(
                    random.longs(tokens, 0, c.vocabSize()).toArray(), new long[tokens], false))
                    .limit(PROBE_ROWS).toList();
            fp32.encode(BatchInputs.of(probe, rows, c), EVERY_LAYER);
            return fp32.inputMaxima.stream().map(maxima -> IntStream.range(0, maxima.length)
                    .filter(i -> maxima[i] > OUTLIER_INPUT).boxed()
                    .sorted(Comparator.comparingDouble(i -> -maxima[i])).limit(MAX_OUTLIERS)
                    .mapToLong(Integer::longValue).sorted().toArray()).toList();
        }
    }

    /**
     * For training: dropout on, float32, DJL ops only. Binds afresh after every optimizer step (the fused
     * QKV is a copy) and inside the gradient collector, so gradients reach the named tensors in
     * {@code weights}.
     */
    public static DeeBertNetwork forTraining(DeeBertWeights weights, NDManager owner) {
        return bind(weights, null, false, null, true, owner);
    }

    /**
     * Lays the weights out for the forward pass; derived tensors (fused QKV, casts, packed copies) go to owner.
     * {@code int8Outliers}: for int8, each Linear's float32 input columns in the order Linears are made; else null.
     */
    private static DeeBertNetwork bind(DeeBertWeights weights, LibTorchOps torch, boolean bf16,
                                       Iterator<long[]> int8Outliers, boolean training, NDManager owner) {
        DeeBertConfig c = weights.config();
        boolean onednn = torch != null && Device.Type.CPU.equals(owner.getDevice().getDeviceType())
                && (!bf16 || torch.packsBFloat16());
        List<NDArray> derived = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            TensorNames.Embeddings e = TensorNames.EMBEDDINGS;
            Embeddings embeddings = new Embeddings(weights.get(e.word()), weights.get(e.position()),
                    weights.get(e.tokenType()), weights.get(e.norm().weight()), weights.get(e.norm().bias()));
            DenseLayout layout = new DenseLayout(torch, bf16, int8Outliers, onednn, derived, weights, owner);
            // The factor lives in libtorch's memory: DJL's mul(Number) wraps a JVM buffer that is freed once its
            // NDArray closes, yet autograd keeps the factor for the backward pass, which then read freed memory
            // (the stage-1 "gradient norm is Infinity" at a random step).
            NDArray scale = owner.full(new Shape(), (float) (1.0 / Math.sqrt(c.headSize())));
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < c.numHiddenLayers(); i++) {
                TensorNames.Layer n = TensorNames.layer(i);
                NDArray qkvWeight = NDArrays.concat(new NDList(weights.get(n.query().weight()).mul(scale),
                        weights.get(n.key().weight()), weights.get(n.value().weight())));
                NDArray qkvBias = NDArrays.concat(new NDList(weights.get(n.query().bias()).mul(scale),
                        weights.get(n.key().bias()), weights.get(n.value().bias())));
                layers.add(new Layer(layout.ofDerived(qkvWeight, qkvBias), layout.of(n.attentionOutput()),
                        weights.get(n.attentionNorm().weight()), weights.get(n.attentionNorm().bias()),
                        layout.of(n.intermediate()), layout.of(n.output()),
                        weights.get(n.outputNorm().weight()), weights.get(n.outputNorm().bias())));
            }
            List<Exit> exits = new ArrayList<>();
            for (int layer = 1; layer <= c.numHiddenLayers(); layer++) {
                TensorNames.Exit n = TensorNames.exitAfter(layer, c.numHiddenLayers());
                exits.add(new Exit(weights.get(n.pooler().weight()), weights.get(n.pooler().bias()),
                        weights.get(n.classifier().weight()), weights.get(n.classifier().bias())));
            }
            for (NDArray tensor : derived) {
                tensor.attach(owner);
                NDScope.unregister(tensor);
            }
            return new DeeBertNetwork(c, torch, bf16, training, embeddings, layers, exits);
        }
    }

    /** Turns a Linear's float32 weight [out, in] and bias [out] into a {@link Dense} for this network. */
    private record DenseLayout(LibTorchOps torch, boolean bf16, Iterator<long[]> int8Outliers, boolean onednn,
                               List<NDArray> derived, DeeBertWeights weights, NDManager owner) {
        Dense of(TensorNames.Params linear) {
            return of(weights.get(linear.weight()), weights.get(linear.bias()));
        }

        Dense of(NDArray weight, NDArray bias) {
            if (int8Outliers != null) {
                // quantized and packed once here; afterwards only the outlier columns of the float32 weight are read
                long[] columns = int8Outliers.next();
                NDArray outliers = keep(owner.create(columns));
                // [out, in] -> [out, k] -> [k, out]
                NDArray outlierWeight = keep(columns.length == 0 ? owner.zeros(new Shape(0, weight.getShape().get(0)))
                        : weight.get(new NDIndex(":, {}", outliers)).transpose());
                return new Dense(null, bias, false, new Int8(torch.packLinearInt8(weight, owner), outliers,
                        outlierWeight));
            }
            NDArray w = bf16 ? keep(torch.toBFloat16(weight)) : weight;
            NDArray b = bf16 ? keep(torch.toBFloat16(bias)) : bias;
            NDArray formed = onednn ? torch.linearWeight(w, BatchInputs.BATCH_TOKENS) : null;
            if (formed == null) {
                return new Dense(w, b, false, null);
            }
            return new Dense(formed == w ? w : keep(formed), b, true, null);
        }

        /** As {@link #of}, for tensors made while binding (the fused QKV): kept only if used as they are. */
        Dense ofDerived(NDArray weight, NDArray bias) {
            Dense dense = of(weight, bias);
            if (dense.weight == weight) {
                keep(weight);
            }
            if (dense.bias == bias) {
                keep(bias);
            }
            return dense;
        }

        private NDArray keep(NDArray tensor) {
            derived.add(tensor);
            return tensor;
        }
    }

    public DeeBertConfig config() {
        return config;
    }

    /**
     * One batch through the embeddings and the encoder layers, calling {@code observer} after each layer,
     * until layer N or until no row goes on. Returns the states [B, L, H] after the last layer run, of the rows
     * that ran it.
     */
    public NDArray encode(BatchInputs inputs, Observer observer) {
        return encode(List.of(inputs), Batching.COMPACTION, observer);
    }

    /**
     * {@code batches} through the embeddings and the encoder layers, their rows numbered across the batches in
     * order, calling {@code observer} after each layer. Layer k runs on the rows waiting in its queue: a batch's
     * rows after the embeddings, or the rows that went on after layer k - 1 (cut to their longest row, then
     * gathered). After each batch enters, the deepest queue holding {@link Batching#runsAt} rows runs, until
     * none does; once every batch has entered, the queues are drained in layer order. A run takes up to the
     * largest batch's size of a queue's oldest rows, padded to the widest of them. Returns the states [B, L, H]
     * after the last layer run, of the rows that ran it.
     */
    public NDArray encode(List<BatchInputs> batches, Batching batching, Observer observer) {
        int batchSize = batches.stream().mapToInt(b -> b.lengths().length).max().orElse(0);
        int runAt = batching.runsAt(batchSize);
        // waiting[k]: chunks of [B, L, H], rows waiting for layer k + 1
        Waiting[] waiting = Stream.generate(Waiting::new).limit(config.numHiddenLayers()).toArray(Waiting[]::new);
        NDArray last = null;
        int entered = 0;
        for (BatchInputs next : batches) {
            waiting[0].add(embedded(next, entered));
            entered += next.lengths().length;
            for (int k = deepest(waiting, runAt); k >= 0; k = deepest(waiting, runAt)) {
                last = run(k + 1, waiting, batchSize, observer, last);
            }
        }
        for (int k = 0; k < waiting.length; k++) {
            while (waiting[k].rows > 0) {
                last = run(k + 1, waiting, batchSize, observer, last);
            }
        }
        return last;
    }

    /** The deepest queue holding at least {@code runAt} rows (at least one), or -1. */
    private static int deepest(Waiting[] waiting, int runAt) {
        for (int k = waiting.length - 1; k >= 0; k--) {
            if (waiting[k].rows >= Math.max(1, runAt)) {
                return k;
            }
        }
        return -1;
    }

    /** A batch's rows after the embeddings, numbered from {@code firstRow}; in inference its temporaries freed. */
    private Running embedded(BatchInputs inputs, int firstRow) {
        int[] rows = IntStream.range(firstRow, firstRow + inputs.lengths().length).toArray();
        if (training) {
            return new Running(embed(inputs.ids(), inputs.typeIds(), inputs.positions()), inputs.lengths(), rows);
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            // [B, L, H]
            NDArray hidden = embed(inputs.ids(), inputs.typeIds(), inputs.positions());
            NDScope.unregister(hidden);
            return new Running(hidden, inputs.lengths(), rows);
        }
    }

    /**
     * Layer {@code layer} (1..N) on up to {@code batchSize} rows waiting for it; those that go on wait for the
     * next layer. Returns the states of the rows that went no further, or {@code last} when every row goes on.
     */
    private NDArray run(int layer, Waiting[] waiting, int batchSize, Observer observer, NDArray last) {
        List<Running> taken = waiting[layer - 1].take(batchSize);
        Ran ran = training ? step(layer, taken, observer) : freeingStep(layer, taken, observer);
        if (ran.next() != null) {
            waiting[layer].add(ran.next());
            return last;
        }
        if (last != null && !training) {
            last.close();
        }
        return ran.hidden();
    }

    /** {@link #step} that frees the layer's temporaries and the states it ran on, keeping what it leaves. */
    private Ran freeingStep(int layer, List<Running> taken, Observer observer) {
        Ran ran;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            ran = step(layer, taken, observer);
            NDScope.unregister(ran.next() == null ? ran.hidden() : ran.next().hidden());
        }
        taken.forEach(chunk -> chunk.hidden().close());
        return ran;
    }

    /** Encoder layer {@code layer} (1..N) on the rows taken for it, the observer, then the rows that go on. */
    private Ran step(int layer, List<Running> taken, Observer observer) {
        Running batch = pooled(taken);
        int width = Math.toIntExact(batch.hidden().getShape().get(1));
        // [B, L, H]
        NDArray hidden = layer(layer - 1, batch.hidden(),
                BatchInputs.maskBias(batch.hidden().getManager(), batch.lengths(), width));
        Remaining remaining = observer.afterLayer(layer, batch.rows(), hidden);
        if (layer == config.numHiddenLayers() || remaining == Remaining.NONE) {
            return new Ran(hidden, null);
        }
        if (remaining == Remaining.ALL) {
            return new Ran(hidden, new Running(hidden, batch.lengths(), batch.rows()));
        }
        long[] keep = remaining.positions;
        int[] lengths = new int[keep.length];
        int[] rows = new int[keep.length];
        for (int i = 0; i < keep.length; i++) {
            lengths[i] = batch.lengths()[Math.toIntExact(keep[i])];
            rows[i] = batch.rows()[Math.toIntExact(keep[i])];
        }
        // B' = keep.length, L' = the longest of their rows: cut to L', then gather, so the copy is contiguous
        int kept = Arrays.stream(lengths).max().orElseThrow();
        // [B', L', H]
        NDArray going = hidden.get(":, :" + kept).get(hidden.getManager().create(keep));
        return new Ran(hidden, new Running(going, lengths, rows));
    }

    /** Chunks of waiting rows as one batch: states [B, L, H], each chunk padded with zeros to the widest. */
    private Running pooled(List<Running> chunks) {
        if (chunks.size() == 1) {
            return chunks.get(0);
        }
        long width = chunks.stream().mapToLong(c -> c.hidden().getShape().get(1)).max().orElseThrow();
        NDList padded = new NDList();
        for (Running chunk : chunks) {
            // [n, w, H] -> [n, L, H]; the padding is masked like any other
            Shape shape = chunk.hidden().getShape();
            padded.add(shape.get(1) == width ? chunk.hidden() : chunk.hidden().concat(
                    chunk.hidden().getManager().zeros(new Shape(shape.get(0), width - shape.get(1), shape.get(2))), 1));
        }
        return new Running(NDArrays.concat(padded),
                chunks.stream().flatMapToInt(c -> Arrays.stream(c.lengths())).toArray(),
                chunks.stream().flatMapToInt(c -> Arrays.stream(c.rows())).toArray());
    }

    /** ids, typeIds, positions: [B, L] int64 -> [B, L, H] float32. */
    private NDArray embed(NDArray ids, NDArray typeIds, NDArray positions) {
        // [B, L, H] each
        NDArray sum = lookup(ids, embeddings.word)
                .add(lookup(positions, embeddings.position))
                .add(lookup(typeIds, embeddings.tokenType));
        return dropout(layerNorm(sum, embeddings.normWeight, embeddings.normBias), hiddenDropout);
    }

    /** Encoder layer {@code index} (0-based). hidden [B, L, H] float32, maskBias [B, 1, 1, L] -> [B, L, H]. */
    private NDArray layer(int index, NDArray hidden, NDArray maskBias) {
        Layer w = layers.get(index);
        long rows = hidden.getShape().get(0);
        long tokens = hidden.getShape().get(1);
        // [B, L, 3H] -> [B, L, 3, A, D] -> [3, B, A, L, D]
        NDArray qkv = linear(compute(hidden), w.qkv, false)
                .reshape(rows, tokens, 3, config.numAttentionHeads(), config.headSize())
                .transpose(2, 0, 3, 1, 4);
        // [B, A, L, D] -> [B, L, A, D] -> [B, L, H]
        NDArray context = attention(qkv.get(0), qkv.get(1), qkv.get(2), maskBias).transpose(0, 2, 1, 3)
                .reshape(rows, tokens, config.hiddenSize());
        // [B, L, H]
        NDArray attended = addAndNorm(linear(context, w.attentionOut, false), hidden, w.attentionNormWeight,
                w.attentionNormBias);
        // [B, L, I]
        NDArray intermediate = linear(compute(attended), w.intermediate, true);
        // [B, L, H]
        return addAndNorm(linear(intermediate, w.output, false), attended, w.outputNormWeight, w.outputNormBias);
    }

    /** x [..., in] in the compute precision -> [..., out], GELU applied if asked. */
    private NDArray linear(NDArray x, Dense dense, boolean gelu) {
        if (inputMaxima != null) {
            // [..., in] -> [in]
            inputMaxima.add(x.reshape(-1, x.getShape().getShape()[x.getShape().dimension() - 1]).abs()
                    .max(new int[] {0}).toFloatArray());
        }
        if (dense.int8 != null) {
            return torch.linearInt8(x, dense.int8.packed, dense.bias, dense.int8.outliers, dense.int8.outlierWeight,
                    gelu);
        }
        if (dense.onednn) {
            return torch.linear(x, dense.weight, dense.bias, gelu);
        }
        NDArray y = Linear.linear(x, dense.weight, dense.bias).singletonOrThrow();
        return gelu ? Activation.gelu(y) : y;
    }

    /** query (pre-scaled), key, value [B, A, L, D], maskBias [B, 1, 1, L] -> context [B, A, L, D]. */
    private NDArray attention(NDArray query, NDArray key, NDArray value, NDArray maskBias) {
        if (torch != null) {
            return torch.attention(query, key, value, maskBias);
        }
        // [B, A, L, L]; training is float32, where DJL's softmax and dropout are differentiable
        NDArray scores = query.matMul(key.transpose(0, 1, 3, 2)).add(maskBias);
        return dropout(scores.softmax(-1), attentionDropout).matMul(value);
    }

    /**
     * The logits of the exit after layer {@code layer} (1..N): ramp {@code layer} before N, the final head at
     * N. hidden [B, L, H], of which only the first token ([CLS] or {@code <s>}) is read -> [B, C] float32.
     */
    public NDArray exitLogits(int layer, NDArray hidden) {
        Exit exit = exits.get(layer - 1);
        // [B, H]
        NDArray first = hidden.get(":, 0, :");
        NDArray pooled = Linear.linear(first, exit.poolerWeight, exit.poolerBias).singletonOrThrow().tanh();
        // [B, C]
        return Linear.linear(dropout(pooled, hiddenDropout), exit.classifierWeight, exit.classifierBias)
                .singletonOrThrow();
    }

    private NDArray addAndNorm(NDArray projected, NDArray residual, NDArray weight, NDArray bias) {
        // a bfloat16 projection is promoted to float32 within the add, with no cast copy of it first
        return layerNorm(residual.add(dropout(projected, hiddenDropout)), weight, bias);
    }

    private NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), weight, bias, (float) config.layerNormEps())
                .singletonOrThrow();
    }

    private static NDArray lookup(NDArray ids, NDArray table) {
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
    }

    private static NDArray dropout(NDArray x, float rate) {
        return rate > 0 ? Dropout.dropout(x, rate, true).singletonOrThrow() : x;
    }

    private NDArray compute(NDArray x) {
        return bf16 ? torch.toBFloat16(x) : x;
    }
}
