package dev.deebert.model;

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
 * float32, gradients flowing back through the fused weights into the named parameters).
 */
public final class DeeBertNetwork {
    private record Embeddings(NDArray word, NDArray position, NDArray tokenType, NDArray normWeight,
                              NDArray normBias) {}

    /** Query, key and value are one [3H, H] GEMM; the query rows carry the 1/sqrt(D) score scale. */
    private record Layer(NDArray qkvWeight, NDArray qkvBias, NDArray attentionOutWeight,
                         NDArray attentionOutBias, NDArray attentionNormWeight, NDArray attentionNormBias,
                         NDArray intermediateWeight, NDArray intermediateBias, NDArray outputWeight,
                         NDArray outputBias, NDArray outputNormWeight, NDArray outputNormBias) {}

    /** An exit: pooler (dense + tanh on the first token), dropout, classifier. Always float32. */
    private record Head(NDArray poolerWeight, NDArray poolerBias, NDArray classifierWeight,
                        NDArray classifierBias) {}

    private final DeeBertConfig config;
    private final BFloat16Cast bf16;
    private final float hiddenDropout;
    private final float attentionDropout;
    private final Embeddings embeddings;
    private final List<Layer> layers;
    private final List<Head> ramps;
    private final Head finalHead;

    private DeeBertNetwork(DeeBertConfig config, BFloat16Cast bf16, boolean training, Embeddings embeddings,
                           List<Layer> layers, List<Head> ramps, Head finalHead) {
        this.config = config;
        this.bf16 = bf16;
        this.hiddenDropout = training ? (float) config.hiddenDropoutProb() : 0f;
        this.attentionDropout = training ? (float) config.attentionProbsDropoutProb() : 0f;
        this.embeddings = embeddings;
        this.layers = layers;
        this.ramps = ramps;
        this.finalHead = finalHead;
    }

    /**
     * Lays the weights out for the forward pass. Derived tensors (fused QKV, bfloat16 copies) are attached
     * to {@code owner}; close it to free them. {@code bf16} is null for float32; training needs float32.
     * Public for training, which binds afresh after every optimizer step (the fused QKV is a copy) and
     * inside its gradient collector, so gradients reach the named tensors in {@code weights}.
     */
    public static DeeBertNetwork bind(DeeBertWeights weights, BFloat16Cast bf16, boolean training, NDManager owner) {
        DeeBertConfig c = weights.config();
        List<NDArray> derived = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Embeddings embeddings = new Embeddings(weights.get("embeddings.word_embeddings.weight"),
                    weights.get("embeddings.position_embeddings.weight"),
                    weights.get("embeddings.token_type_embeddings.weight"),
                    weights.get("embeddings.LayerNorm.weight"), weights.get("embeddings.LayerNorm.bias"));
            float scale = (float) (1.0 / Math.sqrt(c.headSize()));
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < c.numHiddenLayers(); i++) {
                String p = DeeBertWeights.layerPrefix(i) + "attention.self.";
                String q = DeeBertWeights.layerPrefix(i);
                NDArray qkvWeight = NDArrays.concat(new NDList(weights.get(p + "query.weight").mul(scale),
                        weights.get(p + "key.weight"), weights.get(p + "value.weight")));
                NDArray qkvBias = NDArrays.concat(new NDList(weights.get(p + "query.bias").mul(scale),
                        weights.get(p + "key.bias"), weights.get(p + "value.bias")));
                layers.add(new Layer(
                        gemm(qkvWeight, bf16, derived), gemm(qkvBias, bf16, derived),
                        gemm(weights.get(q + "attention.output.dense.weight"), bf16, derived),
                        gemm(weights.get(q + "attention.output.dense.bias"), bf16, derived),
                        weights.get(q + "attention.output.LayerNorm.weight"),
                        weights.get(q + "attention.output.LayerNorm.bias"),
                        gemm(weights.get(q + "intermediate.dense.weight"), bf16, derived),
                        gemm(weights.get(q + "intermediate.dense.bias"), bf16, derived),
                        gemm(weights.get(q + "output.dense.weight"), bf16, derived),
                        gemm(weights.get(q + "output.dense.bias"), bf16, derived),
                        weights.get(q + "output.LayerNorm.weight"), weights.get(q + "output.LayerNorm.bias")));
                if (bf16 == null) {
                    derived.add(qkvWeight);
                    derived.add(qkvBias);
                }
            }
            List<Head> ramps = new ArrayList<>();
            for (int i = 0; i < c.numHiddenLayers() - 1; i++) {
                String r = DeeBertWeights.rampPrefix(i);
                ramps.add(new Head(weights.get(r + "pooler.dense.weight"), weights.get(r + "pooler.dense.bias"),
                        weights.get(r + "classifier.weight"), weights.get(r + "classifier.bias")));
            }
            Head finalHead = new Head(weights.get("pooler.dense.weight"), weights.get("pooler.dense.bias"),
                    weights.get(DeeBertWeights.CLASSIFIER_WEIGHT), weights.get(DeeBertWeights.CLASSIFIER_BIAS));
            for (NDArray tensor : derived) {
                tensor.attach(owner);
                NDScope.unregister(tensor);
            }
            return new DeeBertNetwork(c, bf16, training, embeddings, layers, ramps, finalHead);
        }
    }

    /** A GEMM operand in the compute precision; the bfloat16 copy is recorded as derived. */
    private static NDArray gemm(NDArray weight, BFloat16Cast bf16, List<NDArray> derived) {
        if (bf16 == null) {
            return weight;
        }
        NDArray copy = bf16.apply(weight);
        derived.add(copy);
        return copy;
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
        NDArray qkv = Linear.linear(compute(hidden), w.qkvWeight, w.qkvBias).singletonOrThrow()
                .reshape(rows, tokens, 3, config.numAttentionHeads(), config.headSize())
                .transpose(2, 0, 3, 1, 4);
        NDArray query = qkv.get(0);
        NDArray key = qkv.get(1);
        NDArray value = qkv.get(2);
        // [B, A, L, L], softmax in float32
        NDArray scores = toFloat(query.matMul(key.transpose(0, 1, 3, 2))).add(maskBias);
        NDArray probs = dropout(scores.softmax(-1), attentionDropout);
        // [B, A, L, D] -> [B, L, A, D] -> [B, L, H]
        NDArray context = compute(probs).matMul(value).transpose(0, 2, 1, 3)
                .reshape(rows, tokens, config.hiddenSize());
        NDArray attended = addAndNorm(Linear.linear(context, w.attentionOutWeight, w.attentionOutBias)
                .singletonOrThrow(), hidden, w.attentionNormWeight, w.attentionNormBias);
        // [B, L, I]
        NDArray intermediate = Activation.gelu(Linear.linear(compute(attended), w.intermediateWeight,
                w.intermediateBias).singletonOrThrow());
        return addAndNorm(Linear.linear(intermediate, w.outputWeight, w.outputBias).singletonOrThrow(),
                attended, w.outputNormWeight, w.outputNormBias);
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
        return bf16 == null ? x : bf16.apply(x);
    }

    private NDArray toFloat(NDArray x) {
        return bf16 == null ? x : x.toType(DataType.FLOAT32, false);
    }
}
