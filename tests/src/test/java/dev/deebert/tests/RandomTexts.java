package dev.deebert.tests;

import java.util.List;
import java.util.Random;

/**
 * Seeded review-like texts for corpora whose content does not matter but must be the same on every run. One
 * stream per seed: a test that draws a row's other fields (labels) from {@link #nextInt} between texts gets
 * the same rows every time, and the rows tests were written against.
 */
public final class RandomTexts {
    /** Words every golden model's tokenizer knows. */
    public static final List<String> WORDS = List.of(("the movie was great bad okay hotel room clean quiet prices "
            + "went up flight cancelled package arrived damaged good value fast delivery happy customer").split(" "));

    private final Random random;

    public RandomTexts(long seed) {
        this.random = new Random(seed);
    }

    /** A text of 1 to {@code maxWords} words, each drawn uniformly from {@link #WORDS}. */
    public String next(int maxWords) {
        StringBuilder text = new StringBuilder();
        for (int w = random.nextInt(maxWords); w >= 0; w--) {
            text.append(WORDS.get(random.nextInt(WORDS.size()))).append(' ');
        }
        return text.toString().trim();
    }

    /** The next int below {@code bound} from the same stream, for the other fields of a row. */
    public int nextInt(int bound) {
        return random.nextInt(bound);
    }
}
