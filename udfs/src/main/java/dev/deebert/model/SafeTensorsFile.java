package dev.deebert.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes model.safetensors through DJL's codec, after checking the header against the file.
 *
 * <p>DJL allocates whatever the header claims before reading, so a hostile or truncated file would
 * exhaust memory or fail deep inside; this class checks every offset, shape and dtype against the real
 * file size first and names the tensor at fault.
 */
public final class SafeTensorsFile {
    /** Headers of real models are a few hundred KB; anything larger is not a model header. */
    private static final long MAX_HEADER_BYTES = 64L << 20;
    /** The dtypes {@link #readFloats} reads: those checkpoints keep weights in. */
    public static final List<String> FLOAT_DTYPES = List.of("F32", "F16", "BF16");

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensorsFile() {}

    /** One tensor's entry in the header. */
    public record Entry(String dtype, long[] shape, long begin, long end) {
        public long elements() {
            long elements = 1;
            for (long dimension : shape) {
                elements *= dimension;
            }
            return elements;
        }
    }

    /** Tensors decoded from one read of a file, and the SHA-256 of exactly the bytes they were decoded from. */
    public record Loaded(NDList tensors, String sha256) {}

    /** Parses and checks the header; never reads the tensor data. */
    public static Map<String, Entry> readHeader(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, Channels.newInputStream(channel), channel.size());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read safetensors header: " + e.getMessage(), e);
        }
    }

    /** The header at the start of {@code in}, checked against the size of the file it comes from. */
    private static Map<String, Entry> readHeader(Path file, InputStream in, long fileSize) throws IOException {
        if (fileSize < 8) {
            throw bad(file, "file is " + fileSize + " bytes, too short for a header");
        }
        byte[] lengthBytes = in.readNBytes(8);
        if (lengthBytes.length < 8) {
            throw bad(file, "file ends inside its header");
        }
        long headerLength = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > fileSize - 8) {
            throw bad(file, "header claims " + headerLength + " bytes but the file has " + fileSize);
        }
        byte[] header = in.readNBytes((int) headerLength);
        if (header.length < headerLength) {
            throw bad(file, "file ends inside its header");
        }
        JsonNode root = JSON.readTree(header);
        long dataSize = fileSize - 8 - headerLength;
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!"__metadata__".equals(field.getKey())) {
                entries.put(field.getKey(), entry(file, field.getKey(), field.getValue(), dataSize));
            }
        }
        checkContiguous(file, entries, dataSize);
        return entries;
    }

    /**
     * The format's own rule: the tensors' byte ranges tile the data buffer exactly, without gaps or overlaps,
     * so that no byte belongs to two tensors and none is hidden between them.
     */
    private static void checkContiguous(Path file, Map<String, Entry> entries, long dataSize) {
        List<Map.Entry<String, Entry>> byOffset = new ArrayList<>(entries.entrySet());
        byOffset.sort(Comparator.comparingLong((Map.Entry<String, Entry> e) -> e.getValue().begin())
                .thenComparingLong(e -> e.getValue().end()));
        long covered = 0;
        for (Map.Entry<String, Entry> e : byOffset) {
            if (e.getValue().begin() != covered) {
                throw bad(file, "tensor '" + e.getKey() + "' starts at data byte " + e.getValue().begin()
                        + " but the tensors before it end at " + covered
                        + (e.getValue().begin() < covered ? " (overlapping tensors)" : " (a gap)"));
            }
            covered = e.getValue().end();
        }
        if (covered != dataSize) {
            throw bad(file, "tensors cover " + covered + " data bytes but the file holds " + dataSize);
        }
    }

    private static Entry entry(Path file, String name, JsonNode node, long dataSize) {
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        JsonNode dtype = node.get("dtype");
        if (shapeNode == null || offsets == null || dtype == null || offsets.size() != 2) {
            throw bad(file, "tensor '" + name + "' has a malformed header entry");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0 || shape[i] > dataSize) {
                throw bad(file, "tensor '" + name + "' has an impossible dimension " + shapeNode.get(i));
            }
        }
        for (long dimension : shape) {
            if (dimension != 0 && elements > dataSize / dimension) {
                throw bad(file, "tensor '" + name + "' shape " + shapeNode + " holds more elements than the "
                        + dataSize + " data bytes in the file");
            }
            elements *= dimension;
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataSize) {
            throw bad(file, "tensor '" + name + "' claims bytes [" + begin + ", " + end + ") beyond the "
                    + dataSize + " data bytes in the file (truncated or corrupt)");
        }
        int width = switch (dtype.asText()) {
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            case "F64", "I64" -> 8;
            case "U8", "I8", "BOOL" -> 1;
            default -> throw bad(file, "tensor '" + name + "' has unknown dtype " + dtype.asText());
        };
        if (elements * width != end - begin) {
            throw bad(file, "tensor '" + name + "' shape needs " + elements * width + " bytes but its offsets span "
                    + (end - begin));
        }
        return new Entry(dtype.asText(), shape, begin, end);
    }

    /** Loads every tensor (named) after {@link #readHeader} accepted the file. */
    public static NDList read(Path file, NDManager manager) {
        return load(file, manager).tensors();
    }

    /**
     * {@link #read}, hashing as it reads: the file is opened and read once, so the header checked, the tensors
     * decoded and the hash are of the same bytes even when the file is replaced or rewritten meanwhile.
     */
    public static Loaded load(Path file, NDManager manager) {
        MessageDigest digest = newDigest();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             // The digest sits below the buffer, which replays the header to DJL: each byte is hashed once.
             InputStream in = new BufferedInputStream(new DigestInputStream(Channels.newInputStream(channel), digest),
                     1 << 20)) {
            in.mark(8 + (int) MAX_HEADER_BYTES);
            readHeader(file, in, channel.size());
            in.reset();
            NDList tensors;
            try {
                tensors = NDList.decode(manager, in);
            } catch (RuntimeException e) {
                throw new ModelFormatException(file + ": cannot decode tensors: " + e.getMessage(), e);
            }
            in.transferTo(OutputStream.nullOutputStream());
            return new Loaded(tensors, HexFormat.of().formatHex(digest.digest()));
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read safetensors: " + e.getMessage(), e);
        }
    }

    /** SHA-256 of the whole file, without decoding it. */
    public static String sha256(Path file) {
        MessageDigest digest = newDigest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * One tensor's values widened to float32 (exactly: both half formats are subsets of float32). Read
     * directly, because DJL's PyTorch engine aborts the JVM when it is handed BF16 data.
     */
    public static float[] readFloats(Path file, Entry entry) {
        if (!FLOAT_DTYPES.contains(entry.dtype())) {
            throw bad(file, "tensor dtype " + entry.dtype() + " cannot be read as float32");
        }
        int width = entry.dtype().equals("F32") ? 4 : 2;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer headerLength = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, headerLength, 0);
            ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(entry.end() - entry.begin()))
                    .order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, data, 8 + headerLength.getLong(0) + entry.begin());
            float[] values = new float[data.capacity() / width];
            for (int i = 0; i < values.length; i++) {
                values[i] = switch (entry.dtype()) {
                    case "F32" -> data.getFloat(4 * i);
                    case "BF16" -> Float.intBitsToFloat((data.getShort(2 * i) & 0xffff) << 16);
                    default -> halfToFloat(data.getShort(2 * i));
                };
            }
            return values;
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read tensor data: " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        buffer.flip();
    }

    /** IEEE 754 binary16 to float32 (Float.float16ToFloat arrived only in Java 20). */
    private static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | mantissa << 13);
        }
        if (exponent == 0) {
            float subnormal = mantissa * 0x1p-24f;
            return sign == 0 ? subnormal : -subnormal;
        }
        return Float.intBitsToFloat(sign | (exponent + 112) << 23 | mantissa << 13);
    }

    /** Writes named tensors; the caller writes to a temporary file and renames for atomicity. */
    public static void write(NDList tensors, Path file) throws IOException {
        for (NDArray tensor : tensors) {
            if (tensor.getName() == null) {
                throw new IllegalArgumentException("every tensor written to safetensors needs a name");
            }
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            tensors.encode(out, NDList.Encoding.SAFETENSORS);
        }
    }

    private static ModelFormatException bad(Path file, String problem) {
        return new ModelFormatException(file + ": " + problem);
    }
}
