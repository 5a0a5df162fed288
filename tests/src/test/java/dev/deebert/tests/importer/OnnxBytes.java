package dev.deebert.tests.importer;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

/** ONNX messages written with protobuf's own encoder, following onnx.proto's field numbers, for tests. */
public final class OnnxBytes {
    private OnnxBytes() {}

    public interface Body {
        void write(CodedOutputStream out) throws IOException;
    }

    /** ModelProto: ir_version 1, graph 7. */
    public static byte[] model(byte[] graph) throws IOException {
        return message(m -> {
            m.writeInt64(1, 8);
            m.writeByteArray(7, graph);
        });
    }

    /** TensorProto: dims 1, data_type 2, name 8, then the data fields {@code data} writes. */
    public static byte[] tensor(String name, long[] dims, int dataType, Body data) throws IOException {
        return message(t -> {
            for (long d : dims) {
                t.writeInt64(1, d);
            }
            t.writeInt32(2, dataType);
            t.writeString(8, name);
            data.write(t);
        });
    }

    /** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5 (AttributeProto: name 1, t 5, type 20). */
    public static byte[] node(String name, String op, List<String> inputs, List<String> outputs, byte[] value)
            throws IOException {
        return message(n -> {
            for (String i : inputs) {
                n.writeString(1, i);
            }
            for (String o : outputs) {
                n.writeString(2, o);
            }
            n.writeString(3, name);
            n.writeString(4, op);
            if (value != null) {
                n.writeByteArray(5, message(a -> {
                    a.writeString(1, "value");
                    a.writeByteArray(5, value);
                    a.writeInt32(20, 4); // AttributeType.TENSOR
                }));
            }
        });
    }

    /** One length-delimited field of a GraphProto (node 1, initializer 5). */
    public static byte[] field(int number, byte[] message) throws IOException {
        return message(g -> g.writeBytes(number, ByteString.copyFrom(message)));
    }

    public static byte[] message(Body body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        body.write(out);
        out.flush();
        return bytes.toByteArray();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.writeBytes(p);
        }
        return all.toByteArray();
    }
}
