package dev.deebert.job.corpus;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.dom.Body;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.TextBody;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.apache.james.mime4j.stream.MimeConfig;

/**
 * Reads a raw RFC 822 mail with mime4j (transfer encodings and charsets decoded) and keeps its subject and its
 * text: the inline text/plain parts, or, for mail without any, the visible text of its text/html parts.
 * Attachments are skipped; attached mails (message/rfc822) count as text, as forwarded mail is content.
 */
public final class MailParser {
    private final DefaultMessageBuilder builder = new DefaultMessageBuilder();

    public MailParser() {
        // Spam is the corpus: tolerate over-long lines, bad encodings and unknown charsets instead of failing.
        builder.setMimeEntityConfig(MimeConfig.PERMISSIVE);
        builder.setDecodeMonitor(DecodeMonitor.SILENT);
        builder.setBodyFactory(new LenientCharsetBodyFactory());
    }

    public ParsedMail parse(byte[] raw) throws MalformedMailException {
        Message message;
        try {
            message = builder.parseMessage(new ByteArrayInputStream(raw));
        } catch (IOException | RuntimeException e) {
            throw new MalformedMailException("unreadable MIME structure: " + e.getMessage(), e);
        }
        try {
            if (message.getHeader() == null || message.getHeader().getFields().isEmpty()) {
                throw new MalformedMailException("no header fields: not an RFC 822 mail");
            }
            List<Entity> plain = new ArrayList<>();
            List<Entity> html = new ArrayList<>();
            collectTextParts(message, plain, html);
            String body = plain.isEmpty() ? text(html, true) : text(plain, false);
            String subject = message.getSubject() == null ? "" : message.getSubject();
            return new ParsedMail(messageId(message), subject, body);
        } catch (IOException | RuntimeException e) {
            throw new MalformedMailException("undecodable body: " + e.getMessage(), e);
        } finally {
            message.dispose();
        }
    }

    private static Optional<String> messageId(Message message) {
        String id = message.getMessageId();
        return id == null || id.isBlank() ? Optional.empty() : Optional.of(id.strip());
    }

    private static void collectTextParts(Entity entity, List<Entity> plain, List<Entity> html) {
        Body body = entity.getBody();
        if (body instanceof Multipart multipart) {
            for (Entity part : multipart.getBodyParts()) {
                collectTextParts(part, plain, html);
            }
        } else if (body instanceof Message attached) {
            collectTextParts(attached, plain, html);
        } else if (body instanceof TextBody && !"attachment".equalsIgnoreCase(entity.getDispositionType())) {
            switch (entity.getMimeType()) {
                case "text/plain" -> plain.add(entity);
                case "text/html" -> html.add(entity);
                default -> { } // text/enriched, text/calendar, ...: rare, and not prose worth recovering
            }
        }
    }

    private static String text(List<Entity> parts, boolean html) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Entity part : parts) {
            String content = read((TextBody) part.getBody());
            text.append(html ? HtmlText.of(content) : content).append('\n');
        }
        return text.toString();
    }

    private static String read(TextBody body) throws IOException {
        StringWriter text = new StringWriter();
        try (Reader reader = body.getReader()) {
            reader.transferTo(text);
        }
        return text.toString();
    }
}
