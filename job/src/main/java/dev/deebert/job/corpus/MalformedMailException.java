package dev.deebert.job.corpus;

/** A mail that cannot be read as RFC 822; the converter counts and skips it. */
public final class MalformedMailException extends Exception {
    public MalformedMailException(String message) {
        super(message);
    }

    public MalformedMailException(String message, Throwable cause) {
        super(message, cause);
    }
}
