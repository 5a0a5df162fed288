package dev.deebert.tests.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.deebert.job.corpus.Split;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The hash split: stable per key, pinned to its definition, 80/10/10 over many keys. */
class SplitTest {
    @Test
    void sameKeyAlwaysGetsTheSameSplit() {
        for (int i = 0; i < 1000; i++) {
            String id = "<" + i + ".stable@example.com>";
            assertEquals(Split.of(id), Split.of(new String(id.toCharArray())), id);
        }
    }

    /**
     * Expected splits computed independently in Python:
     * {@code int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], 'big') % 100} (&lt;80 train, &lt;90 dev,
     * else test); pins the split so that a refactoring cannot silently move mails between splits.
     */
    @Test
    void matchesTheSha256BucketDefinition() {
        assertEquals(Split.TRAIN, Split.of("<m0@x>"));
        assertEquals(Split.DEV, Split.of("<m15@x>"));
        assertEquals(Split.TEST, Split.of("<m23@x>"));
        assertEquals(Split.DEV, Split.of("<m30@x>"));
    }

    @Test
    void manySyntheticIdsSplitNearEightyTenTen() {
        int n = 50_000;
        Map<Split, Integer> counts = new EnumMap<>(Split.class);
        for (int i = 0; i < n; i++) {
            counts.merge(Split.of("<" + i + ".synthetic@mail.example.org>"), 1, Integer::sum);
        }
        // Binomial standard deviation at n=50k is under 0.2 percentage points; allow about 5 of them.
        assertEquals(0.80, counts.get(Split.TRAIN) / (double) n, 0.01, counts.toString());
        assertEquals(0.10, counts.get(Split.DEV) / (double) n, 0.01, counts.toString());
        assertEquals(0.10, counts.get(Split.TEST) / (double) n, 0.01, counts.toString());
    }
}
