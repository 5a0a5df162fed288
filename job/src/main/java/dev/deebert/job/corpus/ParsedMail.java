package dev.deebert.job.corpus;

import java.util.Optional;

/**
 * What the corpus keeps of a mail: its Message-ID (the split key, when present), its decoded subject and the
 * decoded text of its body, both as found (whitespace not yet normalised).
 */
public record ParsedMail(Optional<String> messageId, String subject, String body) {
}
