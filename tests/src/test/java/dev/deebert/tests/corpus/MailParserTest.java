package dev.deebert.tests.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.deebert.job.corpus.MailParser;
import dev.deebert.job.corpus.MalformedMailException;
import dev.deebert.job.corpus.ParsedMail;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** mime4j-based extraction of subject and body text from the hand-made mails. */
class MailParserTest {
    private final MailParser parser = new MailParser();

    private ParsedMail parse(String mail) throws MalformedMailException {
        return parser.parse(HandMadeMails.bytes(mail));
    }

    private static String squeezed(String text) {
        return text.replaceAll("\\s+", " ").strip();
    }

    @Test
    void multipartKeepsThePlainTextPartOnlyAndSkipsHtmlTwinAndAttachment() throws Exception {
        ParsedMail mail = parse("spam-1/multipart-alternative");
        assertEquals("Cheap watches", mail.subject());
        assertEquals("Buy cheap watches today.", squeezed(mail.body()));
        assertEquals(Optional.of("<alt-001@example.com>"), mail.messageId());
    }

    @Test
    void decodesQuotedPrintableBodyInLatin1AndEncodedWordSubject() throws Exception {
        ParsedMail mail = parse("easy-ham-1/quoted-printable");
        assertEquals("Café meeting", mail.subject());
        assertEquals("Let us meet at the café at ten; this line is long and soft-wrapped by the encoder.",
                squeezed(mail.body()));
    }

    @Test
    void decodesBase64Utf8Body() throws Exception {
        ParsedMail mail = parse("easy-ham-1/base64");
        assertEquals("Die Rechnung für März liegt bei. Grüße, Jörg", squeezed(mail.body()));
    }

    @Test
    void decodesEightBitBodyInItsDeclaredNonUtf8Charset() throws Exception {
        ParsedMail mail = parse("spam-1/koi8r");
        assertEquals("Скидки на всё только сегодня", squeezed(mail.body()));
    }

    @Test
    void readsUndeclaredEightBitBodyAsWindows1252() throws Exception {
        ParsedMail mail = parse("easy-ham-1/undeclared-8bit");
        assertEquals("A naïve café review, sent without any MIME headers.", squeezed(mail.body()));
    }

    @Test
    void htmlOnlyMailKeepsVisibleTextWithEntitiesDecoded() throws Exception {
        ParsedMail mail = parse("spam-1/html-only");
        String body = squeezed(mail.body()).replace('\u00a0', ' ');
        assertTrue(body.contains("Claim your prize & win"), body);
        assertTrue(body.contains("Click now"), body);
        assertFalse(body.contains("<"), body);
        assertFalse(body.contains("hidden") || body.contains("color") || body.contains("ignored title"), body);
    }

    @Test
    void mailWithoutMessageIdStillParses() throws Exception {
        ParsedMail mail = parse("easy-ham-1/no-message-id");
        assertEquals(Optional.empty(), mail.messageId());
        assertEquals("Lunch?", mail.subject());
        assertEquals("Shall we have lunch on Friday?", squeezed(mail.body()));
    }

    @Test
    void bytesWithoutAnyHeaderAreMalformed() {
        MalformedMailException e = assertThrows(MalformedMailException.class, () -> parse("spam-1/broken"));
        assertTrue(e.getMessage().contains("header"), e.getMessage());
    }
}
