package dev.deebert.model;

/** DJL's native cache is not safe to load libtorch from; the message says why and what to do. */
public final class NativeCacheException extends IllegalStateException {
    public NativeCacheException(String message) {
        super(message);
    }

    public NativeCacheException(String message, Throwable cause) {
        super(message, cause);
    }
}
