package dev.deebert.job.corpus;

import java.io.UnsupportedEncodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.apache.james.mime4j.message.BasicBodyFactory;

/**
 * Decodes text bodies with an unknown charset, or none (mime4j then assumes US-ASCII), as windows-1252: mail
 * of the corpus's era often carries undeclared 8-bit Latin text, which US-ASCII would turn into U+FFFD, and
 * windows-1252 maps every byte, so decoding never fails.
 */
final class LenientCharsetBodyFactory extends BasicBodyFactory {
    private static final Charset FALLBACK = Charset.forName("windows-1252");

    LenientCharsetBodyFactory() {
        super(FALLBACK);
    }

    @Override
    protected Charset resolveCharset(String mimeCharset) throws UnsupportedEncodingException {
        Charset resolved = super.resolveCharset(mimeCharset);
        return StandardCharsets.US_ASCII.equals(resolved) ? FALLBACK : resolved;
    }
}
