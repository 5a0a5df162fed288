package dev.deebert.job;

import java.util.concurrent.Callable;

/**
 * A picocli command that a classpath adds to {@code deebert} through {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/dev.deebert.job.CommandPlugin} file): the benchmark lives in the tests module with its
 * ONNX Runtime peer, which must never ship in the app jar, so the app cannot name it.
 */
public interface CommandPlugin extends Callable<Integer> {}
