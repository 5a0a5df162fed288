package dev.deebert.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;

/**
 * DeeBERT's forward pass in separate steps (embeddings, one encoder layer, one exit head) so that early
 * exit can stop between layers. It follows Hugging Face's modeling_bert.py. Shapes: B rows, L tokens,
 * H hidden, A heads of size D = H / A, I intermediate, C labels.
 *
 * <p>The same code serves inference (dropout off, optionally bfloat16 GEMMs) and training (dropout on,
 * float32, gradients flowing back through the fused weights into the named parameters). Inference on CPU
 * runs its GEMMs on weights pre-packed for oneDNN with bias and GELU fused, and attention in one libtorch
 * call ({@link LibTorchOps}); training keeps to DJL's differentiable ops.
 */
public final class DeeBertNetwork {
    private record Embeddings(NDArray word, NDArray position, NDArray tokenType, NDArray normWeight,
                              NDArray normBias) {}

    /** A Linear layer in the compute precision; {@code packed}: the weight is in oneDNN's layout. */
    private record Dense(NDArray weight, NDArray bias, boolean packed) {}

    /** Query, key and value are one [3H, H] GEMM; the query rows carry the 1/sqrt(D) score scale. */
    private record Layer(Dense qkv, Dense attentionOut, NDArray attentionNormWeight, NDArray attentionNormBias,
                         Dense intermediate, Dense output, NDArray outputNormWeight, NDArray outputNormBias) {}

    /** An exit: pooler (dense + tanh on the first token), dropout, classifier. Always float32. */
    private record Head(NDArray poolerWeight, NDArray poolerBias, NDArray classifierWeight,
                        NDArray classifierBias) {}

    /** GEMM height the packed layouts are chosen for: a batch of 32 rows of 128 tokens. */
    private static final long TYPICAL_GEMM_ROWS = 32 * 128;

    private final DeeBertConfig config;
    /** Null in training: every op stays in DJL, where gradients flow. */
    private final LibTorchOps torch;
    private final boolean bf16;
    private final float hiddenDropout;
    private final float attentionDropout;
    private final Embeddings embeddings;
    private final List<Layer> layers;
    private final List<Head> ramps;
    private final Head finalHead;

    private DeeBertNetwork(DeeBertConfig config, LibTorchOps torch, boolean bf16, boolean training,
                           Embeddings embeddings, List<Layer> layers, List<Head> ramps, Head finalHead) {
        this.config = config;
        this.torch = torch;
        this.bf16 = bf16;
        this.hiddenDropout = training ? (float) config.hiddenDropoutProb() : 0f;
        this.attentionDropout = training ? (float) config.attentionProbsDropoutProb() : 0f;
        this.embeddings = embeddings;
        this.layers = layers;
        this.ramps = ramps;
        this.finalHead = finalHead;
    }

    /** For inference: dropout off, GEMMs in {@code precision}, packed for oneDNN when on CPU. */
    public static DeeBertNetwork forInference(DeeBertWeights weights, Precision precision, NDManager owner) {
        return bind(weights, LibTorchOps.get(), precision == Precision.BF16, false, owner);
    }

    /**
     * For training: dropout on, float32, DJL ops only. Binds afresh after every optimizer step (the fused
     * QKV is a copy) and inside the gradient collector, so gradients reach the named tensors in
     * {@code weights}.
     */
    public static DeeBertNetwork forTraining(DeeBertWeights weights, NDManager owner) {
        return bind(weights, null, false, true, owner);
    }

    /** Lays the weights out for the forward pass; derived tensors (fused QKV, casts, packed copies) go to owner. */
    private static DeeBertNetwork bind(DeeBertWeights weights, LibTorchOps torch, boolean bf16, boolean training,
                                       NDManager owner) {
        DeeBertConfig c = weights.config();
        boolean pack = torch != null && Device.Type.CPU.equals(owner.getDevice().getDeviceType())
                && (!bf16 || torch.packsBFloat16());
        List<NDArray> derived = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            TensorNames.Embeddings e = TensorNames.EMBEDDINGS;
            Embeddings embeddings = new Embeddings(weights.get(e.word()), weights.get(e.position()),
                    weights.get(e.tokenType()), weights.get(e.norm().weight()), weights.get(e.norm().bias()));
            DenseLayout layout = new DenseLayout(torch, bf16, pack, derived, weights);
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
            List<Head> ramps = new ArrayList<>();
            for (int i = 0; i < c.numHiddenLayers() - 1; i++) {
                ramps.add(head(weights, TensorNames.ramp(i)));
            }
            Head finalHead = head(weights, TensorNames.FINAL_HEAD);
            for (NDArray tensor : derived) {
                tensor.attach(owner);
                NDScope.unregister(tensor);
            }
            return new DeeBertNetwork(c, torch, bf16, training, embeddings, layers, ramps, finalHead);
        }
    }

    private static Head head(DeeBertWeights weights, TensorNames.Exit n) {
        return new Head(weights.get(n.pooler().weight()), weights.get(n.pooler().bias()),
                weights.get(n.classifier().weight()), weights.get(n.classifier().bias()));
    }

    /** Turns a Linear's float32 weight [out, in] and bias [out] into a {@link Dense} for this network. */
    private record DenseLayout(LibTorchOps torch, boolean bf16, boolean pack, List<NDArray> derived,
                               DeeBertWeights weights) {
        Dense of(TensorNames.Params linear) {
            return of(weights.get(linear.weight()), weights.get(linear.bias()));
        }

        Dense of(NDArray weight, NDArray bias) {
            NDArray w = bf16 ? keep(torch.toBFloat16(weight)) : weight;
            NDArray b = bf16 ? keep(torch.toBFloat16(bias)) : bias;
            return pack ? new Dense(keep(torch.packLinear(w, TYPICAL_GEMM_ROWS)), b, true) : new Dense(w, b, false);
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

    /** ids, typeIds, positions: [B, L] int64 -> [B, L, H] float32. */
    public NDArray embed(NDArray ids, NDArray typeIds, NDArray positions) {
        NDArray sum = lookup(ids, embeddings.word)
                .add(lookup(positions, embeddings.position))
                .add(lookup(typeIds, embeddings.tokenType));
        return dropout(layerNorm(sum, embeddings.normWeight, embeddings.normBias), hiddenDropout);
    }

    /** Encoder layer {@code index} (0-based). hidden [B, L, H] float32, maskBias [B, 1, 1, L] -> [B, L, H]. */
    public NDArray layer(int index, NDArray hidden, NDArray maskBias) {
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
        NDArray attended = addAndNorm(linear(context, w.attentionOut, false), hidden, w.attentionNormWeight,
                w.attentionNormBias);
        // [B, L, I]
        NDArray intermediate = linear(compute(attended), w.intermediate, true);
        return addAndNorm(linear(intermediate, w.output, false), attended, w.outputNormWeight, w.outputNormBias);
    }

    /** x [..., in] in the compute precision -> [..., out], GELU applied if asked. */
    private NDArray linear(NDArray x, Dense dense, boolean gelu) {
        if (dense.packed) {
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

    /** Ramp {@code ramp} (0-based, after layer ramp + 1): hidden [B, L, H] -> logits [B, C] float32. */
    public NDArray rampLogits(int ramp, NDArray hidden) {
        return exit(ramps.get(ramp), hidden);
    }

    /** The trained final head after the last layer: hidden [B, L, H] -> logits [B, C] float32. */
    public NDArray finalLogits(NDArray hidden) {
        return exit(finalHead, hidden);
    }

    private NDArray exit(Head head, NDArray hidden) {
        // [B, H]: the first token ([CLS] or <s>)
        NDArray first = hidden.get(":, 0, :");
        NDArray pooled = Linear.linear(first, head.poolerWeight, head.poolerBias).singletonOrThrow().tanh();
        return Linear.linear(dropout(pooled, hiddenDropout), head.classifierWeight, head.classifierBias)
                .singletonOrThrow();
    }

    private NDArray addAndNorm(NDArray projected, NDArray residual, NDArray weight, NDArray bias) {
        return layerNorm(dropout(toFloat(projected), hiddenDropout).add(residual), weight, bias);
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

    private NDArray toFloat(NDArray x) {
        return bf16 ? x.toType(DataType.FLOAT32, false) : x;
    }
}
