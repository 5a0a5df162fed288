package dev.deebert.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.deebert.model.TokenizedText;
import java.util.List;
import java.util.Map;

/**
 * What users run today: ONNX Runtime (fp32, all graph optimisations) on the full backbone, followed by the
 * DeeBERT model's own final head so that its quality is comparable. The head (two small GEMVs per row) is
 * plain Java: it costs well under 1% of the backbone.
 */
final class OnnxPeer implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final FinalHead head;

    /** The final head's weights: pooler [H, H] + bias, classifier [C, H] + bias, row-major [out][in]. */
    record FinalHead(float[] poolerWeight, float[] poolerBias, float[] classifierWeight, float[] classifierBias) {
        int label(float[] cls) {
            int hidden = poolerBias.length;
            float[] pooled = new float[hidden];
            for (int o = 0; o < hidden; o++) {
                float sum = poolerBias[o];
                for (int i = 0; i < hidden; i++) {
                    sum += poolerWeight[o * hidden + i] * cls[i];
                }
                pooled[o] = (float) Math.tanh(sum);
            }
            int best = 0;
            float bestLogit = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classifierBias.length; c++) {
                float sum = classifierBias[c];
                for (int i = 0; i < hidden; i++) {
                    sum += classifierWeight[c * hidden + i] * pooled[i];
                }
                if (sum > bestLogit) {
                    bestLogit = sum;
                    best = c;
                }
            }
            return best;
        }
    }

    OnnxPeer(byte[] onnx, int threads, FinalHead head) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(onnx, options);
        }
        this.head = head;
    }

    /** Labels of one length-sorted batch, padded at the end to its longest row. */
    int[] classify(List<TokenizedText> batch) throws OrtException {
        int width = batch.stream().mapToInt(TokenizedText::numTokens).max().orElse(0);
        long[][] ids = new long[batch.size()][width];
        long[][] mask = new long[batch.size()][width];
        long[][] types = new long[batch.size()][width];
        for (int r = 0; r < batch.size(); r++) {
            TokenizedText row = batch.get(r);
            for (int t = 0; t < row.numTokens(); t++) {
                ids[r][t] = row.ids()[t];
                mask[r][t] = 1;
                types[r][t] = row.typeIds()[t];
            }
        }
        try (OnnxTensor idTensor = OnnxTensor.createTensor(env, ids);
             OnnxTensor maskTensor = OnnxTensor.createTensor(env, mask);
             OnnxTensor typeTensor = OnnxTensor.createTensor(env, types);
             OrtSession.Result result = session.run(Map.of("input_ids", idTensor, "attention_mask", maskTensor,
                     "token_type_ids", typeTensor))) {
            float[][][] hidden = (float[][][]) result.get(0).getValue();
            int[] labels = new int[batch.size()];
            for (int r = 0; r < labels.length; r++) {
                labels[r] = head.label(hidden[r][0]);
            }
            return labels;
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
