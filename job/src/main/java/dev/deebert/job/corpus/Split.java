package dev.deebert.job.corpus;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * The train/dev/test split (80/10/10) of a mail, fixed by a hash of its key so that a mail stays in its split
 * across runs, machines and corpus versions.
 */
public enum Split {
    TRAIN, DEV, TEST;

    private static final int BUCKETS = 100;
    private static final int TRAIN_BUCKETS = 80;
    private static final int DEV_BUCKETS = 10;

    /**
     * SHA-256 rather than {@link String#hashCode}: its bits are uniform for keys that differ in a few
     * characters (Message-IDs share long suffixes) and it is specified, not an implementation detail.
     */
    public static Split of(String key) {
        long bits = ByteBuffer.wrap(sha256(key.getBytes(StandardCharsets.UTF_8))).getLong();
        int bucket = (int) Long.remainderUnsigned(bits, BUCKETS);
        if (bucket < TRAIN_BUCKETS) {
            return TRAIN;
        }
        return bucket < TRAIN_BUCKETS + DEV_BUCKETS ? DEV : TEST;
    }

    /** The file name stem of the split: {@code train}, {@code dev} or {@code test}. */
    public String fileStem() {
        return name().toLowerCase(Locale.ROOT);
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }
}
